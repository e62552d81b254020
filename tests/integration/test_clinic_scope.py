"""A user sees only the active clinic's patients, and may switch between their own clinics."""

import pytest
from django.urls import reverse

from records.access import ACTIVE_CLINIC_SESSION_KEY
from records.models import Role
from tests.factories import (
    ClinicFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
)


def test_patient_list_shows_only_the_active_clinics_patients(
    signed_in, psychiatrist, clinic, other_clinic
):
    PatientFactory(clinic=clinic, family_name="Ownclinic", psychiatrist=psychiatrist)
    PatientFactory(clinic=other_clinic, family_name="Elsewhere")
    response = signed_in(psychiatrist).get(reverse("records:patient-list"))
    assert b"Ownclinic" in response.content
    assert b"Elsewhere" not in response.content


def test_patient_search_matches_name_and_record_number(signed_in, psychiatrist, clinic):
    # The psychiatrist's own patients: their caseload shows only those by default.
    PatientFactory(
        clinic=clinic, family_name="Abernathy", record_number="A-1", psychiatrist=psychiatrist
    )
    PatientFactory(
        clinic=clinic, family_name="Zellweger", record_number="Z-9", psychiatrist=psychiatrist
    )
    client = signed_in(psychiatrist)
    by_name = client.get(reverse("records:patient-list"), {"q": "aber"})
    assert b"Abernathy" in by_name.content
    assert b"Zellweger" not in by_name.content
    by_number = client.get(reverse("records:patient-list"), {"q": "Z-9"})
    assert b"Zellweger" in by_number.content
    assert b"Abernathy" not in by_number.content


def test_user_of_two_clinics_switches_the_active_one(signed_in, psychiatrist, other_clinic):
    MembershipFactory(user=psychiatrist, clinic=other_clinic, role=Role.PSYCHIATRIST)
    PatientFactory(clinic=other_clinic, family_name="Elsewhere", psychiatrist=psychiatrist)
    client = signed_in(psychiatrist)
    response = client.post(reverse("records:clinic-switch"), {"clinic": other_clinic.pk})
    assert response.status_code == 302
    assert client.session[ACTIVE_CLINIC_SESSION_KEY] == other_clinic.pk
    assert b"Elsewhere" in client.get(reverse("records:patient-list")).content


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_switching_to_a_clinic_one_does_not_belong_to_is_refused(signed_in, psychiatrist, value):
    foreign = ClinicFactory()
    client = signed_in(psychiatrist)
    response = client.post(reverse("records:clinic-switch"), {"clinic": value or foreign.pk})
    assert response.status_code == 403
    assert ACTIVE_CLINIC_SESSION_KEY not in client.session


def test_navigation_shows_entries_by_role(signed_in, psychiatrist, clinic_admin):
    psychiatrist_page = signed_in(psychiatrist).get(reverse("records:patient-list"))
    assert psychiatrist_page.context["nav"] == {
        "patients": True,
        "impasse_queue": False,
        "cohort": False,
        "manage_clinic": False,
        "audit_log": False,
    }
    admin_page = signed_in(clinic_admin).get(reverse("records:patient-list"))
    assert admin_page.context["nav"]["manage_clinic"] is True
    assert admin_page.context["nav"]["audit_log"] is True
    assert b'href="/clinic/team/"' in admin_page.content
    # The admin is for superusers only (issue 13).
    assert b'href="/admin/"' not in admin_page.content


def test_a_record_of_another_patient_or_beyond_any_id_is_404(signed_in, psychiatrist, clinic):
    """The pages find a patient's own episode, trial and score by id; any other id: not found."""
    trial = TrialFactory(episode__patient__clinic=clinic)
    score = ScaleAdministrationFactory(episode=trial.episode)
    own = trial.episode.patient_id
    other = PatientFactory(clinic=clinic).pk
    records = {
        "records:episode-update": trial.episode_id,
        "records:trial-update": trial.pk,
        "records:scale-update": score.pk,
    }
    client = signed_in(psychiatrist)

    def status(name: str, *args: int) -> int:
        return client.get(reverse(name, args=args)).status_code

    assert status("records:patient-detail", own) == 200
    for name, record in records.items():
        assert status(name, own, record) == 200
        assert status(name, other, record) == 404
    # PostgreSQL's bigint holds ids up to 2**63 - 1: beyond it, no row and no database error.
    for beyond in (2**63, 10**30):
        assert status("records:patient-detail", beyond) == 404
        for name, record in records.items():
            assert status(name, own, beyond) == 404
            assert status(name, beyond, record) == 404
