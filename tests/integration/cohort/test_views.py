"""The cohort page, the disagreement list and the export: access, filters, queries, content."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohort.models import ClinicPseudonymKey
from records.models import AuditAction, AuditEvent, Clinic, Episode, Role
from records.services.scale_administrations import ScaleInput, scale_record
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login

from .conftest import SAME_CLASS, TWO_CLASSES

COHORT = reverse("cohort:cohort")
EXPORT = reverse("cohort:export")
FDA_THASE_RUSH = reverse("cohort:disagreements", args=["fda", "thase_rush"])


def export(
    client: Client, *, file_format: str = "csv", level: str = "pseudonymised", query: str = ""
):
    data = {"file_format": file_format, "level": level, "password": DEFAULT_PASSWORD}
    return client.post(EXPORT + query, data)


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_supervisor_sees_distributions_concordance_and_counts(
    signed_in, supervisor, make_episode, restage
):
    make_episode(SAME_CLASS, record_number="RN-SAME")
    make_episode(TWO_CLASSES, record_number="RN-TWO")
    restage()
    response = signed_in(supervisor).get(COHORT)
    assert response.status_code == 200
    page = response.context["page"]
    assert page.episodes == 2
    assert page.stale == 0
    fda = next(d for d in page.distributions if d.key == "fda")
    assert dict(fda.counts) == {"met": 2}
    thase_rush = next(d for d in page.distributions if d.key == "thase_rush")
    assert dict(thase_rush.counts) == {"stage I": 1, "stage II": 1}
    concordance = page.concordance
    i, j = concordance.keys.index("fda"), concordance.keys.index("thase_rush")
    assert (concordance.disagreements[i][j], concordance.judged[i][j]) == (1, 2)
    assert concordance.agreement[i][j] == 50.0
    assert b'id="cohort-figures"' in response.content
    assert b"<script>" not in response.content


def test_cohort_page_runs_the_same_queries_for_3_and_30_patients(
    signed_in, supervisor, make_episode, restage, django_assert_num_queries
):
    client = signed_in(supervisor)
    counts = []
    for total in (3, 30):
        while Episode.objects.count() < total:
            make_episode(SAME_CLASS if Episode.objects.count() % 2 else TWO_CLASSES)
        restage()
        client.get(COHORT)  # warm: the session's first save
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COHORT).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        client.get(COHORT)


def test_psychiatrist_gets_403_everywhere(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    assert client.get(COHORT).status_code == 403
    assert client.get(FDA_THASE_RUSH).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert export(client).status_code == 403


def test_clinic_admin_sees_the_cohort(signed_in, clinic_admin, make_episode, restage):
    make_episode()
    restage()
    assert signed_in(clinic_admin).get(COHORT).context["page"].episodes == 1


def test_another_clinics_episodes_never_appear(
    signed_in, supervisor, make_episode, restage, other_clinic, member
):
    elsewhere = member(Role.PSYCHIATRIST, in_clinic=other_clinic)
    make_episode(SAME_CLASS, record_number="RN-HERE")
    make_episode(
        SAME_CLASS, in_clinic=other_clinic, psychiatrist_user=elsewhere, record_number="RN-AWAY"
    )
    restage()
    client = signed_in(supervisor)
    assert client.get(COHORT).context["page"].episodes == 1
    rows = client.get(FDA_THASE_RUSH).context["rows"]
    assert [row.record_number for row in rows] == ["RN-HERE"]
    exported = csv_rows(export(client, level="identified"))
    assert [row["record_number"] for row in exported] == ["RN-HERE"]


def test_filter_by_psychiatrist_and_onset_period(
    signed_in, supervisor, make_episode, restage, member
):
    other = member(Role.PSYCHIATRIST)
    make_episode(SAME_CLASS, record_number="RN-MINE")
    early = make_episode(SAME_CLASS, psychiatrist_user=other, record_number="RN-OTHER")
    restage()
    client = signed_in(supervisor)
    page = client.get(COHORT, {"psychiatrist": other.pk}).context["page"]
    assert page.episodes == 1
    rows = client.get(FDA_THASE_RUSH, {"psychiatrist": other.pk}).context["rows"]
    assert [row.record_number for row in rows] == ["RN-OTHER"]
    onset = early.onset_date.isoformat()
    assert client.get(COHORT, {"onset_from": onset}).context["page"].episodes == 2
    later = early.onset_date.replace(year=early.onset_date.year + 1).isoformat()
    assert client.get(COHORT, {"onset_from": later}).context["page"].episodes == 0
    assert client.get(COHORT, {"onset_to": onset}).context["page"].episodes == 2


def test_reversed_onset_period_is_a_field_error_and_filters_nothing(
    signed_in, supervisor, make_episode, restage
):
    make_episode()
    restage()
    response = signed_in(supervisor).get(
        COHORT, {"onset_from": "2025-02-01", "onset_to": "2025-01-01"}
    )
    assert response.context["form"].errors["onset_to"]
    assert response.context["page"].episodes == 1


def test_disagreement_list_links_each_patient_and_keeps_the_filters(
    signed_in, supervisor, make_episode, restage
):
    same = make_episode(SAME_CLASS, record_number="RN-SAME")
    make_episode(TWO_CLASSES, record_number="RN-TWO")
    restage()
    client = signed_in(supervisor)
    page = client.get(COHORT, {"psychiatrist": same.patient.psychiatrist_id})
    link = f"{FDA_THASE_RUSH}?psychiatrist={same.patient.psychiatrist_id}"
    assert link.encode() in page.content
    response = client.get(link)
    assert [row.record_number for row in response.context["rows"]] == ["RN-SAME"]
    patient_url = reverse("records:patient-detail", args=[same.patient.pk])
    assert patient_url.encode() in response.content


def test_disagreement_list_logs_a_view_of_each_patient_it_lists(
    signed_in, supervisor, make_episode, restage
):
    listed = make_episode(SAME_CLASS, record_number="RN-SAME")
    unlisted = make_episode(TWO_CLASSES, record_number="RN-TWO")
    restage()
    signed_in(supervisor).get(FDA_THASE_RUSH)
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, actor_id=supervisor.pk)
    assert list(views.values_list("patient_id", "changes")) == [
        (listed.patient_id, {"page": [None, "cohort disagreements"]})
    ]
    assert not views.filter(patient_id=unlisted.patient_id).exists()


@pytest.mark.parametrize("pair", [("fda", "mgh_s"), ("fda", "fda"), ("nope", "ema")])
def test_disagreement_list_of_a_pair_without_thresholds_is_404(signed_in, supervisor, pair):
    url = reverse("cohort:disagreements", args=list(pair))
    assert signed_in(supervisor).get(url).status_code == 404


def test_export_csv_has_every_models_result_and_is_audited(
    signed_in, supervisor, make_episode, restage, clinic
):
    episode = make_episode(SAME_CLASS, record_number="RN-SAME", family_name="Hale")
    restage()
    response = export(signed_in(supervisor), level="identified")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    [row] = csv_rows(response)
    assert row["record_number"] == "RN-SAME"
    assert row["family_name"] == "Hale"
    assert row["date_of_birth"] == episode.patient.date_of_birth.isoformat()
    assert row["FDA"] == "met"
    assert row["FDA: TRD threshold met"] == "yes"
    assert row["Thase-Rush"] == "stage I"
    assert row["Thase-Rush: TRD threshold met"] == "no"
    assert row["MSM"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="cohort")
    assert (event.actor_id, event.clinic_id, event.patient_id) == (supervisor.pk, clinic.pk, None)
    assert event.changes == {
        "filters": [None, "none"],
        "format": [None, "csv"],
        "level": [None, "identified"],
        "rows": [None, "1"],
    }
    assert "RN-SAME" not in str(event.changes)
    # The patient's own trail records the export too (issue 13: every download is audited).
    [patient_event] = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="patient")
    assert (patient_event.patient_id, patient_event.actor_id) == (episode.patient_id, supervisor.pk)
    assert patient_event.changes == {"export": [None, "cohort export, identified"]}


def test_export_xlsx_reads_back_with_openpyxl(signed_in, supervisor, make_episode, restage):
    make_episode(TWO_CLASSES, record_number="RN-TWO")
    restage()
    response = export(signed_in(supervisor), file_format="xlsx", level="identified")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    values = dict(zip(header, rows[0], strict=True))
    assert len(rows) == 1
    assert values["record_number"] == "RN-TWO"
    assert values["Thase-Rush"] == "stage II"


def test_pseudonymised_export_has_no_name_birth_date_or_record_number(
    signed_in, supervisor, make_episode, restage
):
    episode = make_episode(record_number="RN-SECRET", family_name="Zebedee", given_name="Quill")
    restage()
    client = signed_in(supervisor)
    for file_format in ("csv", "xlsx"):
        content = export(client, file_format=file_format).content
        if file_format == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            content = repr(list(sheet.iter_rows(values_only=True))).encode()
        for secret in ("RN-SECRET", "Zebedee", "Quill", episode.patient.date_of_birth.isoformat()):
            assert secret.encode() not in content
    [row] = csv_rows(export(client))
    assert set(row) >= {"pseudonym", "FDA"}
    assert not set(row) & {"record_number", "family_name", "given_name", "date_of_birth"}
    assert row["pseudonym"].startswith("P-")
    assert len(row["pseudonym"]) == 12
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="cohort")
    assert [event.changes["level"][1] for event in events] == ["pseudonymised"] * 3


def test_pseudonym_is_stable_across_exports_and_differs_between_clinics(
    signed_in, supervisor, make_episode, restage, other_clinic, member
):
    make_episode(record_number="RN-SAME-NUMBER")
    other_supervisor = member(Role.SUPERVISOR, in_clinic=other_clinic)
    make_episode(
        in_clinic=other_clinic,
        psychiatrist_user=member(Role.PSYCHIATRIST, in_clinic=other_clinic),
        record_number="RN-SAME-NUMBER",
    )
    restage()
    client = signed_in(supervisor)
    first = csv_rows(export(client))[0]["pseudonym"]
    assert csv_rows(export(client))[0]["pseudonym"] == first
    elsewhere = csv_rows(export(signed_in(other_supervisor)))[0]["pseudonym"]
    assert elsewhere != first
    assert ClinicPseudonymKey.objects.count() == 2


def test_wrong_password_is_a_field_error_without_file_or_audit(
    signed_in, supervisor, make_episode, restage
):
    make_episode()
    restage()
    response = signed_in(supervisor).post(
        EXPORT, {"file_format": "csv", "level": "deidentified", "password": "not-my-password"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors["password"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_export_keeps_the_pages_filters(signed_in, supervisor, make_episode, restage, member):
    other = member(Role.PSYCHIATRIST)
    make_episode(record_number="RN-MINE")
    make_episode(psychiatrist_user=other, record_number="RN-OTHER")
    restage()
    client = signed_in(supervisor)
    page = client.get(COHORT, {"psychiatrist": other.pk})
    assert f"{EXPORT}?psychiatrist={other.pk}".encode() in page.content
    rows = csv_rows(export(client, level="identified", query=f"?psychiatrist={other.pk}"))
    assert [row["record_number"] for row in rows] == ["RN-OTHER"]
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="cohort")
    assert event.changes["filters"] == [None, f"psychiatrist={other.pk}"]


def test_navigation_links_the_cohort_for_supervisors_only(signed_in, supervisor, psychiatrist):
    home = reverse("records:patient-list")
    assert COHORT.encode() in signed_in(supervisor).get(home).content
    assert COHORT.encode() not in signed_in(psychiatrist).get(home).content


def test_unknown_user_without_membership_is_refused(client: Client, django_user_model):
    user: User = django_user_model.objects.create_user("nomember", password=DEFAULT_PASSWORD)
    verified_login(client, user)
    assert client.get(COHORT).status_code == 403


def test_episodes_without_a_snapshot_are_counted_as_stale(
    signed_in, supervisor, make_episode, clinic: Clinic
):
    make_episode()
    page = signed_in(supervisor).get(COHORT)
    assert page.context["page"].stale == 1
    assert page.context["page"].episodes == 0
    assert b'data-testid="cohort-stale"' in page.content


def test_response_and_remission_rates_come_from_the_scores(
    signed_in, supervisor, psychiatrist, make_episode
):
    episode = make_episode()
    for days, total in ((10, 24), (40, 6)):
        scale_record(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            data=ScaleInput(
                scale="HAMD17",
                administered_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=days),
                total=Decimal(total),
            ),
        )
    [quarter] = signed_in(supervisor).get(COHORT).context["page"].rates
    assert (quarter.period, quarter.response_rate, quarter.responders_judged) == (
        "2025Q1",
        100.0,
        1,
    )
    assert (quarter.remission_rate, quarter.remission_judged) == (100.0, 1)
