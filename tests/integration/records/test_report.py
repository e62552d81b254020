"""The consultant summary: two pages for any history, safety first, caveats on page 1, the
appendix on request; PDFs read back with pdftotext (pypdf without poppler, and for the PDF's
structure), rasterised with pdftoppm."""

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
from records.demo import DEMO_CLINIC_NAME, DemoAccount, vignettes
from records.models import AuditAction, AuditEvent, Clinic, Patient
from records.models.clinic import PaperSize
from records.report import patient_report, patient_report_pdf
from records.report_charts import CHART_CACHE
from records.report_render import pdf_filename
from records.services.exchange import patient_history_import
from tests.factories import PatientFactory, ScaleAdministrationFactory

PDFTOPPM = "/usr/bin/pdftoppm"
PDFTOTEXT = "/usr/bin/pdftotext"
MISSING_BROWSER = "/nonexistent/chromium"
FILENAME = re.compile(
    r'attachment; filename="report-(?P<record>[A-Za-z0-9._-]+)-\d{4}-\d{2}-\d{2}\.pdf"'
)
DM_TRD_CAVEAT = "provisional weights, not for clinical use"
FORBIDDEN = "treatment-resistant"


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


@pytest.fixture
def demo(demo_clinic: list[DemoAccount]) -> ClinicAccess:
    """The demo clinic (records/demo.py), as its psychiatrist sees it."""
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    user = User.objects.get(username="demo-psychiatrist")
    found = access_for_user(user, clinic.pk)
    assert found is not None
    return found


def pdf_pages(content: bytes) -> list[str]:
    """Return the text of each page of a PDF.

    Read by poppler's pdftotext in the order of the pages' content streams (`-raw`) where it is
    installed (CI has it, for pdftoppm): the same words as pypdf's extraction of these reports,
    for about a twentieth of the CPU of pypdf's pure-Python parsing, which was a fifth of this
    module's. pypdf where it is not.
    """
    if not Path(PDFTOTEXT).exists():
        return [page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages]
    # A fixed program reading the PDF on its standard input: no untrusted input.
    command = [PDFTOTEXT, "-raw", "-enc", "UTF-8", "-", "-"]
    text = subprocess.run(command, input=content, capture_output=True, check=True).stdout  # noqa: S603
    # Each page's text ends with a form feed.
    return text.decode().split("\f")[:-1]


def assert_every_page_identifies(pages: list[str], patient: Patient) -> None:
    """Assert each page carries the name, record number, birth date and "Page N of M"."""
    born = patient.date_of_birth.strftime("%-d %b %Y")
    name = f"{patient.given_name} {patient.family_name}"
    for number, text in enumerate(pages, start=1):
        assert patient.record_number in text, f"page {number} lacks the record number"
        assert name in text, f"page {number} lacks the name"
        assert born in text, f"page {number} lacks the date of birth"
        assert f"Page {number} of {len(pages)}" in text


def _flat(text: str) -> str:
    return " ".join(text.split())


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


@pytest.mark.parametrize("record", ["DEMO-V01", "DEMO-V07", "DEMO-V08", "DEMO-V12"])
def test_demo_summary_fits_two_pages_with_ranges_and_the_dm_trd_caveat(
    record: str, demo: ClinicAccess
) -> None:
    patient = Patient.objects.get(clinic=demo.clinic, record_number=record)

    pdf = patient_report_pdf(access=demo, patient_id=patient.pk)

    pages = pdf_pages(pdf.content)
    assert len(pages) <= 2
    assert_every_page_identifies(pages, patient)
    text = _flat("\n".join(pages))
    assert FORBIDDEN not in text.lower()
    assert "DM-TRD" in text
    assert DM_TRD_CAVEAT in text
    assert re.search(r"stage (0|I|II|III|IV|V) of V", text)
    assert re.search(r"MSM \d+ of 15|not applicable", text)
    assert "Where the models disagree" in text
    assert "Impression and plan" in text
    assert "Signature" in text


