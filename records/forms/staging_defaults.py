"""The clinic's staging defaults form: field shape only; staging's own reader checks the bounds."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from records.models import ClinicStagingDefaults
from staging.history import Params

from .common import INTEGER_MAX, ServiceErrorsForm, model_field

SAVE_LABEL = "Save staging defaults"
# The settings page's sections; together they hold every parameter (a test checks this).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("When a trial counts as failed", ("nonresponse_rule",)),
    ("Minimum durations", ("ad_min_weeks", "canadian_min_weeks", "aug_min_weeks")),
    (
        "Minimum sessions",
        (
            "ect_min_sessions",
            "rtms_min_sessions",
            "conway_psychotherapy_min_sessions",
            "markowitz_psychotherapy_min_sessions",
            "dmtrd_psychotherapy_min_sessions",
        ),
    ),
    ("Chronic course", ("chronic_months",)),
    (
        "MGH-s, when a trial does not say whether it was optimised",
        ("dose_optimised_factor", "duration_extended_weeks"),
    ),
    (
        "Readings of the models",
        (
            "accept_rul_for_stage_V",
            "trsm_order_based",
            "msm_used_means_any_use",
            "conway_psychotherapy_schools_distinct",
            "markowitz_prospective_only",
            "markowitz_require_combined",
            "psychotic_requires_antipsychotic",
        ),
    ),
)
FIELDS = tuple(name for _, names in SECTIONS for name in names)


class ClinicStagingDefaultsForm(ServiceErrorsForm):
    """Every staging parameter a clinic may set, grouped as the settings page shows them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[name] = model_field(ClinicStagingDefaults, name)
        # 0 while the clinic is on the published defaults (no saved row yet).
        self.fields["version"] = forms.IntegerField(
            min_value=0, max_value=INTEGER_MAX, widget=forms.HiddenInput
        )
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_method = "post"
        self.helper.attrs = {"novalidate": True, "data-testid": "staging-defaults-form"}
        self.helper.layout = Layout(
            *(Fieldset(title, *names) for title, names in SECTIONS),
            "version",
            Submit("save", SAVE_LABEL),
        )

    @classmethod
    def initial_for(cls, defaults: ClinicStagingDefaults, version: int) -> dict[str, Any]:
        """Return the form's initial values: the clinic's parameters and the version loaded."""
        return {**{name: getattr(defaults, name) for name in FIELDS}, "version": version}

    def to_params(self) -> Params:
        """Return the entered values as staging parameters."""
        values = {name: self.cleaned_data[name] for name in FIELDS}
        return ClinicStagingDefaults(**values).params()


EPISODE_SAVE_LABEL = "Stage this episode with these parameters"


class EpisodeStagingParametersForm(ClinicStagingDefaultsForm):
    """The parameters one episode is staged with; the clinic's defaults are the starting values."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper.attrs = {"novalidate": True, "data-testid": "episode-parameters-form"}
        self.helper.layout = Layout(
            *(Fieldset(title, *names) for title, names in SECTIONS),
            "version",
            Submit("save", EPISODE_SAVE_LABEL),
        )

    @classmethod
    def initial_for_params(cls, params: Params, version: int) -> dict[str, Any]:
        """Return the form's initial values: the episode's parameters and the version loaded."""
        values = ClinicStagingDefaults()
        values.apply(params)
        return cls.initial_for(values, version)
