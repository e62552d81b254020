"""The clinic's follow-up setting: days between ratings before the caseload says overdue."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import AuditAction, AuditEvent, Clinic, Role
from tests.factories import EpisodeFactory, PatientFactory, ScaleAdministrationFactory
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db

FOLLOW_UP = reverse("records:settings-follow-up")


def test_new_clinics_rate_every_28_days(clinic):
    assert clinic.score_interval_days == 28


def test_clinic_admin_changes_the_interval_audited_and_the_caseload_follows(
    signed_in, clinic_admin, psychiatrist, clinic
):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(patient=patient, onset_date=timezone.localdate().replace(day=1))
    ScaleAdministrationFactory(
        episode=episode,
        scale="MADRS",
        administered_on=timezone.localdate() - datetime.timedelta(days=20),
        total=Decimal(20),
    )
    list_url = reverse("records:patient-list")
    [row] = signed_in(psychiatrist).get(list_url).context["rows"]
    assert row.overdue == ""

    response = signed_in(clinic_admin).post(FOLLOW_UP, {"score_interval_days": "14"})

    assert response.status_code == 302
    assert Clinic.objects.get(pk=clinic.pk).score_interval_days == 14
    event = AuditEvent.objects.get(
        action=AuditAction.UPDATE, object_type="clinic", actor_id=clinic_admin.pk
    )
    assert event.changes == {"score_interval_days": ["28", "14"]}
    [row] = signed_in(psychiatrist).get(list_url).context["rows"]
    assert row.overdue == "rated 20 days ago; due every 2 weeks"


@pytest.mark.parametrize("value", ["0", "6", "366", "abc", "", "1e3", "14.5"])
def test_an_interval_out_of_range_is_a_field_error_and_nothing_changes(
    signed_in, clinic_admin, clinic, value
):
    response = signed_in(clinic_admin).post(FOLLOW_UP, {"score_interval_days": value})
    assert response.status_code == 200
    assert response.context["form"].errors["score_interval_days"]
    assert Clinic.objects.get(pk=clinic.pk).score_interval_days == 28
    assert not AuditEvent.objects.filter(object_type="clinic").exists()


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_other_roles_get_403(signed_in, member, clinic, role):
    client = signed_in(member(role))
    assert client.get(FOLLOW_UP).status_code == 403
    assert client.post(FOLLOW_UP, {"score_interval_days": "7"}).status_code == 403
    assert Clinic.objects.get(pk=clinic.pk).score_interval_days == 28


def test_an_admin_of_another_clinic_changes_only_their_own(signed_in, member, clinic, other_clinic):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    client.post(FOLLOW_UP, {"score_interval_days": "7"})
    assert Clinic.objects.get(pk=clinic.pk).score_interval_days == 28
    assert Clinic.objects.get(pk=other_clinic.pk).score_interval_days == 7


def test_the_settings_navigation_links_the_follow_up_page(signed_in, clinic_admin):
    page = signed_in(clinic_admin).get(reverse("records:settings-letterhead")).content.decode()
    assert f'href="{FOLLOW_UP}"' in page


def test_the_admin_does_not_change_the_interval_unaudited(client, clinic, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    verified_login(client, root)
    url = reverse("admin:records_clinic_change", args=[clinic.pk])
    assert "score_interval_days" not in client.get(url).context["adminform"].form.fields
    client.post(
        url, {"name": clinic.name, "address": "", "paper_size": "A4", "score_interval_days": "7"}
    )
    assert Clinic.objects.get(pk=clinic.pk).score_interval_days == 28
