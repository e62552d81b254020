"""A clinic's default staging parameters: the model, the service, the settings page."""

from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from records.access import access_for_user
from records.forms.staging_defaults import FIELDS, ClinicStagingDefaultsForm
from records.history import default_params
from records.models import AuditAction, AuditEvent, ClinicStagingDefaults
from records.models.staging_defaults import PARAMETER_NAMES
from records.services import StaleEditError
from records.services.staging_defaults import (
    OBJECT_TYPE,
    clinic_staging_defaults_update,
    clinic_staging_defaults_validate,
)
from staging.history import NonresponseRule, Params
from staging.jsonio import PARAMETER_RANGES

from .test_staging_page import assessed, vignette_patient

URL = "records:clinic-staging-defaults"


def posted(params: Params, version: int, **overrides: Any) -> dict[str, Any]:
    """Return the settings form's POST data for these parameters."""
    data: dict[str, Any] = {"version": version}
    for name in FIELDS:
        value = getattr(params, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for name, value in overrides.items():
        data[name] = value
    return data


def test_every_staging_parameter_has_a_column_and_a_form_field():
    assert set(PARAMETER_NAMES) == {field.name for field in fields(Params)}
    assert sorted(FIELDS) == sorted(PARAMETER_NAMES)
    assert set(ClinicStagingDefaultsForm().fields) == {*PARAMETER_NAMES, "version"}


def test_unsaved_defaults_are_the_spec_defaults(clinic):
    assert ClinicStagingDefaults(clinic=clinic).params() == Params()
    assert default_params(clinic) == Params()
    assert default_params(None) == Params()


def test_saved_defaults_are_what_default_params_returns(clinic, clinic_admin):
    wanted = replace(
        Params(),
        nonresponse_rule=NonresponseRule.LE25,
        canadian_min_weeks=5.5,
        chronic_months=12,
        accept_rul_for_stage_V=True,
        dose_optimised_factor=1.75,
    )
    clinic_staging_defaults_update(
        acting_user=clinic_admin, clinic_id=clinic.pk, data=wanted, expected_version=0
    )
    clinic.refresh_from_db()
    assert default_params(clinic) == wanted


def test_first_change_is_audited_from_the_spec_defaults(clinic, clinic_admin):
    defaults = clinic_staging_defaults_update(
        acting_user=clinic_admin,
        clinic_id=clinic.pk,
        data=replace(Params(), nonresponse_rule=NonresponseRule.LE25, ect_min_sessions=9),
        expected_version=0,
    )
    event = AuditEvent.objects.get(object_type=OBJECT_TYPE)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.CREATE,
        clinic_admin.pk,
        clinic.pk,
    )
    assert (event.object_id, event.object_version) == (defaults.pk, 1)
    assert event.changes == {
        "nonresponse_rule": [
            "Less than 50 % reduction (default)",
            "25 % reduction or less (strict, MGH-ATRQ)",
        ],
        "ect_min_sessions": ["7", "9"],
    }


def test_later_change_is_audited_old_to_new_and_bumps_the_version(clinic, clinic_admin):
    first = replace(Params(), ad_min_weeks=8)
    clinic_staging_defaults_update(
        acting_user=clinic_admin, clinic_id=clinic.pk, data=first, expected_version=0
    )
    defaults = clinic_staging_defaults_update(
        acting_user=clinic_admin,
        clinic_id=clinic.pk,
        data=replace(first, ad_min_weeks=6.5, markowitz_prospective_only=True),
        expected_version=1,
    )
    assert defaults.version == 2
    event = AuditEvent.objects.filter(object_type=OBJECT_TYPE).order_by("id").last()
    assert event.action == AuditAction.UPDATE
    assert event.changes == {
        "ad_min_weeks": ["8", "6.5"],
        "markowitz_prospective_only": ["no", "yes"],
    }


