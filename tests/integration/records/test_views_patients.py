"""Patient pages: the list, create and edit, and the patient page."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import AuditAction, AuditEvent, Patient, Role, TreatmentTrial
from records.services.patients import DUPLICATE_RECORD_NUMBER
from records.views.patients import PATIENTS_PER_PAGE
from tests.factories import (
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
    builtin_agent,
)
from tests.two_factor import verified_login

from .conftest import ONSET


def field_error(response, name: str) -> str:
    """Return the error text shown beside a field (crispy-forms' invalid-feedback block)."""
    page = response.content.decode()
    match = re.search(
        rf'<div id="id_{name}_error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def input_value(response, name: str) -> str | None:
    """Return the value a text, number or date input is rendered with."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def patient_data(**changes: str) -> dict[str, str]:
    data = {
        "record_number": "RN-77",
        "family_name": "Okonkwo",
        "given_name": "Ada",
        "date_of_birth": "1984-02-29",
        "sex": "female",
        "diagnosis": "MDD",
        "psychiatrist": "",
    }
    return {**data, **changes}


# --- the list -------------------------------------------------------------------------------


def test_patient_list_links_each_patient_and_offers_new_patient_to_psychiatrists(
    signed_in, psychiatrist, patient
):
    response = signed_in(psychiatrist).get(reverse("records:patient-list"))
    page = response.content.decode()
    assert reverse("records:patient-detail", args=[patient.pk]) in page
    assert reverse("records:patient-create") in page


def test_patient_list_has_no_new_patient_button_for_a_supervisor(signed_in, supervisor, patient):
    response = signed_in(supervisor).get(reverse("records:patient-list"))
    assert response.status_code == 200
    assert reverse("records:patient-create") not in response.content.decode()


def test_patient_list_filters_by_psychiatrist(signed_in, clinic, member, psychiatrist):
    colleague = member(Role.PSYCHIATRIST)
    PatientFactory(clinic=clinic, psychiatrist=psychiatrist, family_name="Mine")
    PatientFactory(clinic=clinic, psychiatrist=colleague, family_name="Theirs")
    response = signed_in(psychiatrist).get(
        reverse("records:patient-list"), {"psychiatrist": colleague.pk}
    )
    assert b"Theirs" in response.content
    assert b"Mine" not in response.content


def test_patient_list_flagged_filter_keeps_patients_with_an_impasse_case_in_progress(
    signed_in, supervisor, episode, clinic
):
    PatientFactory(clinic=clinic, family_name="Unflagged")
    ImpasseCaseFactory(episode=episode)
    response = signed_in(supervisor).get(reverse("records:patient-list"), {"flagged": "on"})
    assert episode.patient.family_name.encode() in response.content
    assert b"Unflagged" not in response.content


def test_patient_list_pages_keep_the_search(signed_in, psychiatrist, clinic):
    for n in range(PATIENTS_PER_PAGE + 1):
        PatientFactory(clinic=clinic, family_name=f"Smith{n:02d}", psychiatrist=psychiatrist)
    response = signed_in(psychiatrist).get(reverse("records:patient-list"), {"q": "smith"})
    assert "?q=smith&amp;page=2" in response.content.decode()


@pytest.mark.parametrize(
    "query", [{"q": "a\x00b"}, {"psychiatrist": "x"}, {"psychiatrist": "9" * 30}, {"page": "-1"}]
)
def test_patient_list_ignores_malformed_filters(signed_in, psychiatrist, patient, query):
    response = signed_in(psychiatrist).get(reverse("records:patient-list"), query)
    assert response.status_code == 200


# --- create and edit ------------------------------------------------------------------------


def test_psychiatrist_creates_a_patient_and_lands_on_the_patient_page(
    signed_in, psychiatrist, clinic
):
    data = patient_data(psychiatrist=str(psychiatrist.pk))
    response = signed_in(psychiatrist).post(reverse("records:patient-create"), data)
    patient = Patient.objects.get(clinic=clinic, record_number="RN-77")
    assert response.status_code == 302
    assert response["Location"] == reverse("records:patient-detail", args=[patient.pk])
    assert patient.psychiatrist == psychiatrist
    assert AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.CREATE).exists()


def test_duplicate_record_number_is_a_field_error_and_the_entry_is_kept(
    signed_in, psychiatrist, patient
):
    data = patient_data(record_number=patient.record_number, family_name="Keep-me")
    response = signed_in(psychiatrist).post(reverse("records:patient-create"), data)
    assert response.status_code == 200
    assert field_error(response, "record_number") == DUPLICATE_RECORD_NUMBER.format(
        number=patient.record_number
    )
    assert input_value(response, "family_name") == "Keep-me"
    assert Patient.objects.count() == 1


def test_invalid_date_of_birth_is_shown_beside_the_field(signed_in, psychiatrist):
    data = patient_data(date_of_birth="1984-02-30")
    response = signed_in(psychiatrist).post(reverse("records:patient-create"), data)
    assert field_error(response, "date_of_birth") == "Enter a valid date."
    assert input_value(response, "record_number") == "RN-77"
    assert not Patient.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_roles_without_edit_permission_cannot_create_patients(signed_in, member, role):
    client = signed_in(member(role))
    assert client.get(reverse("records:patient-create")).status_code == 403
    assert client.post(reverse("records:patient-create"), patient_data()).status_code == 403
    assert not Patient.objects.exists()


def test_psychiatrist_edits_a_patient(signed_in, psychiatrist, patient):
    url = reverse("records:patient-update", args=[patient.pk])
    client = signed_in(psychiatrist)
    assert client.get(url).context["form"].initial["version"] == 1
    response = client.post(url, patient_data(family_name="Renamed", version="1"))
    patient.refresh_from_db()
    assert response.status_code == 302
    assert (patient.family_name, patient.version) == ("Renamed", 2)


def test_stale_patient_edit_lists_the_change_keeps_the_entry_and_takes_the_new_version(
    signed_in, psychiatrist, patient, member
):
    url = reverse("records:patient-update", args=[patient.pk])
    colleague = signed_in(member(Role.PSYCHIATRIST))
    colleague.post(url, patient_data(family_name="Theirs", version="1"))
    client = signed_in(psychiatrist)
    response = client.post(url, patient_data(family_name="Mine", version="1"))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "changed by someone else" in page
    assert "→ Theirs" in page
    assert input_value(response, "family_name") == "Mine"
    assert input_value(response, "version") == "2"
    patient.refresh_from_db()
    assert patient.family_name == "Theirs"


def test_patient_of_another_clinic_is_404_on_every_patient_page(signed_in, stranger, patient):
    client = signed_in(stranger)
    for name in ("records:patient-detail", "records:patient-update", "records:patient-changes"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404


def test_supervisor_may_not_edit_a_patient(signed_in, supervisor, patient):
    url = reverse("records:patient-update", args=[patient.pk])
    assert signed_in(supervisor).get(url).status_code == 403
    response = signed_in(supervisor).post(url, patient_data(version="1"))
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.version == 1


# --- the patient page -----------------------------------------------------------------------


def test_patient_page_logs_the_access_and_shows_the_episode(signed_in, psychiatrist, episode):
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    assert response.status_code == 200
    assert response.context["episode"] == episode
    assert response.context["staging_panel"].patient_id == episode.patient_id
    assert response.context["impasse_panel"] is not None
    assert b"Thase" in response.content
    assert AuditEvent.objects.filter(
        patient_id=episode.patient_id, action=AuditAction.VIEW, actor_id=psychiatrist.pk
    ).exists()


def test_patient_page_without_an_episode_invites_recording_one(signed_in, psychiatrist, patient):
    response = signed_in(psychiatrist).get(reverse("records:patient-detail", args=[patient.pk]))
    assert reverse("records:episode-create", args=[patient.pk]) in response.content.decode()


def test_patient_page_puts_safety_alerts_above_the_trials(signed_in, psychiatrist, episode):
    TrialFactory(episode=episode)
    ScaleAdministrationFactory(
        episode=episode, scale="PHQ9", total=None, items={str(n): 1 for n in range(1, 10)}
    )
    page = (
        signed_in(psychiatrist)
        .get(reverse("records:patient-detail", args=[episode.patient_id]))
        .content.decode()
    )
    assert 'data-testid="safety-alerts"' in page
    assert page.index("PHQ-9 item 9") < page.index('data-testid="trial-table"')


def test_trial_table_shows_adequacy_reasons_outcome_and_the_override_beside_it(
    signed_in, psychiatrist, episode
):
    TrialFactory(episode=episode, code="T1", seq=1, dose_mg_per_day=Decimal(25))
    TrialFactory(
        episode=episode,
        code="T2",
        seq=2,
        start_date=ONSET + datetime.timedelta(days=60),
        percent_symptom_reduction=Decimal(30),
        override_adequate=False,
        override_reason="Patient took half the dose.",
        override_by=psychiatrist,
        override_at=timezone.now(),
    )
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    page = html.unescape(response.content.decode())
    first, second = (line.row for line in response.context["trial_lines"])
    assert (first.trial.code, second.trial.code) == ("T1", "T2")
    assert "dose 25 mg/day is below the minimum adequate 50 mg/day for sertraline" in page
    assert [line.outcome_label for line in response.context["trial_lines"]] == [
        "Non-response",
        "Partial response",
    ]
    assert "“Patient took half the dose.”" in page
    assert second.assessment.adequate
    assert not second.adequate


def test_patient_page_draws_the_timeline_from_a_data_island(signed_in, psychiatrist, episode):
    ScaleAdministrationFactory(episode=episode, total=Decimal(24))
    ScaleAdministrationFactory(
        episode=episode, total=Decimal(10), administered_on=ONSET + datetime.timedelta(days=60)
    )
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    page = response.content.decode()
    figure = response.context["timeline"].figure
    lines = {shape["y0"] for shape in figure["layout"]["shapes"]}
    # HAM-D17: remission ≤ 7; response is half the first score, 24.
    assert lines == {7, 12}
    assert figure["data"][0]["y"] == [24.0, 10.0]
    assert '<script id="score-timeline-data" type="application/json">' in page
    assert "vendor/plotly/plotly.min.js" in page
    assert "Show the timeline as a table" in page


def test_score_table_shows_band_change_and_remission(signed_in, psychiatrist, episode):
    ScaleAdministrationFactory(episode=episode, total=Decimal(20))
    later = ScaleAdministrationFactory(
        episode=episode, total=Decimal(6), administered_on=ONSET + datetime.timedelta(days=70)
    )
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id]), {"score": later.pk}
    )
    first, second = response.context["score_lines"]
    assert first.change_label == "first score (baseline)"
    assert second.change_label == "70 % reduction · response"
    assert second.highlighted
    assert not first.highlighted
    assert "in remission" in response.content.decode()


def test_clinic_admin_reads_the_patient_page_without_edit_links(signed_in, clinic_admin, episode):
    response = signed_in(clinic_admin).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    assert response.status_code == 200
    assert reverse("records:trial-create", args=[episode.patient_id, episode.pk]) not in (
        response.content.decode()
    )


def test_user_without_a_membership_is_refused_the_patient_page(client, patient):
    verified_login(client, UserFactory())
    assert client.get(reverse("records:patient-detail", args=[patient.pk])).status_code == 403


AGENTS = ("sertraline", "escitalopram", "venlafaxine", "bupropion", "mirtazapine")
# Session, and the user with their memberships and devices (2, records/signed_in.py);
# patient_detail: episodes with their patient, trials, scores (3); the record-access audit row (1);
# the pseudo-resistance panel's one statement: checklist version and answers, the status's latest
# confirmation, the case's state and the patient's latest signed-off review for the sign-off
# notice (1; the case's latest signed review and its factors two more once a case exists, and
# the psychiatrist's last sight of the patient one more once a review is signed off). The staging
# panel stages the selector's history without a query; the session is saved at most once a
# minute (3 more).
PATIENT_PAGE_MAX_QUERIES = 7


def add_trials_and_scores(episode, psychiatrist, numbers: range) -> None:
    """Record antidepressant trials with every third an augmentation added, and a score each."""
    for n in numbers:
        added = n % 3 == 2
        TrialFactory(
            episode=episode,
            code=f"T{n + 1}",
            seq=n + 1,
            kind="augmentation" if added else "antidepressant",
            agent=builtin_agent("aripiprazole" if added else AGENTS[n % len(AGENTS)]),
            dose_mg_per_day=Decimal(5 if added else 100),
            augments=TreatmentTrial.objects.get(episode=episode, seq=n) if added else None,
            start_date=ONSET + datetime.timedelta(days=n),
            override_adequate=True if n == 0 else None,
            override_reason="Confirmed by pharmacy." if n == 0 else "",
            override_by=psychiatrist if n == 0 else None,
            override_at=timezone.now() if n == 0 else None,
        )
        ScaleAdministrationFactory(
            episode=episode,
            administered_on=ONSET + datetime.timedelta(days=n),
            total=Decimal(20 - n % 20),
        )


def test_patient_page_takes_the_same_queries_for_2_and_60_trials(
    signed_in, psychiatrist, episode, django_assert_max_num_queries
):
    client = signed_in(psychiatrist)
    url = reverse("records:patient-detail", args=[episode.patient_id])
    # The first request after signing in renews the idle timeout; the measured ones do not.
    client.get(url)
    counts = []
    for numbers in (range(2), range(2, 60)):
        add_trials_and_scores(episode, psychiatrist, numbers)
        with django_assert_max_num_queries(PATIENT_PAGE_MAX_QUERIES) as queries:
            response = client.get(url)
        counts.append(len(queries.captured_queries))
        assert len(response.context["trial_lines"]) == numbers.stop
    assert counts[0] == counts[1]


def test_patient_pages_link_the_report_and_the_csv_import(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    detail = client.get(reverse("records:patient-detail", args=[episode.patient_id]))
    assert reverse("records:patient-report", args=[episode.patient_id]).encode() in detail.content
    listing = client.get(reverse("records:patient-list"))
    assert reverse("records:import-csv").encode() in listing.content


def test_trial_table_is_in_trial_number_order_with_start_end_and_ongoing(
    signed_in, psychiatrist, episode
):
    start = ONSET + datetime.timedelta(days=5)
    # T5 started before T4 (entered late), and T10 sorts after T9, not after T1.
    for code, seq, days, end in [
        ("T4", 1, 40, 90),
        ("T5", 2, 0, 35),
        ("T10", 3, 120, None),
        ("T9", 4, 100, 110),
    ]:
        TrialFactory(
            episode=episode,
            code=code,
            seq=seq,
            weeks=Decimal(1),
            start_date=start + datetime.timedelta(days=days),
            end_date=None if end is None else start + datetime.timedelta(days=end),
        )
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    lines = response.context["trial_lines"]
    assert [line.row.trial.code for line in lines] == ["T4", "T5", "T9", "T10"]
    page = re.sub(r"\s+", " ", html.unescape(response.content.decode()))
    row = re.search(r'data-testid="trial-row-T10".*?</tr>', page).group(0)
    assert "ongoing" in row
    row = re.search(r'data-testid="trial-row-T5".*?</tr>', page).group(0)
    assert "6 May 2024" in row
    assert "10 Jun 2024" in row
    assert '<th scope="col">Ended</th>' in page
