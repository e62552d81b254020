"""A clinic's default staging parameters (staging-models.md 1.4), one row per clinic.

The bounds are staging's own: `clean()` runs every value through the JSON reader's converters
and ranges (staging/jsonio.py), so the settings page and `manage.py stage` accept the same
values. Without a saved row a clinic stages with the spec's defaults.
"""

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

from staging.history import NonresponseRule, Params
from staging.jsonio import PARAMETER_FIELDS, PARAMETER_RANGES

from .base import Tracked, choices_valid
from .clinic import Clinic

SPEC_DEFAULTS = Params()
# Every Params field has a column of the same name; a test keeps the two lists equal.
PARAMETER_NAMES = tuple(field.name for field in fields(Params))
WEEKS_DIGITS = 5
WEEKS_PLACES = 2
_UNBOUNDED = re.compile(r"must be between (\S+) and inf$")
OWN_PARAMETERS_NOT_AN_OBJECT = "The episode's own staging parameters must be a set of named values."
UNKNOWN_OWN_PARAMETER = "{name!r} is not a staging parameter."


class NonresponseRuleChoice(models.TextChoices):
    LT50 = NonresponseRule.LT50.value, "Less than 50 % reduction (default)"
    LE25 = NonresponseRule.LE25.value, "25 % reduction or less (strict, MGH-ATRQ)"


def _range(name: str) -> models.Q:
    low, high = PARAMETER_RANGES[name]
    return models.Q(**{f"{name}__gte": low, f"{name}__lte": high})


def _not_negative(name: str) -> models.Q:
    return models.Q(**{f"{name}__gte": 0})


class ClinicStagingDefaultsManager(models.Manager["ClinicStagingDefaults"]):
    def for_clinic(self, clinic: Clinic) -> "ClinicStagingDefaults":
        """Return the clinic's saved defaults, or an unsaved row holding the spec's defaults."""
        saved = self.filter(clinic=clinic).first()
        return saved if saved is not None else ClinicStagingDefaults(clinic=clinic)


