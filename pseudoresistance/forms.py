"""Forms: field shape only; the services decide what an answer, a flag or a review may be."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from pseudoresistance.criteria import CriterionKind, LongEpisode
from pseudoresistance.cssrs import BEHAVIOUR_RECENT, QUESTIONS, ScreenAnswers
from pseudoresistance.models import AnswerChoice, EvidenceSource, ImpasseFlagRules
from pseudoresistance.models.flag_rules import FLAG_RULE_FIELDS
from pseudoresistance.selectors import ItemRow
from pseudoresistance.services import AnswerInput, FlagRulesInput, ReviewInput, ScreenInput
from pseudoresistance.states import CaseState
from records.forms.common import DateInput

TEXT_MAX = 4000
ANSWER_PREFIX = "answer_"
QUEUE_STATE_DEFAULT = "Waiting or under review"


class ServiceErrorsMixin:
    """Show a service's ValidationError next to the fields it names, the rest above the form."""

    def add_service_errors(self, error: ValidationError) -> None:
        form: Any = self
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for name, messages in error.error_dict.items():
            target = name if name in form.fields else None
            if name == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, messages)


@dataclass(frozen=True)
class BoundItem:
    """One item's row and its bound fields, in the order the template lays them out."""

    row: ItemRow
    answer: forms.BoundField
    evidence: forms.BoundField
    source: forms.BoundField
    version: forms.BoundField
    escalate: forms.BoundField | None
    escalation_reason: forms.BoundField | None
    # The record field a pre-answer reads, where the clinician checks or corrects it.
    record_url: str | None = None


