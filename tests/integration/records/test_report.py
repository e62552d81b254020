"""The second-opinion report: HTML page, PDF (weasyprint + kaleido SVG), access and audit."""

import datetime
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from records.access import ClinicAccess, access_for_user
from records.charts_export import ChartExporter, default_browser_path
from records.demo import vignettes
from records.models import AuditAction, AuditEvent, Clinic, Patient
from records.models.clinic import PaperSize
from records.report import patient_report, patient_report_pdf, pdf_filename
from records.services.exchange import patient_history_import
from staging.registry import ENGINES
from tests.factories import PatientFactory, ScaleAdministrationFactory

PDFTOPPM = "/usr/bin/pdftoppm"
MISSING_BROWSER = "/nonexistent/chromium"
FILENAME = re.compile(
    r'attachment; filename="report-(?P<record>[A-Za-z0-9._-]+)-\d{4}-\d{2}-\d{2}\.pdf"'
)


def _vignette(vignette_id: str) -> dict[str, Any]:
    return next(v for v in vignettes() if v["id"] == vignette_id)


def forty_trial_history() -> dict[str, Any]:
    """Return a history of 40 sequential antidepressant trials (V08's agents, repeated)."""
    base = _vignette("V08")
    agents = [
        t for t in base["trials"] if t["kind"] == "antidepressant" and t.get("dose_mg_per_day")
    ]
    onset = datetime.date(2015, 1, 5)
    trials = []
    for n in range(40):
        source = agents[n % len(agents)]
        trials.append(
            {
                **source,
                "seq": n + 1,
                "id": f"T{n + 1}",
                "episode": "current",
                "start_date": (onset + datetime.timedelta(weeks=2 + 9 * n)).isoformat(),
                "weeks": 8 if n % 5 else 3,
                "augments_trial": None,
            }
        )
    patient = {**base["patient"], "episode_onset_date": onset.isoformat()}
    return {"patient": patient, "trials": trials}


def report_patient(
    clinic: Clinic, user: User, history: dict[str, Any], *, record_number: str
) -> Patient:
    """Import a history as a patient's current episode, with a baseline and two later scores."""
    patient = PatientFactory(
        clinic=clinic,
        psychiatrist=user,
        record_number=record_number,
        family_name="Okafor",
        given_name="Adaeze",
        date_of_birth=datetime.date(1979, 3, 14),
        diagnosis=history["patient"]["diagnosis"],
    )
    access = access_for_user(user, clinic.pk)
    assert access is not None
    episode = patient_history_import(access=access, patient=patient, data=history, acting_user=user)
    onset = episode.onset_date
    for weeks, total in ((1, 32), (20, 24), (40, 19)):
        ScaleAdministrationFactory(
            episode=episode,
            scale="MADRS",
            administered_on=onset + datetime.timedelta(weeks=weeks),
            total=Decimal(total),
        )
    return patient


def simple_history() -> dict[str, Any]:
    vignette = _vignette("V03")
    return {"patient": vignette["patient"], "trials": vignette["trials"]}


@pytest.fixture
def access(clinic: Clinic, psychiatrist: User) -> ClinicAccess:
    found = access_for_user(psychiatrist, clinic.pk)
    assert found is not None
    return found


@pytest.fixture
def simple(clinic: Clinic, psychiatrist: User) -> Patient:
    return report_patient(clinic, psychiatrist, simple_history(), record_number="RN/3 T")


@pytest.fixture
def complex_patient(clinic: Clinic, psychiatrist: User) -> Patient:
    return report_patient(clinic, psychiatrist, forty_trial_history(), record_number="RN-40")


@pytest.fixture(scope="module")
def exporter() -> Any:
    chart_exporter = ChartExporter()
    yield chart_exporter
    chart_exporter.close()


def _pages(content: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages]


def _assert_pdf(content: bytes, patient: Patient, access: ClinicAccess) -> list[str]:
    pages = _pages(content)
    for number, text in enumerate(pages, start=1):
        assert patient.record_number in text, f"page {number} lacks the record number"
        assert "Adaeze Okafor" in text, f"page {number} lacks the name"
        assert "14 Mar 1979" in text, f"page {number} lacks the date of birth"
        assert f"Page {number} of {len(pages)}" in text
    text = "\n".join(pages)
    report = patient_report(access=access, patient_id=patient.pk)
    for model in report.models:
        assert model.headline in text, model.label
    for engine in ENGINES:
        assert engine.info.label.split(" (")[0][:20] in text
    assert "treatment-resistant patient" not in text.lower()
    return pages


def _chromium() -> bool:
    path = default_browser_path()
    return bool(path and Path(path).exists())