def test_saving_the_same_values_writes_nothing(clinic, clinic_admin):
    clinic_staging_defaults_update(
        acting_user=clinic_admin, clinic_id=clinic.pk, data=Params(), expected_version=0
    )
    assert not ClinicStagingDefaults.objects.exists()
    assert not AuditEvent.objects.filter(object_type=OBJECT_TYPE).exists()


def test_stale_edit_is_refused_naming_the_change_made_meanwhile(clinic, clinic_admin, member):
    other_admin = member("clinic_admin")
    clinic_staging_defaults_update(
        acting_user=other_admin,
        clinic_id=clinic.pk,
        data=replace(Params(), chronic_months=18),
        expected_version=0,
    )
    with pytest.raises(StaleEditError) as refused:
        clinic_staging_defaults_update(
            acting_user=clinic_admin,
            clinic_id=clinic.pk,
            data=replace(Params(), ect_min_sessions=10),
            expected_version=0,
        )
    assert other_admin.username in refused.value.messages[0]
    assert "24 → 18" in refused.value.messages[0]
    assert ClinicStagingDefaults.objects.get(clinic=clinic).ect_min_sessions == 7


@pytest.mark.parametrize("role", ["psychiatrist", "supervisor"])
def test_only_clinic_admins_may_change_the_defaults(clinic, member, role):
    with pytest.raises(PermissionDenied):
        clinic_staging_defaults_update(
            acting_user=member(role),
            clinic_id=clinic.pk,
            data=replace(Params(), chronic_months=12),
            expected_version=0,
        )
    assert not ClinicStagingDefaults.objects.exists()


def test_admin_of_another_clinic_gets_404(clinic, member, other_clinic):
    stranger_admin = member("clinic_admin", in_clinic=other_clinic)
    with pytest.raises(Http404):
        clinic_staging_defaults_update(
            acting_user=stranger_admin,
            clinic_id=clinic.pk,
            data=replace(Params(), chronic_months=12),
            expected_version=0,
        )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("canadian_min_weeks", 7, "Must be from 4 to 6."),
        ("canadian_min_weeks", 3.5, "Must be from 4 to 6."),
        ("chronic_months", 25, "Must be from 12 to 24."),
        ("chronic_months", 11, "Must be from 12 to 24."),
        ("ad_min_weeks", -1, "Must be at least 0."),
        ("ect_min_sessions", -2, "Must not be negative."),
    ],
)
def test_service_checks_the_json_readers_bounds(clinic, clinic_admin, name, value, message):
    with pytest.raises(ValidationError) as refused:
        clinic_staging_defaults_update(
            acting_user=clinic_admin,
            clinic_id=clinic.pk,
            data=replace(Params(), **{name: value}),
            expected_version=0,
        )
    assert refused.value.message_dict == {name: [message]}
    with pytest.raises(ValidationError):
        clinic_staging_defaults_validate(
            clinic_id=clinic.pk, data=replace(Params(), **{name: value})
        )
    assert not ClinicStagingDefaults.objects.exists()


def test_bounds_come_from_the_json_reader():
    # The database constraints use the same ranges as `manage.py stage`.
    constraints = {c.name: c for c in ClinicStagingDefaults._meta.constraints}
    low, high = PARAMETER_RANGES["chronic_months"]
    assert str(low) in str(constraints["staging_defaults_chronic_months_range"].condition)
    assert str(high) in str(constraints["staging_defaults_chronic_months_range"].condition)


def test_settings_page_shows_the_published_defaults_to_an_admin(clinic_admin, signed_in):
    response = signed_in(clinic_admin).get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This clinic uses the published defaults." in html
    assert 'data-testid="staging-defaults-form"' in html
    form = response.context["form"]
    assert form.initial["version"] == 0
    assert form.initial["canadian_min_weeks"] == Decimal(4)


@pytest.mark.parametrize("role", ["psychiatrist", "supervisor"])
def test_settings_page_is_403_for_other_roles(member, signed_in, role):
    client = signed_in(member(role))
    assert client.get(reverse(URL)).status_code == 403
    response = client.post(reverse(URL), posted(Params(), 0, chronic_months="12"))
    assert response.status_code == 403
    assert not ClinicStagingDefaults.objects.exists()


