"""Preparing the report (versioned, audited), the letter to primary care and the patient's
summary: pages, PDFs, access, and plain language measured with textstat."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import textstat
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404
from django.test import Client
from django.urls import reverse

from records.access import ClinicAccess, access_for_user
from records.demo import DEMO_CLINIC_NAME, DemoAccount
from records.models import AuditAction, AuditEvent, Clinic, Patient, ReportPreparation
from records.report import patient_report_pdf
from records.report_letters import patient_letter_pdf, patient_summary, patient_summary_pdf
from records.services import StaleEditError
from records.services.common import ObjectType
from records.services.report_preparation import (
    LETTER_FIELDS,
    PreparationInput,
    report_preparation_save,
)
from tests.factories import PatientFactory
from tests.integration.records.test_audit import FAIL_AUDIT_INSERTS
from tests.integration.records.test_report import (
    pdf_pages,
    report_patient,
    simple_history,
)
from tests.two_factor import verified_login

# Flesch-Kincaid grade: what a reader of about 13-14 years old reads with ease (issue 15).
MAX_GRADE = 8
JARGON = ("treatment-resistant", "Thase", "MSM", "DM-TRD", "TRD", "stage ")
PREPARED = {
    "reason_for_referral": "Second opinion after two antidepressants without remission.",
    "referrer": "Dr Amal Haddad, Riverside Surgery",
    "impression": "Unipolar depression; both adequate trials failed.",
    "plan": "Lithium augmentation; TSH and renal function first.",
}


@pytest.fixture
def simple(clinic: Clinic, psychiatrist: User) -> Patient:
    return report_patient(clinic, psychiatrist, simple_history(), record_number="RN-D1")


def _prepare(client: Client, patient: Patient, version: int, **values: str) -> Any:
    url = reverse("records:report-prepare", args=[patient.pk])
    return client.post(url, {**PREPARED, **values, "version": str(version)})


def test_prepare_saves_the_words_and_the_summary_stops_being_a_draft(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(psychiatrist)
    assert client.get(reverse("records:report-prepare", args=[simple.pk])).status_code == 200

    response = _prepare(client, simple, 0)

    assert response.status_code == 302
    preparation = ReportPreparation.objects.get(episode__patient=simple)
    assert preparation.referrer == PREPARED["referrer"]
    assert preparation.version == 1
    event = AuditEvent.objects.get(
        object_type=ObjectType.REPORT_PREPARATION, action=AuditAction.CREATE
    )
    assert event.actor_id == psychiatrist.pk
    assert event.changes["plan"] == [None, PREPARED["plan"]]
    access = access_for_user(psychiatrist, simple.clinic_id)
    assert access is not None
    text = " ".join(
        " ".join(pdf_pages(patient_report_pdf(access=access, patient_id=simple.pk).content)).split()
    )
    assert "DRAFT" not in text.upper()
    assert "Dr Amal Haddad, Riverside Surgery" in text
    assert "Lithium augmentation; TSH and renal function first." in text
    assert "Second opinion after two antidepressants without remission." in text


def test_a_stale_edit_is_refused_and_names_the_earlier_change(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(psychiatrist)
    _prepare(client, simple, 0)

    response = _prepare(client, simple, 0, plan="Something else entirely.")

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    preparation = ReportPreparation.objects.get(episode__patient=simple)
    assert preparation.plan == PREPARED["plan"]
    assert preparation.version == 1


def test_a_second_edit_bumps_the_version_and_audits_old_and_new(
    simple: Patient, psychiatrist: User
) -> None:
    episode = simple.episodes.get()
    first = report_preparation_save(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        expected_version=0,
        data=PreparationInput(**PREPARED),
    )

    second = report_preparation_save(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        expected_version=first.version,
        data=PreparationInput(**{**PREPARED, "impression": "Possible bipolarity."}),
    )

    assert second.version == 2
    event = AuditEvent.objects.get(
        object_type=ObjectType.REPORT_PREPARATION, action=AuditAction.UPDATE
    )
    assert event.changes == {"impression": [PREPARED["impression"], "Possible bipolarity."]}
    with pytest.raises(StaleEditError):
        report_preparation_save(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            expected_version=1,
            data=PreparationInput(**PREPARED),
        )


def test_too_long_a_referrer_is_a_field_error_and_nothing_is_saved(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    response = _prepare(signed_in(psychiatrist), simple, 0, referrer="x" * 201)

    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert not ReportPreparation.objects.exists()


def test_supervisor_may_not_prepare_and_another_clinic_sees_nothing(
    simple: Patient, supervisor: User, stranger: User
) -> None:
    episode = simple.episodes.get()
    with pytest.raises(PermissionDenied):
        report_preparation_save(
            acting_user=supervisor,
            episode_id=episode.pk,
            expected_version=0,
            data=PreparationInput(**PREPARED),
        )
    with pytest.raises(Http404):
        report_preparation_save(
            acting_user=stranger,
            episode_id=episode.pk,
            expected_version=0,
            data=PreparationInput(**PREPARED),
        )
    assert not ReportPreparation.objects.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("records:report-prepare", 403),
        ("records:report-letter", 200),
        ("records:report-letter-pdf", 200),
        ("records:report-patient", 200),
        ("records:report-patient-pdf", 200),
    ],
)
def test_supervisor_reads_the_documents_and_another_clinic_gets_a_404(
    name: str,
    expected: int,
    simple: Patient,
    supervisor: User,
    stranger: User,
    client: Client,
) -> None:
    url = reverse(name, args=[simple.pk])
    verified_login(client, supervisor)
    assert client.get(url).status_code == expected
    verified_login(client, stranger)
    assert client.get(url).status_code == 404


def test_letter_paragraphs_are_edited_saved_and_printed_on_one_page(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(psychiatrist)
    url = reverse("records:report-letter", args=[simple.pk])
    page = client.get(url)
    assert page.status_code == 200
    proposed = page.context["form"].initial
    values = {field: proposed[field] for field in LETTER_FIELDS}
    values["letter_practice"] = "Please check TSH and sodium in four weeks."

    saved = client.post(url, {**values, "version": "0"})

    assert saved.status_code == 302
    event = AuditEvent.objects.get(object_type=ObjectType.REPORT_PREPARATION)
    assert event.changes["letter_practice"][1] == "Please check TSH and sodium in four weeks."
    response = client.get(reverse("records:report-letter-pdf", args=[simple.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="letter-RN-D1-')
    pages = pdf_pages(response.content)
    assert len(pages) == 1
    text = " ".join(pages[0].split())
    assert "Please check TSH and sodium in four weeks." in text
    assert "adequate antidepressant trials have not brought remission" in text
    for word in JARGON:
        assert word not in text, word


def test_patient_summary_is_one_plain_page_with_crisis_help(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:report-patient-pdf", args=[simple.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="summary-RN-D1-')
    pages = pdf_pages(response.content)
    assert len(pages) == 1
    text = " ".join(pages[0].split())
    assert "pending remission" in text
    assert "emergency" in text
    for word in JARGON:
        assert word not in text, word


@pytest.mark.parametrize("record", ["DEMO-V01", "DEMO-V07", "DEMO-V08", "DEMO-V12"])
def test_patient_summary_reads_at_grade_eight_or_below(
    record: str, demo_clinic: list[DemoAccount]
) -> None:
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    access = access_for_user(User.objects.get(username="demo-psychiatrist"), clinic.pk)
    assert isinstance(access, ClinicAccess)
    patient = Patient.objects.get(clinic=clinic, record_number=record)

    summary = patient_summary(access=access, patient_id=patient.pk)

    text = " ".join((summary.pending, *summary.found, summary.next_steps, summary.crisis))
    assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE
    assert "treatment-resistant" not in text.lower()


def test_every_document_download_is_an_audit_event(simple: Patient, psychiatrist: User) -> None:
    access = access_for_user(psychiatrist, simple.clinic_id)
    assert access is not None

    patient_letter_pdf(access=access, patient_id=simple.pk)
    patient_summary_pdf(access=access, patient_id=simple.pk)

    exports = AuditEvent.objects.filter(patient_id=simple.pk, action=AuditAction.EXPORT)
    assert exports.count() == 2
    assert all(event.occurred_at.date() <= datetime.date.today() for event in exports)


def test_a_patient_without_an_episode_gets_every_document_and_no_prepare_form(
    clinic: Clinic, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-E0")
    client = signed_in(psychiatrist)

    for name in ("records:patient-report", "records:report-letter", "records:report-patient"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 200, name
    for name in ("records:patient-report-pdf", "records:report-letter-pdf"):
        response = client.get(reverse(name, args=[patient.pk]))
        assert len(pdf_pages(response.content)) == 1, name
    prepare = reverse("records:report-prepare", args=[patient.pk])
    assert client.get(prepare).status_code == 404
    assert client.post(prepare, {**PREPARED, "version": "0"}).status_code == 404
    assert not ReportPreparation.objects.exists()


def test_bipolar_disorder_says_the_models_do_not_apply(clinic: Clinic, psychiatrist: User) -> None:
    history = simple_history()
    history["patient"] = {**history["patient"], "diagnosis": "bipolar"}
    patient = report_patient(clinic, psychiatrist, history, record_number="RN-BP")
    access = access_for_user(psychiatrist, clinic.pk)
    assert access is not None

    pages = pdf_pages(patient_report_pdf(access=access, patient_id=patient.pk).content)

    first = " ".join(pages[0].split())
    assert "Bipolar disorder: the staging models are defined for unipolar depression" in first
    assert len(pages) <= 2


def test_a_failed_audit_write_saves_no_wording(simple: Patient, psychiatrist: User) -> None:
    episode = simple.episodes.get()
    with connection.cursor() as cursor:
        cursor.execute(FAIL_AUDIT_INSERTS)

    with pytest.raises(DatabaseError, match="audit insert refused"):
        report_preparation_save(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            expected_version=0,
            data=PreparationInput(**PREPARED),
        )

    assert not ReportPreparation.objects.exists()
