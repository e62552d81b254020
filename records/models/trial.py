import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from records import scales
from records.dose_steps import Step, StepEntry, steps_with_weeks, weeks_between
from records.identity import IdentityTextField
from records.wording import dose_text
from staging import history as staging

from .agent import Agent
from .base import Tracked, choices_valid
from .episode import Episode
from .scale import SCALE_CHOICES, SCALE_CODES, score_errors

# A data-entry guard against unit mix-ups (a dose typed in the level field), not a clinical rule:
# the US lithium label describes serum levels above 3 mEq/L (= mmol/L) as multi-organ toxicity.
SERUM_LEVEL_MAX_MMOL_PER_L = Decimal(3)
PERCENT_LIMIT = Decimal(100)

MUST_BE_POSITIVE = "Must be more than 0."
MUST_NOT_BE_NEGATIVE = "Cannot be negative."
TRIAL_NOTES_MAX_LENGTH = 2000
PERCENT_OUT_OF_RANGE = (
    "A percent reduction lies between −100 (symptoms doubled) and 100 (none left)."
)
SERUM_LEVEL_IMPLAUSIBLE = (
    "A serum lithium level lies between 0 and 3 mmol/L; check that this is a level, not a dose."
)
END_BEFORE_START = "The trial cannot end before it starts."
AGENT_CATALOGUED_AND_NAMED = "Choose a catalogued agent or type a name, not both."
UNKNOWN_AGENT_NEEDS_CLASS = "{agent} is not in the catalogue: give its class."
PERCENT_OR_SCORES = "Give the outcome as a percent reduction or as scale scores, not both."
SCORES_NEED_SCALE = "Choose the scale these outcome scores were rated on."
OVERRIDE_NEEDS_REASON = "Say why the adequacy is overridden."
AUGMENTS_ITSELF = "A trial cannot be added to itself."
STEPS_FOR_MEDICATION = "Dose steps are for a medication course: remove them for this kind."
STEPS_NEED_TWO = "One dose needs no steps: give it as the dose, or add the step it changed to."
STEPS_REPLACE_DOSE = (
    "With dose steps, the dose and weeks at dose come from the steps: leave {field} empty."
)
STEP_NEEDS_WHEN = "Step {number}: give the date it started or its weeks."
STEP_BEFORE_START = "Step {number} starts before the trial starts."
STEP_AFTER_END = "Step {number} starts after the trial ends."
STEPS_OUT_OF_ORDER = "Step {number} starts before the step above it: list the steps in order."
# The dose and weeks columns' own limits, so a step holds what a dose and its weeks can.
STEP_DOSE_LIMIT = Decimal(10**6)
STEP_DOSE_OUT_OF_RANGE = "Step {number}: the dose must be more than 0 and below 1,000,000 mg/day."
STEP_WEEKS_LIMIT = Decimal(1000)
STEP_WEEKS_OUT_OF_RANGE = "Step {number}: the weeks must be 0 or more and below 1,000."
STEP_MALFORMED = "The dose steps could not be read: enter them again."
# What was given, as the patient page and the report both show it (amount_text).
DOSE_PER_DAY = "{dose} mg/day"
SERUM_LEVEL = "serum {level} mmol/L"
SESSIONS = "{sessions} sessions"
WEEKS = "{weeks} weeks"
AMOUNT_SEPARATOR = " · "
STEPS_SEPARATOR = " → "


