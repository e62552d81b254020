"""Every clinic settings page saves through one records service: the same checks, one audit shape.

The medication-import page (the gap between supplies that still continues a course) is the
newest of them; its own behaviour is tested here too.
"""

import datetime

import pytest
from django.urls import reverse

from pseudoresistance.models import ImpasseFlagRules
from records.access import access_for_user
from records.models import AuditAction, AuditEvent, Clinic, ClinicStagingDefaults, Role
from records.services.fhir_import import medication_import_preview
from staging.history import Params
from tests.factories import EpisodeFactory, PatientFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.integration.records.test_staging_defaults import posted as staging_posted
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db

MEDICATION_IMPORT = reverse("records:settings-medication-import")
FLAG_RULES = {
    "version": "0",
    "fda_ema_met": "on",
    "msm_enabled": "on",
    "msm_min_score": "9",
    "red_concern": "on",
    "long_episode_enabled": "on",
    "long_episode_points": "3",
}
# (page, what is posted, the row's audit object type, the field changed, old → new, versioned)
PAGES = [
    (
        "records:settings-letterhead",
        {"name": "Renamed clinic", "address": "", "paper_size": "A4"},
        "clinic",
        "name",
        True,
        False,
    ),
    (
        "records:settings-follow-up",
        {"score_interval_days": "14"},
        "clinic",
        "score_interval_days",
        ("28", "14"),
        False,
    ),
    (
        "records:clinic-settings-security",
        {"password": DEFAULT_PASSWORD},
        "clinic",
        "two_factor_required",
        ("yes", "no"),
        False,
    ),
    (
        MEDICATION_IMPORT,
        {"supply_gap_days": "60"},
        "clinic",
        "supply_gap_days",
        ("30", "60"),
        False,
    ),
    (
        "records:clinic-staging-defaults",
        staging_posted(Params(), 0, chronic_months="18"),
        "staging_defaults",
        "chronic_months",
        ("24", "18"),
        True,
    ),
    (
        "pseudoresistance:settings-flag-rules",
        FLAG_RULES,
        "impasse_flag_rules",
        "msm_min_score",
        None,
        True,
    ),
]


def _row_pk(object_type: str, clinic: Clinic) -> int:
    if object_type == "staging_defaults":
        return ClinicStagingDefaults.objects.get(clinic=clinic).pk
    if object_type == "impasse_flag_rules":
        return ImpasseFlagRules.objects.get(clinic=clinic).pk
    return clinic.pk


@pytest.mark.parametrize(("page", "data", "object_type", "field", "values", "versioned"), PAGES)
def test_every_settings_page_saves_through_the_one_service(
    signed_in, clinic_admin, clinic, page, data, object_type, field, values, versioned
):
    url = page if page.startswith("/") else reverse(page)
    response = signed_in(clinic_admin).post(url, data)

    assert response.status_code == 302, response.context and response.context["form"].errors
    [event] = AuditEvent.objects.filter(clinic_id=clinic.pk).exclude(action=AuditAction.VIEW)
    # The one service's shape: who, which clinic, the row, its fields old → new as text, and a
    # version exactly where two admins' edits are compared.
    assert (event.actor_id, event.actor_username) == (clinic_admin.pk, clinic_admin.username)
    assert event.object_type == object_type
    assert event.object_id == _row_pk(object_type, clinic)
    assert event.patient_id is None
    assert event.action == (AuditAction.CREATE if versioned else AuditAction.UPDATE)
    assert field in event.changes
    for old_new in event.changes.values():
        assert len(old_new) == 2
        assert old_new[0] != old_new[1]
        assert all(value is None or isinstance(value, str) for value in old_new)
    if isinstance(values, tuple):
        assert event.changes[field] == list(values)
    assert (event.object_version is not None) == versioned


@pytest.mark.parametrize(("page", "data", "object_type", "field", "values", "versioned"), PAGES)
def test_every_settings_page_is_for_clinic_admins_only(
    signed_in, member, clinic, page, data, object_type, field, values, versioned
):
    url = page if page.startswith("/") else reverse(page)
    client = signed_in(member(Role.PSYCHIATRIST))
    assert client.post(url, data).status_code == 403
    assert not AuditEvent.objects.filter(clinic_id=clinic.pk, object_type=object_type).exists()


def test_new_clinics_join_supplies_up_to_30_days_apart(clinic):
    assert clinic.supply_gap_days == 30


def test_the_page_shows_the_clinics_gap_and_sits_among_the_settings(signed_in, clinic_admin):
    page = signed_in(clinic_admin).get(MEDICATION_IMPORT)
    assert page.status_code == 200
    assert page.context["form"].initial == {"supply_gap_days": 30}
    letterhead = signed_in(clinic_admin).get(reverse("records:settings-letterhead"))
    assert f'href="{MEDICATION_IMPORT}"' in letterhead.content.decode()


@pytest.mark.parametrize("value", ["-1", "181", "abc", "", "1e3", "14.5"])
def test_a_gap_out_of_range_is_a_field_error_and_nothing_changes(
    signed_in, clinic_admin, clinic, value
):
    response = signed_in(clinic_admin).post(MEDICATION_IMPORT, {"supply_gap_days": value})
    assert response.status_code == 200
    assert response.context["form"].errors["supply_gap_days"]
    assert Clinic.objects.get(pk=clinic.pk).supply_gap_days == 30
    assert not AuditEvent.objects.filter(object_type="clinic").exists()


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_other_roles_get_403(signed_in, member, clinic, role):
    client = signed_in(member(role))
    assert client.get(MEDICATION_IMPORT).status_code == 403
    assert client.post(MEDICATION_IMPORT, {"supply_gap_days": "7"}).status_code == 403
    assert Clinic.objects.get(pk=clinic.pk).supply_gap_days == 30


def test_an_admin_of_another_clinic_changes_only_their_own(signed_in, member, clinic, other_clinic):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    client.post(MEDICATION_IMPORT, {"supply_gap_days": "7"})
    assert Clinic.objects.get(pk=clinic.pk).supply_gap_days == 30
    assert Clinic.objects.get(pk=other_clinic.pk).supply_gap_days == 7


def _dispensings(gap_days: int) -> bytes:
    """Two monthly supplies of sertraline with `gap_days` without medicine between them."""
    first = datetime.date(2024, 1, 1)
    second = first + datetime.timedelta(days=28 + gap_days)
    rows = ["date,drug,strength,quantity,days_supply"]
    rows += [f"{day.isoformat()},sertraline,100,28,28" for day in (first, second)]
    return "\n".join(rows).encode()


def test_the_import_joins_supplies_by_the_clinics_gap(
    signed_in, clinic_admin, psychiatrist, clinic
):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2023, 6, 1))
    access = access_for_user(psychiatrist, clinic.pk)
    content = _dispensings(45)
    proposal = medication_import_preview(access=access, patient=patient, content=content)
    assert len(proposal.courses) == 2

    signed_in(clinic_admin).post(MEDICATION_IMPORT, {"supply_gap_days": "60"})

    access = access_for_user(psychiatrist, clinic.pk)
    proposal = medication_import_preview(access=access, patient=patient, content=content)
    assert len(proposal.courses) == 1


def test_the_admin_does_not_change_the_gap_unaudited(client, clinic, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    verified_login(client, root)
    url = reverse("admin:records_clinic_change", args=[clinic.pk])
    assert "supply_gap_days" not in client.get(url).context["adminform"].form.fields
    client.post(
        url, {"name": clinic.name, "address": "", "paper_size": "A4", "supply_gap_days": "7"}
    )
    assert Clinic.objects.get(pk=clinic.pk).supply_gap_days == 30