class ClinicStagingDefaults(Tracked):
    """The staging parameters a clinic's pages, reports and exports use unless told otherwise."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="staging_defaults")
    nonresponse_rule = models.CharField(
        max_length=4,
        choices=NonresponseRuleChoice.choices,
        default=SPEC_DEFAULTS.nonresponse_rule.value,
        verbose_name="a trial failed when the symptom reduction was",
        help_text="Partial responses (26–49 %) count as failures only under the default rule.",
    )
    ad_min_weeks = models.DecimalField(
        max_digits=WEEKS_DIGITS,
        decimal_places=WEEKS_PLACES,
        default=Decimal(SPEC_DEFAULTS.ad_min_weeks),
        verbose_name="minimum weeks at dose for an antidepressant trial",
        help_text="All models but the Canadian consensus.",
    )
    canadian_min_weeks = models.DecimalField(
        max_digits=WEEKS_DIGITS,
        decimal_places=WEEKS_PLACES,
        default=Decimal(SPEC_DEFAULTS.canadian_min_weeks),
        verbose_name="minimum weeks at dose, Canadian consensus",
        help_text="Rybak 2021: 4 to 6 weeks.",
    )
    aug_min_weeks = models.DecimalField(
        max_digits=WEEKS_DIGITS,
        decimal_places=WEEKS_PLACES,
        default=Decimal(SPEC_DEFAULTS.aug_min_weeks),
        verbose_name="minimum weeks for an augmentation",
    )
    ect_min_sessions = models.IntegerField(
        default=SPEC_DEFAULTS.ect_min_sessions, verbose_name="minimum ECT sessions"
    )
    rtms_min_sessions = models.IntegerField(
        default=SPEC_DEFAULTS.rtms_min_sessions, verbose_name="minimum rTMS sessions"
    )
    conway_psychotherapy_min_sessions = models.IntegerField(
        default=SPEC_DEFAULTS.conway_psychotherapy_min_sessions,
        verbose_name="minimum psychotherapy sessions attended, Conway",
    )
    markowitz_psychotherapy_min_sessions = models.IntegerField(
        default=SPEC_DEFAULTS.markowitz_psychotherapy_min_sessions,
        verbose_name="minimum psychotherapy sessions completed, Markowitz",
    )
    dmtrd_psychotherapy_min_sessions = models.IntegerField(
        default=SPEC_DEFAULTS.dmtrd_psychotherapy_min_sessions,
        verbose_name="minimum psychotherapy sessions, DM-TRD",
    )
    chronic_months = models.IntegerField(
        default=SPEC_DEFAULTS.chronic_months,
        verbose_name="months after onset from which the episode is called chronic",
        help_text="12 to 24; changes only the response profile's chronic label.",
    )
    dose_optimised_factor = models.DecimalField(
        max_digits=WEEKS_DIGITS,
        decimal_places=WEEKS_PLACES,
        default=Decimal(str(SPEC_DEFAULTS.dose_optimised_factor)),
        verbose_name="dose optimised from (× the minimum dose)",
        help_text="Used when a trial does not say whether its dose was optimised (MGH-s).",
    )
    duration_extended_weeks = models.DecimalField(
        max_digits=WEEKS_DIGITS,
        decimal_places=WEEKS_PLACES,
        default=Decimal(SPEC_DEFAULTS.duration_extended_weeks),
        verbose_name="duration extended from (weeks)",
        help_text="Used when a trial does not say whether its duration was extended (MGH-s).",
    )
    accept_rul_for_stage_V = models.BooleanField(
        default=SPEC_DEFAULTS.accept_rul_for_stage_V,
        verbose_name="right-unilateral ECT counts for Thase-Rush stage V",
    )
    trsm_order_based = models.BooleanField(
        default=SPEC_DEFAULTS.trsm_order_based,
        verbose_name="Thase-Rush follows the order in which trials were given",
    )
    msm_used_means_any_use = models.BooleanField(
        default=SPEC_DEFAULTS.msm_used_means_any_use,
        verbose_name="MSM counts any use of augmentation and ECT, adequate and failed or not",
    )
    conway_psychotherapy_schools_distinct = models.BooleanField(
        default=SPEC_DEFAULTS.conway_psychotherapy_schools_distinct,
        verbose_name="Conway counts psychotherapy schools as distinct classes",
    )
    markowitz_prospective_only = models.BooleanField(
        default=SPEC_DEFAULTS.markowitz_prospective_only,
        verbose_name="Markowitz leaves out medication outcomes that were recalled",
    )
    markowitz_require_combined = models.BooleanField(
        default=SPEC_DEFAULTS.markowitz_require_combined,
        verbose_name="Markowitz needs the psychotherapy given together with an antidepressant",
    )
    psychotic_requires_antipsychotic = models.BooleanField(
        default=SPEC_DEFAULTS.psychotic_requires_antipsychotic,
        verbose_name="with psychotic features, an antidepressant trial needs an antipsychotic",
    )
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[ClinicStagingDefaultsManager] = ClinicStagingDefaultsManager()

    class Meta:
        verbose_name = "clinic staging defaults"
        verbose_name_plural = "clinic staging defaults"
        constraints = [
            models.CheckConstraint(
                condition=choices_valid("nonresponse_rule", NonresponseRuleChoice.values),
                name="staging_defaults_rule_valid",
            ),
            models.CheckConstraint(
                condition=_range("chronic_months"), name="staging_defaults_chronic_months_range"
            ),
            models.CheckConstraint(
                condition=_range("canadian_min_weeks"),
                name="staging_defaults_canadian_weeks_range",
            ),
            models.CheckConstraint(
                condition=_not_negative("ad_min_weeks")
                & _not_negative("aug_min_weeks")
                & _not_negative("ect_min_sessions")
                & _not_negative("rtms_min_sessions")
                & _not_negative("conway_psychotherapy_min_sessions")
                & _not_negative("markowitz_psychotherapy_min_sessions")
                & _not_negative("dmtrd_psychotherapy_min_sessions")
                & _not_negative("dose_optimised_factor")
                & _not_negative("duration_extended_weeks"),
                name="staging_defaults_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="staging_defaults_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Staging defaults of {self.clinic}"

    def clean(self) -> None:
        """Check every value with the JSON reader's own converters and ranges."""
        errors: dict[str, list[ValidationError]] = {}
        for name, value in self._json_values().items():
            if value is None:
                continue  # the field's own validation reports a missing value
            try:
                converted = PARAMETER_FIELDS[name](value)
            except ValueError as error:
                errors[name] = [ValidationError(_sentence(str(error)), code="invalid_parameter")]
                continue
            bounds = PARAMETER_RANGES.get(name)
            if bounds is not None and not bounds[0] <= converted <= bounds[1]:
                message = _sentence(f"must be from {bounds[0]:g} to {bounds[1]:g}")
                errors[name] = [ValidationError(message, code="parameter_out_of_range")]
        if errors:
            raise ValidationError(errors)

    def _json_values(self) -> dict[str, Any]:
        """Return the values as the JSON reader gets them: numbers, booleans, codes."""
        values: dict[str, Any] = {}
        for name in PARAMETER_NAMES:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                # Whole numbers stay integers, as the JSON reader would read them (6, not 6.0).
                whole = value.is_finite() and value == value.to_integral_value()
                value = int(value) if whole else float(value)
            values[name] = value
        return values

    def params(self) -> Params:
        """Return these defaults as staging's parameters."""
        values = self._json_values()
        values["nonresponse_rule"] = NonresponseRule(values["nonresponse_rule"])
        return Params(**values)

    def apply(self, params: Params) -> None:
        """Set every column from staging parameters (not saved)."""
        for name in PARAMETER_NAMES:
            value = getattr(params, name)
            if isinstance(self._meta.get_field(name), models.DecimalField):
                # Through the shortest text form, so 1.5 stays 1.5.
                value = Decimal(repr(value))
            elif isinstance(value, NonresponseRule):
                value = value.value
            setattr(self, name, value)