def validate_positive(value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(MUST_BE_POSITIVE, code="not_positive")


class TrialKind(models.TextChoices):
    ANTIDEPRESSANT = staging.TrialKind.ANTIDEPRESSANT.value, "Antidepressant"
    COMBINATION = staging.TrialKind.COMBINATION.value, "Combination (second antidepressant)"
    AUGMENTATION = staging.TrialKind.AUGMENTATION.value, "Augmentation"
    PSYCHOTHERAPY = staging.TrialKind.PSYCHOTHERAPY.value, "Psychotherapy"
    ECT = staging.TrialKind.ECT.value, "ECT"
    RTMS = staging.TrialKind.RTMS.value, "rTMS"
    ESKETAMINE = staging.TrialKind.ESKETAMINE.value, "Esketamine"
    KETAMINE = staging.TrialKind.KETAMINE.value, "Ketamine"
    INPATIENT_ADMISSION = staging.TrialKind.INPATIENT_ADMISSION.value, "Inpatient admission"
    DAY_TREATMENT = staging.TrialKind.DAY_TREATMENT.value, "Day treatment"


# Kinds whose agent is a medicine, so an uncatalogued agent needs its class.
MEDICATION_KINDS = frozenset(
    {TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION, TrialKind.AUGMENTATION}
)
# Kinds judged by weeks of treatment, so empty weeks are counted from the dates.
WEEKS_KINDS = MEDICATION_KINDS | {TrialKind.ESKETAMINE}


class Adherence(models.TextChoices):
    GOOD = staging.Adherence.GOOD.value, "Good (≥ 80 % of doses or sessions)"
    POOR = staging.Adherence.POOR.value, "Poor"


class Placement(models.TextChoices):
    BITEMPORAL = staging.Placement.BITEMPORAL.value, "Bitemporal"
    BIFRONTAL = staging.Placement.BIFRONTAL.value, "Bifrontal"
    RUL = staging.Placement.RUL.value, "Right unilateral"


class TrialOutcome(models.TextChoices):
    SWITCH_TO_HYPOMANIA = staging.TrialOutcome.SWITCH_TO_HYPOMANIA.value, "Switch to hypomania"
    SWITCH_TO_MANIA = staging.TrialOutcome.SWITCH_TO_MANIA.value, "Switch to mania"


class ReasonStopped(models.TextChoices):
    INEFFECTIVE = "ineffective", "Ineffective"
    ADVERSE_EFFECTS = "adverse_effects", "Adverse effects"
    PATIENT_CHOICE = "patient_choice", "Patient choice"
    COST = "cost", "Cost"
    REMISSION = "remission", "Remission"
    OTHER = "other", "Other"


class InformationSource(models.TextChoices):
    RECORDS = "records", "Medical records"
    PHARMACY = "pharmacy", "Pharmacy records"
    PATIENT_RECALL = "patient_recall", "Patient recall"


def _null_or(field: str, **condition: object) -> models.Q:
    return models.Q(**{f"{field}__isnull": True}) | models.Q(**condition)


class TreatmentTrial(Tracked):
    """One treatment course of an episode, in the shape of the ATHF and history-format.md.

    Adequacy is computed by staging/ through records/history.py and never stored; a clinician's
    override is kept beside it, never in its place.
    """

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="trials")
    code = models.CharField(
        max_length=20, verbose_name="trial id", help_text="Stable id, e.g. T3, used in exports."
    )
    seq = models.PositiveIntegerField(verbose_name="sequence")
    kind = models.CharField(max_length=30, choices=TrialKind.choices)
    in_previous_episode = models.BooleanField(
        default=False,
        verbose_name="given in an earlier episode",
        help_text="Recorded with this episode's history but given in an earlier episode.",
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="trials", null=True, blank=True
    )
    agent_name = IdentityTextField(
        max_length=100,
        blank=True,
        help_text="Only for an agent, modality or procedure not in the catalogue.",
    )
    drug_class = models.CharField(
        max_length=40, blank=True, verbose_name="class", help_text="Only for an uncatalogued agent."
    )
    dose_mg_per_day = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[validate_positive],
        verbose_name="dose (mg/day)",
        help_text="Sustained daily dose; liothyronine (T3) in mg: 25 µg = 0.025.",
    )
    dose_mg_per_session = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[validate_positive],
        verbose_name="dose (mg/session)",
    )
    serum_level_mmol_per_l = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0, SERUM_LEVEL_IMPLAUSIBLE),
            MaxValueValidator(SERUM_LEVEL_MAX_MMOL_PER_L, SERUM_LEVEL_IMPLAUSIBLE),
        ],
        verbose_name="serum level (mmol/L)",
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    weeks = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, MUST_NOT_BE_NEGATIVE)],
        verbose_name="weeks at dose",
        help_text="Weeks at or above the dose; left empty, it is counted from the dates.",
    )
    weeks_reason = models.TextField(
        blank=True,
        max_length=TRIAL_NOTES_MAX_LENGTH,
        verbose_name="why the weeks differ from the dates",
        help_text="E.g. a gap in treatment; needed when the weeks are fewer than the dates give.",
    )
    # The steps of a titrated course, in order: [{"dose_mg_per_day": "50",
    # "start_date": "2025-01-06" or null, "weeks": "4" or null}]. Kept on the trial row, not a
    # child table, so a step change is a trial change (one version, one audit event) and every
    # page that loads trials has them without another query (docs/clinical-rules.md).
    dose_steps = models.JSONField(default=list, blank=True)
    sessions = models.IntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0, MUST_NOT_BE_NEGATIVE)],
        verbose_name="attended sessions",
    )
    electrode_placement = models.CharField(max_length=20, choices=Placement.choices, blank=True)
    therapy_type = models.CharField(max_length=40, blank=True)
    therapist_trained = models.BooleanField(null=True, blank=True)
    adherence = models.CharField(max_length=10, choices=Adherence.choices, blank=True)
    percent_symptom_reduction = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(-PERCENT_LIMIT, PERCENT_OUT_OF_RANGE),
            MaxValueValidator(PERCENT_LIMIT, PERCENT_OUT_OF_RANGE),
        ],
    )
    outcome_scale = models.CharField(max_length=20, choices=SCALE_CHOICES, blank=True)
    outcome_baseline_score = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    outcome_end_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=TrialOutcome.choices, blank=True)
    reason_stopped = models.CharField(max_length=30, choices=ReasonStopped.choices, blank=True)
    notes = models.TextField(
        blank=True,
        max_length=TRIAL_NOTES_MAX_LENGTH,
        help_text="Anything the fields above do not hold: tolerability, why it was changed …",
    )
    augments = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="strengthened_by",
        null=True,
        blank=True,
        verbose_name="added to",
        help_text="The trial this one was added to or given with.",
    )
    information_source = models.CharField(
        max_length=20, choices=InformationSource.choices, blank=True
    )
    prospective = models.BooleanField(
        null=True, blank=True, help_text="No: the outcome was recalled, not rated at the time."
    )
    last_confirmed_on = models.DateField(null=True, blank=True)
    dose_optimised = models.BooleanField(null=True, blank=True)
    duration_extended = models.BooleanField(null=True, blank=True)
    override_adequate = models.BooleanField(null=True, blank=True, verbose_name="adequacy override")
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    override_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["episode", "start_date", "seq"]
        indexes = [models.Index(fields=["episode", "start_date"], name="trial_episode_start_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "code"], name="trial_code_unique_in_episode"
            ),
            models.UniqueConstraint(fields=["episode", "seq"], name="trial_seq_unique_in_episode"),
            models.CheckConstraint(
                condition=choices_valid("kind", TrialKind.values), name="trial_kind_valid"
            ),
            models.CheckConstraint(
                condition=choices_valid("adherence", Adherence.values, blank=True),
                name="trial_adherence_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("electrode_placement", Placement.values, blank=True),
                name="trial_placement_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("outcome", TrialOutcome.values, blank=True),
                name="trial_outcome_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("reason_stopped", ReasonStopped.values, blank=True),
                name="trial_reason_stopped_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("information_source", InformationSource.values, blank=True),
                name="trial_information_source_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("outcome_scale", SCALE_CODES, blank=True),
                name="trial_outcome_scale_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(agent__isnull=True) | models.Q(agent_name=""),
                name="trial_agent_catalogued_or_named",
                violation_error_message=AGENT_CATALOGUED_AND_NAMED,
            ),
            models.CheckConstraint(
                condition=_null_or("end_date", end_date__gte=models.F("start_date")),
                name="trial_end_not_before_start",
                violation_error_message=END_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=_null_or("dose_mg_per_day", dose_mg_per_day__gt=0),
                name="trial_dose_positive",
            ),
            models.CheckConstraint(
                condition=_null_or("dose_mg_per_session", dose_mg_per_session__gt=0),
                name="trial_session_dose_positive",
            ),
            models.CheckConstraint(
                condition=_null_or("weeks", weeks__gte=0), name="trial_weeks_not_negative"
            ),
            models.CheckConstraint(
                condition=_null_or("sessions", sessions__gte=0), name="trial_sessions_not_negative"
            ),
            models.CheckConstraint(
                condition=_null_or(
                    "percent_symptom_reduction",
                    percent_symptom_reduction__range=(-PERCENT_LIMIT, PERCENT_LIMIT),
                ),
                name="trial_percent_in_range",
            ),
            models.CheckConstraint(
                condition=_null_or(
                    "serum_level_mmol_per_l",
                    serum_level_mmol_per_l__range=(0, SERUM_LEVEL_MAX_MMOL_PER_L),
                ),
                name="trial_serum_level_plausible",
            ),
            models.CheckConstraint(
                condition=_null_or("outcome_baseline_score", outcome_baseline_score__gte=0)
                & _null_or("outcome_end_score", outcome_end_score__gte=0),
                name="trial_outcome_scores_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_symptom_reduction__isnull=True)
                | models.Q(outcome_baseline_score__isnull=True, outcome_end_score__isnull=True),
                name="trial_outcome_percent_or_scores",
                violation_error_message=PERCENT_OR_SCORES,
            ),
            models.CheckConstraint(
                condition=models.Q(
                    outcome_baseline_score__isnull=True, outcome_end_score__isnull=True
                )
                | ~models.Q(outcome_scale=""),
                name="trial_outcome_scores_have_scale",
                violation_error_message=SCORES_NEED_SCALE,
            ),
            models.CheckConstraint(
                condition=~models.Q(augments=models.F("pk")), name="trial_augments_not_itself"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    override_adequate__isnull=True,
                    override_reason="",
                    override_by__isnull=True,
                    override_at__isnull=True,
                )
                | (
                    models.Q(
                        override_adequate__isnull=False,
                        override_by__isnull=False,
                        override_at__isnull=False,
                    )
                    & ~models.Q(override_reason="")
                ),
                name="trial_override_complete",
                violation_error_message=OVERRIDE_NEEDS_REASON,
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="trial_version_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.agent_label} ({self.get_kind_display()})"

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message: str, code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

        if self.end_date is not None and self.start_date and self.end_date < self.start_date:
            add("end_date", END_BEFORE_START, "end_before_start")
        if self.agent_id is not None and self.agent_name:
            add("agent_name", AGENT_CATALOGUED_AND_NAMED, "agent_twice")
        if (
            self.kind in MEDICATION_KINDS
            and self.agent_id is None
            and self.agent_name
            and not self.drug_class
        ):
            add(
                "drug_class",
                UNKNOWN_AGENT_NEEDS_CLASS.format(agent=self.agent_name),
                "unknown_agent_class",
            )
        scored = self.outcome_baseline_score is not None or self.outcome_end_score is not None
        if scored and self.percent_symptom_reduction is not None:
            add("percent_symptom_reduction", PERCENT_OR_SCORES, "percent_and_scores")
        if scored and not self.outcome_scale:
            add("outcome_scale", SCORES_NEED_SCALE, "scores_without_scale")
        if self.outcome_scale in SCALE_CODES:
            for field in ("outcome_baseline_score", "outcome_end_score"):
                for message in score_errors(self.outcome_scale, getattr(self, field)):
                    add(field, message, "score_out_of_range")
        if self.override_adequate is not None and not self.override_reason.strip():
            add("override_reason", OVERRIDE_NEEDS_REASON, "override_without_reason")
        if self.pk is not None and self.augments_id == self.pk:
            add("augments", AUGMENTS_ITSELF, "augments_itself")
        for message, code in self._step_errors():
            add("dose_steps", message, code)
        if errors:
            raise ValidationError(errors)

    def _step_errors(self) -> list[tuple[str, str]]:
        try:
            entries = self.step_entries
        except (TypeError, ValueError, KeyError, ArithmeticError):
            return [(STEP_MALFORMED, "steps_malformed")]
        if not entries:
            return []
        found: list[tuple[str, str]] = []
        if self.kind not in MEDICATION_KINDS:
            found.append((STEPS_FOR_MEDICATION, "steps_not_medication"))
        if len(entries) == 1:
            found.append((STEPS_NEED_TWO, "one_step"))
        for field, label in (("dose_mg_per_day", "the dose"), ("weeks", "the weeks at dose")):
            if getattr(self, field) is not None:
                found.append((STEPS_REPLACE_DOSE.format(field=label), "steps_and_dose"))
        previous: datetime.date | None = None
        for number, entry in enumerate(entries, start=1):
            if not 0 < entry.dose_mg_per_day < STEP_DOSE_LIMIT:
                found.append((STEP_DOSE_OUT_OF_RANGE.format(number=number), "step_dose_range"))
            if entry.weeks is not None and not 0 <= entry.weeks < STEP_WEEKS_LIMIT:
                found.append((STEP_WEEKS_OUT_OF_RANGE.format(number=number), "step_weeks_range"))
            start = entry.start_date
            if start is None:
                if entry.weeks is None and not (number == 1 and self.start_date):
                    found.append((STEP_NEEDS_WHEN.format(number=number), "step_when"))
                continue
            if self.start_date and start < self.start_date:
                found.append((STEP_BEFORE_START.format(number=number), "step_before_start"))
            if self.end_date and start > self.end_date:
                found.append((STEP_AFTER_END.format(number=number), "step_after_end"))
            if previous is not None and start < previous:
                found.append((STEPS_OUT_OF_ORDER.format(number=number), "steps_out_of_order"))
            previous = start
        return found

    @property
    def step_entries(self) -> list[StepEntry]:
        """Return the dose steps as entered; the first starts with the trial unless dated."""
        entries = []
        for index, step in enumerate(self.dose_steps or []):
            start = step.get("start_date")
            weeks = step.get("weeks")
            start_date = datetime.date.fromisoformat(start) if start else None
            if index == 0 and start_date is None and weeks is None:
                start_date = self.start_date
            entries.append(
                StepEntry(
                    dose_mg_per_day=Decimal(step["dose_mg_per_day"]),
                    start_date=start_date,
                    weeks=None if weeks is None else Decimal(weeks),
                )
            )
        return entries

    @property
    def weeks_from_dates(self) -> Decimal | None:
        """Return the weeks from the start to the end date, None for an open course."""
        if self.start_date is None or self.end_date is None or self.end_date < self.start_date:
            return None
        return weeks_between(self.start_date, self.end_date)

    @property
    def counted_weeks(self) -> Decimal | None:
        """Return the weeks at dose as stated, else from the dates where weeks apply."""
        if self.weeks is not None:
            return self.weeks
        return self.weeks_from_dates if self.kind in WEEKS_KINDS else None

    def steps(self) -> list[Step]:
        """Return the dose steps with their weeks, from stated weeks or the dates."""
        return steps_with_weeks(self.step_entries, end_date=self.end_date)

    def amount_text(self, *, weeks: bool) -> str:
        """Return what was given (dose, serum level, sessions; weeks when asked); "" for none."""
        parts = []
        if self.dose_steps:
            parts.append(
                STEPS_SEPARATOR.join(_plain(step.dose_mg_per_day) for step in self.steps())
            )
            parts[-1] = DOSE_PER_DAY.format(dose=parts[-1])
        if self.dose_mg_per_day is not None:
            parts.append(dose_text(self.dose_mg_per_day))
        if self.serum_level_mmol_per_l is not None:
            parts.append(SERUM_LEVEL.format(level=_plain(self.serum_level_mmol_per_l)))
        if self.dose_mg_per_session is not None:
            parts.append(dose_text(self.dose_mg_per_session, per="session"))
        if self.sessions is not None:
            parts.append(SESSIONS.format(sessions=self.sessions))
        if weeks and self.counted_weeks is not None:
            parts.append(WEEKS.format(weeks=_plain(self.counted_weeks)))
        return AMOUNT_SEPARATOR.join(parts)

    @property
    def agent_label(self) -> str:
        """Return the agent's name as the clinic sees it, catalogued or typed."""
        if self.agent is not None:
            return self.agent.name
        return self.agent_name or self.therapy_type or self.get_kind_display()

    @property
    def class_label(self) -> str:
        """Return the class: the catalogue's for a catalogued agent (staging-models.md 12.5)."""
        return self.agent.drug_class if self.agent is not None else self.drug_class

    @property
    def has_override(self) -> bool:
        return self.override_adequate is not None

    @property
    def outcome_from_scores(self) -> scales.Outcome | None:
        """Return the outcome of the baseline and end scores, when the trial has both."""
        baseline, end = self.outcome_baseline_score, self.outcome_end_score
        if not self.outcome_scale or baseline is None or end is None:
            return None
        return scales.outcome_category(
            scales.ScaleCode(self.outcome_scale), float(baseline), float(end)
        )

    @property
    def percent_reduction(self) -> float | None:
        """Return the percent symptom reduction, entered or derived from the scale scores."""
        if self.percent_symptom_reduction is not None:
            return float(self.percent_symptom_reduction)
        outcome = self.outcome_from_scores
        return None if outcome is None else outcome.percent_change


def _plain(value: Decimal) -> str:
    """Return a decimal without trailing zeros or exponent (8.50 → 8.5)."""
    return f"{Decimal(value).normalize():f}"
