"""The history of changes page: who changed what, when, from what to what."""

import datetime
import html

from django.urls import reverse

from records.audit import audit_event_write
from records.models import AuditAction
from tests.factories import TrialFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login

from .conftest import ONSET


def trial_data(**changes: str) -> dict[str, str]:
    data = {
        "kind": "antidepressant",
        "agent_text": "sertraline",
        "dose_mg_per_day": "100",
        "weeks": "8",
        "start_date": (ONSET + datetime.timedelta(days=10)).isoformat(),
    }
    return {**data, **changes}


def trial_rows(response) -> list:
    return [row for row in response.context["rows"] if row.event.object_type == "trial"]


def test_history_lists_each_change_with_who_when_and_old_and_new(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    patient_id = episode.patient_id
    client.post(reverse("records:trial-create", args=[patient_id, episode.pk]), trial_data())
    trial = episode.trials.get()
    client.post(
        reverse("records:trial-update", args=[patient_id, trial.pk]),
        trial_data(dose_mg_per_day="150", version="1"),
    )
    client.get(reverse("records:patient-detail", args=[patient_id]))
    response = client.get(reverse("records:patient-changes", args=[patient_id]))
    # Saving a failed trial may also flag an impasse case; only the trial's rows are checked.
    newest, created = trial_rows(response)
    assert (newest.subject, newest.event.get_action_display()) == ("Trial T1", "Changed")
    assert [(c.field, c.old, c.new) for c in newest.changes] == [("dose (mg/day)", "100", "150")]
    assert created.event.get_action_display() == "Created"
    page = html.unescape(response.content.decode())
    assert psychiatrist.username in page
    # Opening the record is access, not a change.
    assert "Opened" not in page


def test_deleted_trial_keeps_its_name_in_the_history(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    client.post(
        reverse("records:trial-create", args=[episode.patient_id, episode.pk]), trial_data()
    )
    trial = episode.trials.get()
    client.post(
        reverse("records:trial-delete", args=[episode.patient_id, trial.pk]),
        {"version": "1", "password": DEFAULT_PASSWORD},
    )
    response = client.get(reverse("records:patient-changes", args=[episode.patient_id]))
    deleted, created = trial_rows(response)
    assert (deleted.subject, deleted.event.get_action_display()) == ("Trial T1", "Deleted")
    assert (created.subject, created.event.get_action_display()) == ("Trial T1", "Created")


def test_clinic_admin_may_include_who_opened_the_record(
    signed_in, psychiatrist, clinic_admin, episode
):
    signed_in(psychiatrist).get(reverse("records:patient-detail", args=[episode.patient_id]))
    client = signed_in(clinic_admin)
    url = reverse("records:patient-changes", args=[episode.patient_id])
    assert client.get(url).context["rows"] == []
    rows = client.get(url, {"access": "1"}).context["rows"]
    # Opening the change history is itself recorded (defect 5 of issue 13).
    assert [(row.event.actor_id, row.event.get_action_display()) for row in rows] == [
        (clinic_admin.pk, "Opened"),
        (clinic_admin.pk, "Opened"),
        (psychiatrist.pk, "Opened"),
    ]


def test_psychiatrist_cannot_include_the_access_log(signed_in, psychiatrist, episode):
    TrialFactory(episode=episode)
    client = signed_in(psychiatrist)
    client.get(reverse("records:patient-detail", args=[episode.patient_id]))
    response = client.get(
        reverse("records:patient-changes", args=[episode.patient_id]), {"access": "1"}
    )
    assert response.context["include_access"] is False
    assert response.context["rows"] == []


def test_history_of_another_clinics_patient_is_404(signed_in, stranger, patient):
    url = reverse("records:patient-changes", args=[patient.pk])
    assert signed_in(stranger).get(url).status_code == 404


def test_history_is_refused_to_a_user_without_a_membership(client, patient):
    verified_login(client, UserFactory())
    assert client.get(reverse("records:patient-changes", args=[patient.pk])).status_code == 403


def test_other_apps_events_are_named_by_their_kind(signed_in, psychiatrist, patient):
    audit_event_write(
        actor=psychiatrist,
        action=AuditAction.UPDATE,
        object_type="impasse_case",
        object_id=7,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes={"state": ["Open", "Under review"], "note": "not a pair"},
    )
    response = signed_in(psychiatrist).get(reverse("records:patient-changes", args=[patient.pk]))
    (row,) = response.context["rows"]
    assert row.subject == "Impasse case"
    assert {(c.field, c.old, c.new) for c in row.changes} == {
        ("state", "Open", "Under review"),
        ("note", "—", "not a pair"),
    }