def test_bipolarity_and_the_switch_are_on_page_one(demo: ClinicAccess) -> None:
    patient = Patient.objects.get(clinic=demo.clinic, record_number="DEMO-V07")

    pages = pdf_pages(patient_report_pdf(access=demo, patient_id=patient.pk).content)

    first = _flat(pages[0])
    assert "Bipolarity suspected" in first
    assert "ended by a switch to hypomania" in first
    whole = _flat("\n".join(pages))
    assert "no antidepressant monotherapy without a mood stabiliser" in whole


def test_psychotic_features_and_the_guideline_sentence_are_on_page_one(
    demo: ClinicAccess,
) -> None:
    patient = Patient.objects.get(clinic=demo.clinic, record_number="DEMO-V12")

    first = _flat(pdf_pages(patient_report_pdf(access=demo, patient_id=patient.pk).content)[0])

    assert "Psychotic features: guidelines treat an antidepressant with an antipsychotic" in first
    assert "published staging models count antidepressant monotherapy" in first


def test_forty_trials_fit_two_pages_and_the_trial_table_repeats_its_header(
    complex_patient: Patient, access: ClinicAccess
) -> None:
    pdf = patient_report_pdf(access=access, patient_id=complex_patient.pk)

    pages = pdf_pages(pdf.content)
    assert len(pages) == 2
    assert_every_page_identifies(pages, complex_patient)
    text = _flat("\n".join(pages))
    assert "T1 " in text
    assert "T40 " in text
    assert DM_TRD_CAVEAT in text
    assert FORBIDDEN not in text.lower()
    assert pdf.filename == f"report-RN-40-{datetime.date.today().isoformat()}.pdf"


def test_safety_box_comes_first_with_scale_item_score_and_date(
    simple: Patient, access: ClinicAccess
) -> None:
    episode = simple.episodes.get()
    day = episode.onset_date + datetime.timedelta(weeks=44)
    ScaleAdministrationFactory(
        episode=episode, scale="HAMD17", administered_on=day, total=Decimal(22), items={"3": 2}
    )

    first = _flat(pdf_pages(patient_report_pdf(access=access, patient_id=simple.pk).content)[0])

    assert "Safety: suicide-item alert open" in first
    assert f"HAM-D17, item 3: 2 on {day.strftime('%-d %b %Y')}" in first
    assert first.index("Safety: suicide-item alert") < first.index("Diagnosis and episode")


def test_a_later_score_without_the_alert_closes_it_and_an_old_rating_is_noted(
    simple: Patient, access: ClinicAccess
) -> None:
    episode = simple.episodes.get()
    onset = episode.onset_date
    ScaleAdministrationFactory(
        episode=episode,
        scale="HAMD17",
        administered_on=onset + datetime.timedelta(days=10),
        total=Decimal(22),
        items={"3": 2},
    )
    ScaleAdministrationFactory(
        episode=episode,
        scale="HAMD17",
        administered_on=onset + datetime.timedelta(days=40),
        total=Decimal(18),
        items={"3": 0},
    )

    report = patient_report(access=access, patient_id=simple.pk)

    assert report.safety.alerts == ()
    assert "No suicide item was rated in the last 90 days" in report.safety.note


def test_severity_compares_the_same_scale_and_version_and_lists_the_others(
    simple: Patient, access: ClinicAccess
) -> None:
    episode = simple.episodes.get()
    onset = episode.onset_date
    ScaleAdministrationFactory(
        episode=episode,
        scale="QLES_Q_SF",
        administered_on=onset + datetime.timedelta(weeks=45),
        total=Decimal(45),
    )

    report = patient_report(access=access, patient_id=simple.pk)

    assert report.severity is not None
    assert report.severity.primary is not None
    primary = report.severity.primary
    assert primary.scale == "MADRS"
    assert primary.baseline.startswith("32")
    assert primary.latest.startswith("19")
    assert "45" not in primary.latest
    assert [line.scale for line in report.severity.others] == ["Q-LES-Q-SF"]
    assert report.severity.others[0].latest == "no later score"
    assert "days old: current severity is not known" in report.severity.stale_note