class ChecklistSectionForm(ServiceErrorsMixin, forms.Form):
    """The answers of one section: a domain of the episode, or domain A for one trial."""

    def __init__(
        self,
        *args: Any,
        rows: Sequence[ItemRow],
        links: Mapping[str, str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = tuple(rows)
        self.links = links or {}
        for row in self.rows:
            code = row.code
            self.fields[f"answer_{code}"] = forms.ChoiceField(
                label="Answer",
                choices=AnswerChoice.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,
            )
            self.fields[f"evidence_{code}"] = forms.CharField(
                label="Evidence", max_length=TEXT_MAX, required=False
            )
            self.fields[f"source_{code}"] = forms.ChoiceField(
                label="Source",
                choices=[("", "—"), *EvidenceSource.choices],
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"version_{code}"] = forms.IntegerField(
                min_value=0, required=False, widget=forms.HiddenInput
            )
            if row.item.can_escalate:
                self.fields[f"escalate_{code}"] = forms.BooleanField(
                    label="Escalate to RED",
                    required=False,
                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                )
                self.fields[f"escalation_reason_{code}"] = forms.CharField(
                    label="Reason for escalating", max_length=TEXT_MAX, required=False
                )
            self.initial.update(_initial(row))

    def items(self) -> list[BoundItem]:
        """Return each item with its bound fields, for the template."""
        bound = []
        for row in self.rows:
            code = row.code
            escalates = row.item.can_escalate
            bound.append(
                BoundItem(
                    row=row,
                    answer=self[f"answer_{code}"],
                    evidence=self[f"evidence_{code}"],
                    source=self[f"source_{code}"],
                    version=self[f"version_{code}"],
                    escalate=self[f"escalate_{code}"] if escalates else None,
                    escalation_reason=self[f"escalation_reason_{code}"] if escalates else None,
                    record_url=self.links.get(code),
                )
            )
        return bound

    def answer_inputs(self, trial_id: int | None) -> list[AnswerInput]:
        """Return the answers to record, with any posted for items this section does not hold."""
        data = self.cleaned_data
        inputs = [
            AnswerInput(
                item_code=row.code,
                trial_id=trial_id,
                answer=data.get(f"answer_{row.code}") or "",
                evidence=data.get(f"evidence_{row.code}") or "",
                source=data.get(f"source_{row.code}") or "",
                escalated=bool(data.get(f"escalate_{row.code}")),
                escalation_reason=data.get(f"escalation_reason_{row.code}") or "",
                expected_version=data.get(f"version_{row.code}") or 0,
            )
            for row in self.rows
            if not self._untouched_pre_answer(row)
        ]
        known = {row.code for row in self.rows}
        prefix = self.add_prefix(ANSWER_PREFIX)
        for key in self.data:
            code = key[len(prefix) :] if key.startswith(prefix) else None
            if code and code not in known:
                inputs.append(
                    AnswerInput(item_code=code, trial_id=trial_id, answer=self.data.get(key, ""))
                )
        return inputs

    def _untouched_pre_answer(self, row: ItemRow) -> bool:
        """A pre-answer from the records posted as shown is not the clinician's answer.

        The whole page is one form, so every pre-answer is posted with it; recording them would
        turn them into answers that no longer follow the records.
        """
        if row.stored is not None or row.derived is None:
            return False
        data, shown = self.cleaned_data, _initial(row)
        return all(
            (data.get(name) or "") == (shown.get(name) or "")
            for name in (f"answer_{row.code}", f"source_{row.code}", f"evidence_{row.code}")
        ) and bool(data.get(f"escalate_{row.code}")) == bool(shown.get(f"escalate_{row.code}"))


def _initial(row: ItemRow) -> dict[str, object]:
    code = row.code
    stored, derived = row.stored, row.derived
    if stored is not None:
        return {
            f"answer_{code}": stored.answer,
            f"evidence_{code}": stored.evidence,
            f"source_{code}": stored.source,
            f"version_{code}": stored.version,
            f"escalate_{code}": stored.escalated,
            f"escalation_reason_{code}": stored.escalation_reason,
        }
    if derived is not None:
        return {
            f"answer_{code}": derived.answer.value,
            f"source_{code}": EvidenceSource.RECORD,
            f"version_{code}": 0,
            f"escalate_{code}": derived.escalate,
            f"escalation_reason_{code}": derived.escalation_reason,
        }
    return {f"version_{code}": 0}


# Each action's reason asks its own question, so no two boxes on a page read alike.
REASON_LABELS = {
    "release": "Why hand the case back",
    "close": "Why close the case",
    "reopen": "Why reopen the case",
}


class ReasonForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = REASON_LABELS.get(self.prefix or "", "Reason")


class FlagForm(ReasonForm):
    """Flag an episode as an impasse case by hand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why flag it for a supervisor's review"


class ReviewForm(ServiceErrorsMixin, forms.Form):
    findings = forms.CharField(
        max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    factors = forms.MultipleChoiceField(
        label="Pseudo-resistance factors to address",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    factors_note = forms.CharField(
        label="Other factors to address",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_steps = forms.CharField(
        label="Agreed next steps",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    follow_up_date = forms.DateField(required=False, widget=DateInput())
    safety_note = forms.CharField(
        label="How the suicide-item alert was addressed",
        help_text="Needed to sign off while a suicide-item alert of the last 90 days is open.",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, factor_choices: Iterable[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["factors"]).choices = list(factor_choices)

    def review_input(self) -> ReviewInput:
        data = self.cleaned_data
        return ReviewInput(
            findings=data["findings"],
            factors=tuple(data["factors"]),
            factors_note=data["factors_note"],
            next_steps=data["next_steps"],
            follow_up_date=data["follow_up_date"],
            safety_note=data["safety_note"],
        )


class QueueFilterForm(forms.Form):
    psychiatrist = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(
        required=False, choices=[("", QUEUE_STATE_DEFAULT), *CaseState.choices]
    )
    criterion = forms.ChoiceField(
        label="Why flagged",
        required=False,
        choices=[("", "Any reason"), *CriterionKind.choices],
    )

    def __init__(self, *args: Any, psychiatrists: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["psychiatrist"])
        field.choices = [("", "All psychiatrists"), *psychiatrists]

    def count_criteria(self, counts: Mapping[CriterionKind, int]) -> None:
        """Show how many of the listed cases each reason for flagging would leave."""
        field = cast(forms.ChoiceField, self.fields["criterion"])
        field.choices = [
            ("", "Any reason"),
            *((kind.value, f"{kind.label} ({counts.get(kind, 0)})") for kind in CriterionKind),
        ]


def _flag_field(name: str) -> Any:
    return ImpasseFlagRules._meta.get_field(name)


def _checkbox(name: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=_flag_field(name).verbose_name,
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class FlagRulesForm(ServiceErrorsMixin, forms.Form):
    """Which criteria open an impasse case on their own; the service validates and saves."""

    fda_ema_met = _checkbox("fda_ema_met")
    msm_enabled = _checkbox("msm_enabled")
    msm_min_score = forms.IntegerField(
        label=_flag_field("msm_min_score").verbose_name,
        help_text=_flag_field("msm_min_score").help_text,
    )
    red_concern = _checkbox("red_concern")
    long_episode_enabled = _checkbox("long_episode_enabled")
    long_episode_points = forms.TypedChoiceField(
        label="Episode",
        coerce=int,
        choices=LongEpisode.choices,
        help_text=_flag_field("long_episode_points").help_text,
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, rules: ImpasseFlagRules, version: int) -> dict[str, object]:
        """Return the form's values for the rules as stored (or the defaults)."""
        return {**{name: getattr(rules, name) for name in FLAG_RULE_FIELDS}, "version": version}

    def rules_input(self) -> FlagRulesInput:
        data = self.cleaned_data
        return FlagRulesInput(**{name: data[name] for name in FLAG_RULE_FIELDS})


YES_NO = [("yes", "Yes"), ("no", "No")]
# Asked of everyone; the others only after a yes (questions 3–5 after 2, the date after 6).
ALWAYS_ASKED = frozenset({"wish_to_be_dead", "suicidal_thoughts", "behaviour"})


def _yes_no(label: str, required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


class CssrsScreenForm(ServiceErrorsMixin, forms.Form):
    """The C-SSRS screener's six questions, yes or no, and the date it was done."""

    screened_on = forms.DateField(label="Date of the screen", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in QUESTIONS:
            self.fields[name] = _yes_no(label, name in ALWAYS_ASKED)
        self.fields["behaviour_past_3_months"] = _yes_no(
            f"If yes to 6: {BEHAVIOUR_RECENT.lower()}", False
        )

    def questions(self) -> list[forms.BoundField]:
        return [self[name] for name, _label in QUESTIONS] + [self["behaviour_past_3_months"]]

    def screen_input(self) -> ScreenInput:
        data = self.cleaned_data
        names = [name for name, _label in QUESTIONS] + ["behaviour_past_3_months"]
        answers = ScreenAnswers(**{name: data.get(name) == "yes" for name in names})
        return ScreenInput(screened_on=data["screened_on"], answers=answers)