def test_settings_form_saves_audits_and_redirects(clinic, clinic_admin, signed_in):
    client = signed_in(clinic_admin)
    response = client.post(
        reverse(URL), posted(Params(), 0, nonresponse_rule="le25", chronic_months="18")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(URL)
    saved = ClinicStagingDefaults.objects.get(clinic=clinic)
    assert (saved.nonresponse_rule, saved.chronic_months) == ("le25", 18)
    assert AuditEvent.objects.get(object_type=OBJECT_TYPE).actor_id == clinic_admin.pk
    page = client.get(reverse(URL)).content.decode()
    assert "Staging defaults saved" in page
    assert "Last changed by" in page


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"canadian_min_weeks": "7"}, {"canadian_min_weeks": ["Must be from 4 to 6."]}),
        ({"chronic_months": "30"}, {"chronic_months": ["Must be from 12 to 24."]}),
        ({"ad_min_weeks": "-1"}, {"ad_min_weeks": ["Must be at least 0."]}),
        ({"rtms_min_sessions": "-3"}, {"rtms_min_sessions": ["Must not be negative."]}),
        ({"nonresponse_rule": "lt75"}, {"nonresponse_rule": None}),
        ({"aug_min_weeks": "four"}, {"aug_min_weeks": None}),
    ],
)
def test_settings_form_shows_field_errors_and_saves_nothing(
    clinic_admin, signed_in, overrides, errors
):
    response = signed_in(clinic_admin).post(reverse(URL), posted(Params(), 0, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == set(errors)
    for name, messages in errors.items():
        if messages is not None:
            assert form.errors[name] == messages
            assert messages[0] in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not ClinicStagingDefaults.objects.exists()
    assert not AuditEvent.objects.filter(object_type=OBJECT_TYPE).exists()


def test_settings_form_refuses_a_stale_edit_and_keeps_the_entries(
    clinic, clinic_admin, member, signed_in
):
    clinic_staging_defaults_update(
        acting_user=member("clinic_admin"),
        clinic_id=clinic.pk,
        data=replace(Params(), chronic_months=18),
        expected_version=0,
    )
    response = signed_in(clinic_admin).post(reverse(URL), posted(Params(), 0, ect_min_sessions="9"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "changed by someone else" in form.non_field_errors()[0]
    assert form.data["version"] == "1"
    assert form.data["ect_min_sessions"] == "9"
    assert ClinicStagingDefaults.objects.get(clinic=clinic).ect_min_sessions == 7


def test_results_follow_the_clinics_non_response_rule(
    clinic, clinic_admin, psychiatrist, signed_in
):
    # V03: partial responses (35 %, 40 %) fail under < 50 % but not under ≤ 25 %.
    access = access_for_user(psychiatrist, clinic.pk)
    patient = vignette_patient(access, "V03")
    url = reverse("records:patient-staging", args=[patient.pk]) + f"?on={assessed('V03')}"

    before = signed_in(psychiatrist).get(url).context["results"]
    signed_in(clinic_admin).post(reverse(URL), posted(Params(), 0, nonresponse_rule="le25"))
    after = signed_in(psychiatrist).get(url).context["results"]

    headline = {row.key: row.headline for row in before.rows}
    changed = {row.key: row.headline for row in after.rows}
    assert (headline["fda"], changed["fda"]) == ("definition met", "definition not met")
    assert (headline["thase_rush"], changed["thase_rush"]) == ("stage I", "stage 0")
    assert after.params.nonresponse_rule is NonresponseRule.LE25
    rule = next(row for row in after.parameters if row.name == "nonresponse_rule")
    assert rule.changed


def test_a_clinic_without_saved_defaults_gets_an_unsaved_row(clinic):
    defaults = ClinicStagingDefaults.objects.for_clinic(clinic)
    assert (defaults.pk, defaults.clinic_id) == (None, clinic.pk)
    assert defaults.params() == Params()