def params_as_json(params: Params) -> dict[str, Any]:
    """Return every parameter as the JSON reader reads it: codes, numbers and booleans."""
    values = {name: getattr(params, name) for name in PARAMETER_NAMES}
    return {name: v.value if isinstance(v, Enum) else v for name, v in values.items()}


def own_parameters(params: Params, base: Params) -> dict[str, Any]:
    """Return the parameters that differ from `base`, as JSON values: what an episode keeps."""
    wanted, clinic = params_as_json(params), params_as_json(base)
    return {name: value for name, value in wanted.items() if value != clinic[name]}


def own_parameter_errors(own: object) -> list[str]:
    """Return why an episode's own parameters cannot be used (unknown, invalid, out of range)."""
    if not isinstance(own, Mapping):
        return [OWN_PARAMETERS_NOT_AN_OBJECT]
    errors = []
    for name, value in own.items():
        label = parameter_label(name) if name in PARAMETER_NAMES else None
        if label is None:
            errors.append(UNKNOWN_OWN_PARAMETER.format(name=name))
            continue
        try:
            converted = PARAMETER_FIELDS[name](value)
        except ValueError as error:
            errors.append(f"{label}: {_sentence(str(error))}")
            continue
        bounds = PARAMETER_RANGES.get(name)
        if bounds is not None and not bounds[0] <= converted <= bounds[1]:
            errors.append(f"{label}: {_sentence(f'must be from {bounds[0]:g} to {bounds[1]:g}')}")
    return errors


def with_own_parameters(base: Params, own: Mapping[str, Any]) -> Params:
    """Return `base` with an episode's own parameters (valid JSON values) in their place."""
    if not own:
        return base
    return replace(base, **{name: PARAMETER_FIELDS[name](value) for name, value in own.items()})


def parameter_value_text(value: object) -> str:
    """Return a parameter's value in clinic words: yes/no, the rule's label, plain numbers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, NonresponseRule):
        return str(NonresponseRuleChoice(value.value).label)
    if isinstance(value, float | int):
        return f"{value:g}"
    return str(value)


def own_parameters_text(own: Mapping[str, Any]) -> str | None:
    """Return an episode's own parameters as one line of clinic words (None when it has none)."""
    if not own:
        return None
    params = with_own_parameters(SPEC_DEFAULTS, own)
    return "; ".join(
        f"{parameter_label(name)}: {parameter_value_text(getattr(params, name))}"
        for name in PARAMETER_NAMES
        if name in own
    )


def parameter_label(name: str) -> str:
    """Return a parameter's label as the settings page shows it."""
    field = next(f for f in ClinicStagingDefaults._meta.concrete_fields if f.name == name)
    return capfirst(str(field.verbose_name))


def _sentence(message: str) -> str:
    """Return a reader's message ('must be from 4 to 6') as a form sentence."""
    # The reader states an open upper bound as "between 0 and inf".
    message = _UNBOUNDED.sub(r"must be at least \1", message)
    return f"{message[0].upper()}{message[1:]}."
