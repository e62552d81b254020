"""The rating-scale form: the total, the item values where the scale has items, or both."""

from decimal import Decimal
from typing import Any

from django import forms

from records import scales
from records.models import ScaleAdministration
from records.reauth import PasswordReentryForm
from records.services import ScaleInput

from .common import ServiceErrorsForm, model_field, version_field
from .trials import VersionForm

ITEM_LABEL = "Item {key}"
ITEM_TOPIC_LABEL = "Item {key} · {topic}"
ITEM_RANGE_HELP = "{low}–{high}"
ITEM_ALTERNATIVE_HELP = "{low}–{high}; score {number}A or {number}B, not both"
TOTAL_HELP = "Leave blank to have it calculated from the items."
NO_TOTAL_HELP = "{scale} has no single total: enter its items."


def _num(value: float) -> str:
    return f"{value:g}"


class ScaleForm(ServiceErrorsForm):
    """One administration of one scale; its item fields are the scale's own (records/scales.py)."""

    def __init__(
        self, *args: Any, scale: scales.ScaleCode, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scales.SCALES[scale]
        self.fields["administered_on"] = model_field(ScaleAdministration, "administered_on")
        if self.scale.total_range is not None:
            self.fields["total"] = model_field(ScaleAdministration, "total", help_text=TOTAL_HELP)
        for name in ("scale_version", "interview_guide", "rater"):
            self.fields[name] = model_field(ScaleAdministration, name)
        numbers = [item.number for item in self.scale.items]
        for item in self.scale.items:
            self.fields[item.field_name] = self._item_field(item, numbers.count(item.number) > 1)
        if editing:
            self.fields["version"] = version_field()

    def _item_field(self, item: scales.Item, alternative: bool) -> forms.DecimalField:
        # Item topics are short labels, never an instrument's wording (records/scales.py).
        label = (
            ITEM_TOPIC_LABEL.format(key=item.key, topic=item.label)
            if item.label
            else ITEM_LABEL.format(key=item.key)
        )
        template = ITEM_ALTERNATIVE_HELP if alternative else ITEM_RANGE_HELP
        help_text = template.format(
            low=_num(item.minimum), high=_num(item.maximum), number=item.number
        )
        return forms.DecimalField(
            label=label,
            required=False,
            max_digits=6,
            decimal_places=2,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"step": "any"}),
        )

    @property
    def item_fields(self) -> list[forms.BoundField]:
        """Return the bound item fields, in the scale's order."""
        return [self[item.field_name] for item in self.scale.items]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        """Return the bound fields other than the items and the version."""
        items = {item.field_name for item in self.scale.items}
        return [self[name] for name in self.fields if name not in items and name != "version"]

    @property
    def no_total_help(self) -> str:
        """Return the note shown instead of a total for a scale without one (the WPAI)."""
        return NO_TOTAL_HELP.format(scale=self.scale.name)

    def field_for_error(self, name: str) -> str | None:
        """Return the field an error belongs beside; "item_16" goes beside item 16A."""
        if name not in self.fields and name.startswith("item_"):
            number = name.removeprefix("item_")
            alternatives = [
                item.field_name for item in self.scale.items if str(item.number) == number
            ]
            if alternatives:
                return alternatives[0]
        return super().field_for_error(name)

    @classmethod
    def initial_for(cls, administration: ScaleAdministration) -> dict[str, Any]:
        """Return the form's initial values for editing a score."""
        initial: dict[str, Any] = {
            "administered_on": administration.administered_on,
            "total": administration.total,
            "scale_version": administration.scale_version,
            "interview_guide": administration.interview_guide,
            "rater": administration.rater,
            "version": administration.version,
        }
        for key, value in administration.item_values.items():
            initial[f"item_{key}"] = None if value is None else Decimal(repr(value))
        return initial

    def to_input(self) -> ScaleInput:
        """Return the validated values as the service's input; unanswered items are left out."""
        data = self.cleaned_data
        items = {
            item.key: float(data[item.field_name])
            for item in self.scale.items
            if data.get(item.field_name) is not None
        }
        return ScaleInput(
            scale=self.scale.code.value,
            administered_on=data["administered_on"],
            total=data.get("total"),
            items=items or None,
            scale_version=data["scale_version"],
            interview_guide=data["interview_guide"],
            rater=data["rater"],
        )


class ScoreDeleteForm(VersionForm, PasswordReentryForm):
    """The deletion of a score: the version the user saw and their password (ASVS 4.3.3)."""
