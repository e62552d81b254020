"""Trial forms: a treatment course, the clinician's adequacy override, and deletions."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import F, Q
from django.utils.html import format_html

from records.brands import BRANDS, generic_for_brand
from records.dose_steps import StepEntry
from records.models import Agent, Clinic, Episode, TreatmentTrial, TrialKind
from records.models.scale import SCALE_CODES, score_errors
from records.reauth import PasswordReentryForm
from records.services import TRIAL_BEFORE_ONSET_CODE, TrialInput
from records.wording import dose_text
from staging.catalogue import PSYCHOTHERAPY_SCHOOLS, DrugClass, lookup_agent

from .common import ServiceErrorsForm, model_field, version_field

AGENT_LABEL = "Agent"
AGENT_HELP = (
    "Start typing: the catalogue suggests names and knows common brand names. An agent it "
    "does not hold needs its class."
)
SWITCH_LABEL = "Ended by a switch into (hypo)mania"
OPTIMISED_HELP = "Leave as not recorded to judge it from the dose."
# The value to type is a literal, so it is marked as one (and never read as a raw decimal).
DOSE_HELP = format_html(
    "Sustained daily dose in mg; liothyronine (T3) 25 micrograms is entered as <code>{}</code>.",
    "0.025",
)
EXTENDED_HELP = "Leave as not recorded to judge it from the weeks at dose."
ADEQUATE_CHOICES = [("yes", "Adequate"), ("no", "Not adequate")]
REASON_MAX_LENGTH = 2000
BRAND_RESOLVED = "{brand} → {generic}"
BRAND_OPTION = "brand of {generic}"
MINIMUM_DOSE = "minimum {dose}"
MINIMUM_LEVEL = "minimum serum level {level} mmol/L"

MEDICATION = (TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION, TrialKind.AUGMENTATION)
SESSION_KINDS = (
    TrialKind.PSYCHOTHERAPY,
    TrialKind.ECT,
    TrialKind.RTMS,
    TrialKind.ESKETAMINE,
    TrialKind.KETAMINE,
)
# The kinds each field applies to; the page hides the others (fields left out apply to all).
FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "agent_text": MEDICATION,
    "drug_class": MEDICATION,
    "dose_mg_per_day": MEDICATION,
    "serum_level_mmol_per_l": MEDICATION,
    "weeks": (*MEDICATION, TrialKind.ESKETAMINE),
    "weeks_reason": (*MEDICATION, TrialKind.ESKETAMINE),
    "adherence": MEDICATION,
    "augments": (TrialKind.COMBINATION, TrialKind.AUGMENTATION),
    "dose_optimised": (TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION),
    "duration_extended": (TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION),
    "sessions": SESSION_KINDS,
    "therapy_type": (TrialKind.PSYCHOTHERAPY,),
    "therapist_trained": (TrialKind.PSYCHOTHERAPY,),
    "electrode_placement": (TrialKind.ECT,),
    "dose_mg_per_session": (TrialKind.ESKETAMINE, TrialKind.KETAMINE),
}
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Treatment", ("kind", "agent_text", "drug_class", "therapy_type", "augments")),
    ("Dates", ("start_date", "end_date", "in_previous_episode")),
    (
        "Dose, duration and sessions",
        (
            "dose_mg_per_day",
            "serum_level_mmol_per_l",
            "weeks",
            "weeks_reason",
            "adherence",
            "sessions",
            "dose_mg_per_session",
            "electrode_placement",
            "therapist_trained",
            "dose_optimised",
            "duration_extended",
        ),
    ),
    (
        "Outcome",
        (
            "percent_symptom_reduction",
            "outcome_scale",
            "outcome_baseline_score",
            "outcome_end_score",
            "outcome",
            "reason_stopped",
        ),
    ),
    ("Source", ("information_source", "prospective", "last_confirmed_on")),
    ("Notes", ("notes",)),
)
# The section the dose steps are shown after, and how many a course may have: a titration up,
# an increase for non-response and a reduction for side effects fit with one to spare.
STEPS_SECTION = "Dose, duration and sessions"
MAX_STEPS = 5
STEP_NEEDS_DOSE = "Give this step's dose."
STEP_DOSE_LABEL = "Step {number}: mg/day"
STEP_START_LABEL = "from"
STEP_WEEKS_LABEL = "or for (weeks)"
# Model fields the form edits as they are; the agent is typed as text and resolved.
MODEL_FIELDS = tuple(
    name for _, names in SECTIONS for name in names if name not in {"agent_text", "augments"}
)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class AgentCatalogue:
    """The agents a clinic records trials with: the built-in catalogue and its own."""

    agents: tuple[Agent, ...]

    def find(self, name: str) -> Agent | None:
        """Return the catalogued agent a typed name means (any case, aliases, formulations)."""
        typed = " ".join(name.lower().split())
        if not typed:
            return None
        entry = lookup_agent(typed) or lookup_agent(generic_for_brand(typed) or "")
        wanted = {typed, entry.name.lower()} if entry is not None else {typed}
        # A clinic's own entry is listed after the built-ins, so it wins a shared name.
        found = [agent for agent in self.agents if agent.name.lower() in wanted]
        return found[-1] if found else None

    def options(self) -> list[tuple[str, str]]:
        """Return (name, description) pairs for the agent suggestions, brand names after."""
        options = []
        for agent in self.agents:
            parts = [agent.drug_class]
            if agent.minimum_dose_mg_per_day is not None:
                parts.append(MINIMUM_DOSE.format(dose=dose_text(agent.minimum_dose_mg_per_day)))
            if agent.minimum_serum_level_mmol_per_l is not None:
                level = _plain(agent.minimum_serum_level_mmol_per_l)
                parts.append(MINIMUM_LEVEL.format(level=level))
            options.append((agent.name, " · ".join(parts)))
        held = {agent.name.lower() for agent in self.agents}
        options.extend(
            (brand.capitalize(), BRAND_OPTION.format(generic=generic))
            for brand, generic in sorted(BRANDS.items())
            if generic in held
        )
        return options


def agent_catalogue(clinic: Clinic) -> AgentCatalogue:
    """Return the clinic's agent catalogue: built-ins first, then the clinic's own agents."""
    agents = Agent.objects.filter(Q(clinic=None) | Q(clinic=clinic)).order_by(
        F("clinic").asc(nulls_first=True), "name"
    )
    return AgentCatalogue(tuple(agents))


class TrialForm(ServiceErrorsForm):
    """One treatment course; `sections()` says which kinds each field applies to, for the page."""

    error_aliases = {"agent": "agent_text", "agent_name": "agent_text"}

    def __init__(
        self,
        *args: Any,
        catalogue: AgentCatalogue,
        episode: Episode,
        trial: TreatmentTrial | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        # "Zoloft → sertraline" when the typed agent is a brand name the catalogue resolved.
        self.brand_note = ""
        for name in MODEL_FIELDS:
            self.fields[name] = model_field(TreatmentTrial, name)
        self.fields["agent_text"] = forms.CharField(
            label=AGENT_LABEL, max_length=100, required=False, help_text=AGENT_HELP
        )
        others = TreatmentTrial.objects.filter(episode=episode).select_related("agent")
        if trial is not None:
            others = others.exclude(pk=trial.pk)
            self.fields["version"] = version_field()
        self.fields["augments"] = model_field(
            TreatmentTrial, "augments", queryset=others.order_by("start_date", "seq")
        )
        self.fields["kind"].choices = list(TrialKind.choices)  # type: ignore[attr-defined]
        self.fields["outcome"].label = SWITCH_LABEL
        self.fields["dose_mg_per_day"].help_text = DOSE_HELP
        self.fields["dose_optimised"].help_text = OPTIMISED_HELP
        self.fields["duration_extended"].help_text = EXTENDED_HELP
        self.fields["agent_text"].widget.attrs.update(list="agent-catalogue", autocomplete="off")
        self.fields["drug_class"].widget.attrs.update(list="drug-classes", autocomplete="off")
        self.fields["therapy_type"].widget.attrs.update(list="therapy-types", autocomplete="off")
        self.fields["notes"].widget.attrs.update(rows=3)
        self.fields["weeks_reason"].widget.attrs.update(rows=2)
        for number in range(1, MAX_STEPS + 1):
            self.fields[f"step_dose_{number}"] = model_field(
                TreatmentTrial,
                "dose_mg_per_day",
                label=STEP_DOSE_LABEL.format(number=number),
                help_text="",
            )
            self.fields[f"step_start_{number}"] = model_field(
                TreatmentTrial, "start_date", label=STEP_START_LABEL, required=False
            )
            self.fields[f"step_weeks_{number}"] = model_field(
                TreatmentTrial, "weeks", label=STEP_WEEKS_LABEL, help_text=""
            )

    @classmethod
    def initial_for(cls, trial: TreatmentTrial) -> dict[str, Any]:
        """Return the form's initial values for editing a trial."""
        values = {name: getattr(trial, name) for name in MODEL_FIELDS}
        # Numbers as the clinician typed them: "8", "24.5", not the column's "8.00".
        values = {
            name: _plain(value) if isinstance(value, Decimal) else value
            for name, value in values.items()
        }
        for number, step in enumerate(trial.dose_steps or [], start=1):
            values[f"step_dose_{number}"] = step["dose_mg_per_day"]
            values[f"step_start_{number}"] = step["start_date"]
            values[f"step_weeks_{number}"] = step["weeks"]
        return {
            **values,
            "agent_text": trial.agent.name if trial.agent is not None else trial.agent_name,
            "augments": trial.augments_id,
            "version": trial.version,
        }

    def clean(self) -> dict[str, Any]:
        """Resolve a brand name; check outcome scores against their scale before any scoring."""
        super().clean()
        data = self.cleaned_data
        typed = data.get("agent_text") or ""
        agent = self.catalogue.find(typed)
        if agent is not None and generic_for_brand(typed) is not None:
            self.brand_note = BRAND_RESOLVED.format(brand=typed.strip(), generic=agent.name)
        data["dose_steps"] = self._clean_steps()
        scale = data.get("outcome_scale")
        if scale in SCALE_CODES:
            for name in ("outcome_baseline_score", "outcome_end_score"):
                for message in score_errors(scale, data.get(name)):
                    self.add_error(name, message)
        return data

    def _clean_steps(self) -> tuple[StepEntry, ...]:
        """Return the filled step rows in order; a row with a date or weeks needs its dose."""
        data = self.cleaned_data
        steps = []
        for number in range(1, MAX_STEPS + 1):
            dose = data.get(f"step_dose_{number}")
            start = data.get(f"step_start_{number}")
            weeks = data.get(f"step_weeks_{number}")
            if dose is None:
                if (start is not None or weeks is not None) and not self.has_error(
                    f"step_dose_{number}"
                ):
                    self.add_error(f"step_dose_{number}", STEP_NEEDS_DOSE)
                continue
            steps.append(StepEntry(dose_mg_per_day=dose, start_date=start, weeks=weeks))
        return tuple(steps)

    def step_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        """Return the (dose, from, weeks) fields of each step row, for the page."""
        return [
            (self[f"step_dose_{n}"], self[f"step_start_{n}"], self[f"step_weeks_{n}"])
            for n in range(1, MAX_STEPS + 1)
        ]

    @property
    def shown_steps(self) -> int:
        """Return how many step rows show at first: those filled and one more, at least two."""
        source = self.data if self.is_bound else self.initial
        filled = [
            n
            for n in range(1, MAX_STEPS + 1)
            if any(source.get(f"step_{part}_{n}") for part in ("dose", "start", "weeks"))
        ]
        return min(MAX_STEPS, max(2, max(filled, default=0) + 1))

    @property
    def has_steps(self) -> bool:
        """Return whether any step row holds a value, so the steps open on the page."""
        return self.shown_steps > 2 or any(
            (self.data if self.is_bound else self.initial).get(f"step_{part}_{n}")
            for n in (1, 2)
            for part in ("dose", "start", "weeks")
        )

    @property
    def offers_previous_episode(self) -> bool:
        """Return whether the start date fell before the onset, so "earlier episode" is offered."""
        return self.has_error("start_date", TRIAL_BEFORE_ONSET_CODE)

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, str]]]]:
        """Return the form's sections: each bound field with the kinds it applies to."""
        return [
            (title, [(self[name], " ".join(FIELD_KINDS.get(name, ()))) for name in names])
            for title, names in SECTIONS
        ]

    def to_input(self) -> TrialInput:
        """Return the validated values as the service's input, the typed agent resolved."""
        data = self.cleaned_data
        typed = data["agent_text"]
        agent = self.catalogue.find(typed)
        values = {name: data[name] for name in MODEL_FIELDS}
        if agent is not None:
            # A catalogued agent takes the catalogue's class.
            values["drug_class"] = ""
        return TrialInput(
            **values,
            agent=agent,
            agent_name="" if agent is not None else typed,
            augments=data["augments"],
            dose_steps=data["dose_steps"],
        )


def drug_classes() -> list[str]:
    """Return the catalogue's classes, for suggestions when an agent is not catalogued."""
    return [drug_class.value for drug_class in DrugClass]


def therapy_types() -> Iterable[str]:
    """Return the evidence-based psychotherapy types staging recognises, for suggestions."""
    return sorted(PSYCHOTHERAPY_SCHOOLS)


class AdequacyOverrideForm(ServiceErrorsForm):
    """The clinician's judgement of a trial's adequacy, with the reason (required)."""

    adequate = forms.ChoiceField(
        label="Your judgement", choices=ADEQUATE_CHOICES, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown beside the computed adequacy and kept in the history of changes.",
    )
    version = version_field()
    error_aliases = {"override_reason": "reason", "override_adequate": "adequate"}


class VersionForm(ServiceErrorsForm):
    """A confirmation carrying the version the user saw (deletions, clearing an override)."""

    version = version_field()


class TrialDeleteForm(VersionForm, PasswordReentryForm):
    """The deletion of a trial: the version the user saw and their password (ASVS 4.3.3)."""
