"""The clinic settings pages' forms: the letterhead, medication import, the clinic's agents."""

from typing import Any

from django import forms

from records.models import Agent, Clinic
from records.services import AgentInput
from records.services.agents import AGENT_FIELDS
from records.services.clinic_settings import LetterheadInput

from .common import ServiceErrorsForm, model_field

NOT_POSITIVE = "Give a number above zero, or leave it empty."
POSITIVE_FIELDS = ("minimum_dose_mg_per_day", "minimum_serum_level_mmol_per_l", "minimum_weeks")


class SupplyGapForm(ServiceErrorsForm):
    """The days without medicine that still continue a course, when records are imported."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supply_gap_days"] = model_field(Clinic, "supply_gap_days")

    @property
    def days(self) -> int:
        return int(self.cleaned_data["supply_gap_days"])


class LetterheadForm(ServiceErrorsForm):
    """The clinic's name, address, logo and paper, as the printed report shows them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "address", "paper_size"):
            self.fields[name] = model_field(Clinic, name)
        # A plain file field: the model's validators judge the image (records/models/clinic.py).
        self.fields["logo"] = model_field(
            Clinic,
            "logo",
            form_class=forms.FileField,
            widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg"}),
        )
        self.order_fields(["name", "address", "logo", "paper_size"])

    @classmethod
    def initial_for(cls, clinic: Clinic) -> dict[str, Any]:
        """Return the clinic's current letterhead as the form's initial values."""
        return {
            "name": clinic.name,
            "address": clinic.address,
            "logo": clinic.logo,
            "paper_size": clinic.paper_size,
        }

    def to_input(self) -> LetterheadInput:
        """Return the cleaned values as the settings service's input."""
        data = self.cleaned_data
        # ClearableFileInput: a new file, False for "clear", the stored file when unchanged.
        logo = data["logo"]
        return LetterheadInput(
            name=data["name"],
            address=data["address"],
            paper_size=data["paper_size"],
            logo=logo if logo and hasattr(logo, "content_type") else None,
            remove_logo=logo is False,
        )


class AgentForm(ServiceErrorsForm):
    """One of the clinic's own agents in the catalogue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in AGENT_FIELDS:
            self.fields[name] = model_field(Agent, name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The database refuses zero and below (records/models/agent.py); said beside the field.
        for name in POSITIVE_FIELDS:
            value = cleaned.get(name)
            if value is not None and value <= 0:
                self.add_error(name, NOT_POSITIVE)
        return cleaned

    @classmethod
    def initial_for(cls, agent: Agent) -> dict[str, Any]:
        """Return the agent's stored values as the form's initial values."""
        return {name: getattr(agent, name) for name in AGENT_FIELDS}

    def to_input(self) -> AgentInput:
        """Return the cleaned values as the catalogue service's input."""
        return AgentInput(**{name: self.cleaned_data[name] for name in AGENT_FIELDS})