def _require_pdftoppm() -> None:
    if shutil.which(PDFTOPPM) is None and not Path(PDFTOPPM).exists():
        message = "pdftoppm (poppler-utils) is missing"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _rasterise(content: bytes, folder: Path) -> list[Path]:
    pdf = folder / "report.pdf"
    pdf.write_bytes(content)
    # A fixed program on a file this test wrote: no untrusted input.
    command = [PDFTOPPM, "-png", "-r", "40", str(pdf), str(folder / "page")]
    subprocess.run(command, check=True)  # noqa: S603
    return sorted(folder.glob("page*.png"))


def test_pdf_of_three_trials_carries_identifiers_on_every_page_and_every_model(
    simple: Patient, access: ClinicAccess, exporter: ChartExporter, tmp_path: Path
) -> None:
    pdf = patient_report_pdf(access=access, patient_id=simple.pk, exporter=exporter)

    pages = _assert_pdf(pdf.content, simple, access)
    assert 3 <= len(pages) <= 8
    text = "\n".join(pages)
    assert "Reviewing clinician" in text
    assert "for clinician review" in text
    assert "Engine versions and parameters used" in text
    assert pdf.filename == f"report-RN-3-T-{datetime.date.today().isoformat()}.pdf"
    if _chromium():
        assert "could not be drawn" not in text
    _require_pdftoppm()
    images = _rasterise(pdf.content, tmp_path)
    assert len(images) == len(pages)
    assert all(image.stat().st_size > 1000 for image in images)


def test_pdf_of_forty_trials_repeats_the_identifiers_and_the_table_header(
    complex_patient: Patient, access: ClinicAccess, exporter: ChartExporter, tmp_path: Path
) -> None:
    pdf = patient_report_pdf(access=access, patient_id=complex_patient.pk, exporter=exporter)

    pages = _assert_pdf(pdf.content, complex_patient, access)
    assert len(pages) >= 6
    text = "\n".join(pages)
    for code in ("T1 ", "T40 "):
        assert code in text or code.strip() in text
    trial_pages = [page for page in pages if re.search(r"\bT(1[0-9]|2[0-9])\b", page)]
    # The trial table spans pages; each of its pages repeats the column headings.
    assert len(trial_pages) >= 2
    assert all("Adequacy and reason" in page for page in trial_pages if "Adherence" in page)
    _require_pdftoppm()
    assert len(_rasterise(pdf.content, tmp_path)) == len(pages)


def test_pdf_without_chromium_still_renders_with_a_note_per_chart(
    simple: Patient, access: ClinicAccess
) -> None:
    pdf = patient_report_pdf(
        access=access, patient_id=simple.pk, exporter=ChartExporter(MISSING_BROWSER)
    )

    text = "\n".join(_pages(pdf.content))
    assert text.count("could not be drawn in this PDF") == 2  # timeline and one scale
    assert "Treatments tried" in text


def test_letter_paper_follows_the_clinic_setting(
    simple: Patient, clinic: Clinic, psychiatrist: User
) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(paper_size=PaperSize.LETTER)
    access = access_for_user(psychiatrist, clinic.pk)
    assert access is not None
    pdf = patient_report_pdf(
        access=access, patient_id=simple.pk, exporter=ChartExporter(MISSING_BROWSER)
    )

    box = PdfReader(BytesIO(pdf.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_report_page_embeds_the_figures_for_the_static_script(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:patient-report", args=[simple.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-figures" type="application/json"' in html
    assert 'data-figure="timeline"' in html
    assert "js/report.js" in html
    assert "<script>" not in html
    assert reverse("records:patient-report-pdf", args=[simple.pk]) in html


def test_pdf_download_is_audited_and_named_by_record_number_and_date(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(psychiatrist)
    url = reverse("records:patient-report-pdf", args=[simple.pk])

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    match = FILENAME.fullmatch(first["Content-Disposition"])
    assert match is not None
    assert match["record"] == "RN-3-T"
    assert "Okafor" not in first["Content-Disposition"]
    exports = AuditEvent.objects.filter(patient_id=simple.pk, action=AuditAction.EXPORT)
    assert exports.count() == 2
    assert {event.actor_id for event in exports} == {psychiatrist.pk}


@pytest.mark.parametrize("name", ["records:patient-report", "records:patient-report-pdf"])
def test_other_clinic_gets_a_404_and_no_audit_event(
    name: str, simple: Patient, stranger: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(stranger).get(reverse(name, args=[simple.pk]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(patient_id=simple.pk, action=AuditAction.EXPORT).exists()


def test_signed_out_user_is_sent_to_sign_in(simple: Patient, client: Client) -> None:
    response = client.get(reverse("records:patient-report-pdf", args=[simple.pk]))

    assert response.status_code == 302


def test_filename_never_carries_unsafe_characters() -> None:
    assert pdf_filename("../RN 7/ä", datetime.date(2026, 3, 1)) == "report-RN-7-2026-03-01.pdf"
