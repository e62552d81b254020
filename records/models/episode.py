from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CharField, Func
from django.db.models.lookups import Exact

from records import scales
from staging import history as staging

from .base import Tracked, choices_valid
from .patient import Patient
from .scale import SCALE_CHOICES, SCALE_CODES, score_errors
from .staging_defaults import own_parameter_errors

END_BEFORE_ONSET = "The episode cannot end before its onset."
SCORE_NEEDS_SCALE = "Choose the scale the baseline score was rated on."
ONE_CURRENT_EPISODE = "This patient already has a current episode."


# The codes are staging's (staging.history); records adds the words the forms show.
class SeverityCategory(models.TextChoices):
    SUBSYNDROMAL = staging.SeverityCategory.SUBSYNDROMAL.value, "Subsyndromal"
    MILD = staging.SeverityCategory.MILD.value, "Mild"
    MODERATE = staging.SeverityCategory.MODERATE.value, "Moderate"
    SEVERE = staging.SeverityCategory.SEVERE.value, "Severe"


class FunctionalImpairment(models.TextChoices):
    NONE = staging.FunctionalImpairment.NONE.value, "None"
    MILD = staging.FunctionalImpairment.MILD.value, "Mild"
    MODERATE = staging.FunctionalImpairment.MODERATE.value, "Moderate"
    SEVERE = staging.FunctionalImpairment.SEVERE.value, "Severe"


class Presence(models.TextChoices):
    NONE = staging.Presence.NONE.value, "None"
    PRESENT = staging.Presence.PRESENT.value, "Present"


class PersonalityDisorder(models.TextChoices):
    NONE = staging.PersonalityDisorder.NONE.value, "None"
    TRAITS = staging.PersonalityDisorder.TRAITS.value, "Traits"
    DISORDER = staging.PersonalityDisorder.DISORDER.value, "Disorder"


class Episode(Tracked):
    """A major depressive episode; the open one (no end date) is the patient's current episode.

    The DM-TRD context items are blank when not recorded (Django's convention for text codes).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    onset_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Blank while the episode lasts.")
    psychotic_features = models.BooleanField(default=False)
    mde_criteria_met = models.BooleanField(
        null=True, blank=True, verbose_name="DSM-5 MDE criteria met"
    )
    baseline_severity_category = models.CharField(
        max_length=20,
        choices=SeverityCategory.choices,
        blank=True,
        help_text="The clinician's specifier; when blank, staging derives it from the score.",
    )
    baseline_scale = models.CharField(max_length=20, choices=SCALE_CHOICES, blank=True)
    baseline_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    functional_impairment = models.CharField(
        max_length=20, choices=FunctionalImpairment.choices, blank=True
    )
    comorbid_anxiety = models.CharField(max_length=20, choices=Presence.choices, blank=True)
    personality_disorder = models.CharField(
        max_length=20, choices=PersonalityDisorder.choices, blank=True
    )
    psychosocial_stressors = models.CharField(max_length=20, choices=Presence.choices, blank=True)
    # The staging parameters this episode is staged with where they differ from its clinic's
    # defaults (history-format.md names and JSON values), e.g. kept from an imported history.
    staging_parameters = models.JSONField(
        default=dict, blank=True, verbose_name="own staging parameters"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["patient", "-onset_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("onset_date")),
                name="episode_end_not_before_onset",
                violation_error_message=END_BEFORE_ONSET,
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(end_date__isnull=True),
                name="episode_one_current_per_patient",
                violation_error_message=ONE_CURRENT_EPISODE,
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_score__isnull=True) | models.Q(baseline_score__gte=0),
                name="episode_baseline_score_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_score__isnull=True) | ~models.Q(baseline_scale=""),
                name="episode_baseline_score_has_scale",
                violation_error_message=SCORE_NEEDS_SCALE,
            ),
            models.CheckConstraint(
                condition=choices_valid(
                    "baseline_severity_category", SeverityCategory.values, blank=True
                ),
                name="episode_baseline_category_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("baseline_scale", SCALE_CODES, blank=True),
                name="episode_baseline_scale_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid(
                    "functional_impairment", FunctionalImpairment.values, blank=True
                ),
                name="episode_functional_impairment_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("comorbid_anxiety", Presence.values, blank=True),
                name="episode_comorbid_anxiety_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid(
                    "personality_disorder", PersonalityDisorder.values, blank=True
                ),
                name="episode_personality_disorder_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("psychosocial_stressors", Presence.values, blank=True),
                name="episode_psychosocial_stressors_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="episode_version_valid"
            ),
            # Named values only (records.models.staging_defaults.own_parameter_errors).
            models.CheckConstraint(
                condition=Exact(
                    Func("staging_parameters", function="jsonb_typeof", output_field=CharField()),
                    "object",
                ),
                name="episode_staging_parameters_object",
            ),
        ]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "current"
        return f"Episode {self.onset_date.isoformat()} – {end}"

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}
        if self.end_date is not None and self.onset_date and self.end_date < self.onset_date:
            errors["end_date"] = [ValidationError(END_BEFORE_ONSET, code="end_before_onset")]
        if self.baseline_score is not None and not self.baseline_scale:
            errors["baseline_scale"] = [ValidationError(SCORE_NEEDS_SCALE, code="score_no_scale")]
        if self.baseline_scale in SCALE_CODES:
            messages = score_errors(self.baseline_scale, self.baseline_score)
            if messages:
                errors["baseline_score"] = [
                    ValidationError(message, code="score_out_of_range") for message in messages
                ]
        parameter_errors = own_parameter_errors(self.staging_parameters)
        if parameter_errors:
            errors["staging_parameters"] = [
                ValidationError(message, code="invalid_parameter") for message in parameter_errors
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def baseline_category_for_staging(self) -> str | None:
        """Return the baseline category staging uses: the clinician's, else the score's (8.6)."""
        if self.baseline_severity_category:
            return self.baseline_severity_category
        if self.baseline_scale not in SCALE_CODES or self.baseline_score is None:
            return None
        code = scales.ScaleCode(self.baseline_scale)
        severity = scales.severity_for_staging(code, float(self.baseline_score))
        return None if severity is None else severity.value

    @property
    def is_current(self) -> bool:
        return self.end_date is None