def test_summary_is_a_draft_until_the_psychiatrist_fills_it(
    simple: Patient, access: ClinicAccess
) -> None:
    text = _flat(
        "\n".join(pdf_pages(patient_report_pdf(access=access, patient_id=simple.pk).content))
    )

    assert "DRAFT" in text.upper()
    assert "Draft: reason for referral, referrer, impression and plan" in text


def test_appendix_names_trials_by_number_without_repeating_their_lines(
    simple: Patient, access: ClinicAccess, tmp_path: Path
) -> None:
    summary = pdf_pages(patient_report_pdf(access=access, patient_id=simple.pk).content)
    # The process's chart exporter, as the report view uses (its browser closes with the session).
    full = patient_report_pdf(access=access, patient_id=simple.pk, appendix=True)

    pages = pdf_pages(full.content)
    assert_every_page_identifies(pages, simple)
    appendix = _flat("\n".join(pages[len(summary) :]))
    assert appendix.startswith(_flat(pages[len(summary)])[:20])
    assert "Appendix" in appendix
    assert "How each model read the trials" in appendix
    assert re.search(r"counts[^:]*: T1", appendix)
    # Trial lines ("T1 escitalopram 20 mg/day × 8 wk") live in the summary's table only.
    assert "mg/day" not in appendix
    assert "Pseudo-resistance checklist" in appendix
    assert "Parameters used" in appendix
    assert FORBIDDEN not in appendix.lower()
    if _chromium():
        assert "could not be drawn" not in appendix
    _require_pdftoppm()
    assert len(_rasterise(full.content, tmp_path)) == len(pages)


def test_appendix_without_chromium_still_renders_with_a_note_per_chart(
    simple: Patient, access: ClinicAccess
) -> None:
    CHART_CACHE.clear()

    pdf = patient_report_pdf(
        access=access,
        patient_id=simple.pk,
        appendix=True,
        exporter=ChartExporter(MISSING_BROWSER),
    )

    text = _flat("\n".join(pdf_pages(pdf.content)))
    assert text.count("could not be drawn in this PDF") == 2  # scores and stage over time


def test_pdf_is_tagged_with_title_and_language(simple: Patient, access: ClinicAccess) -> None:
    reader = PdfReader(BytesIO(patient_report_pdf(access=access, patient_id=simple.pk).content))

    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).startswith("en")
    assert reader.metadata is not None
    assert "RN/3 T" in str(reader.metadata.title)


def test_letter_paper_follows_the_clinic_setting(
    simple: Patient, clinic: Clinic, psychiatrist: User
) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(paper_size=PaperSize.LETTER)
    access = access_for_user(psychiatrist, clinic.pk)
    assert access is not None

    pdf = patient_report_pdf(access=access, patient_id=simple.pk)

    box = PdfReader(BytesIO(pdf.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_report_page_embeds_the_appendix_figures_for_the_static_script(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:patient-report", args=[simple.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-figures" type="application/json"' in html
    assert 'data-figure="stages"' in html
    assert 'data-figure="scores-0"' in html
    assert "js/report.js" in html
    assert "<script>" not in html
    assert reverse("records:patient-report-pdf", args=[simple.pk]) in html
    assert reverse("records:report-prepare", args=[simple.pk]) in html


def test_supervisor_reads_the_report_without_the_prepare_button(
    simple: Patient, supervisor: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(supervisor).get(reverse("records:patient-report", args=[simple.pk]))

    assert response.status_code == 200
    assert reverse("records:report-prepare", args=[simple.pk]) not in response.content.decode()


def test_pdf_download_is_audited_and_named_by_record_number_and_date(
    simple: Patient, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(psychiatrist)
    url = reverse("records:patient-report-pdf", args=[simple.pk])

    first = client.get(url)
    second = client.get(url, {"appendix": "1"})

    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    assert len(pdf_pages(second.content)) > len(pdf_pages(first.content))
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
    assert (
        pdf_filename("report", "../RN 7/ä", datetime.date(2026, 3, 1))
        == "report-RN-7-2026-03-01.pdf"
    )
