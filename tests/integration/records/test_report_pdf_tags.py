"""The three printed documents are tagged PDFs (PDF/UA-1) a screen reader reads in order: marked,
with a structure tree, the document's language and its title; the charts carry a description."""

import re
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from pypdf import PdfReader

from records.access import ClinicAccess, access_for_user
from records.models import Clinic, Patient
from records.report import REPORT_TITLE, ReportPdf, patient_report_pdf
from records.report_charts import CHART_CACHE, SCORES_TITLE, STAGE_TITLE
from records.report_letters import (
    LETTER_TITLE,
    PATIENT_TITLE,
    patient_letter_pdf,
    patient_summary_pdf,
)
from records.report_render import PDF_LANGUAGE
from tests.integration.records.test_report import (
    _chromium,
    _rasterise,
    _require_pdftoppm,
    report_patient,
    simple_history,
)

DOCUMENTS: dict[str, Callable[..., ReportPdf]] = {
    "summary": patient_report_pdf,
    "letter": patient_letter_pdf,
    "patient": patient_summary_pdf,
}
TITLES = {"summary": REPORT_TITLE, "letter": LETTER_TITLE, "patient": PATIENT_TITLE}


@pytest.fixture
def access(clinic: Clinic, psychiatrist: User) -> ClinicAccess:
    found = access_for_user(psychiatrist, clinic.pk)
    assert found is not None
    return found


@pytest.fixture
def patient(clinic: Clinic, psychiatrist: User) -> Patient:
    return report_patient(clinic, psychiatrist, simple_history(), record_number="RN-TAG")


def _elements(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every structure element under a node of the structure tree, depth first."""
    kids = node.get_object().get("/K") if isinstance(node.get_object(), dict) else None
    if kids is None:
        return
    for kid in kids if isinstance(kids, list) else [kids]:
        element = kid.get_object()
        if isinstance(element, dict) and "/S" in element:
            yield element
            yield from _elements(element)


def _structure(reader: PdfReader) -> list[dict[str, Any]]:
    root: Any = reader.trailer["/Root"]
    return list(_elements(root["/StructTreeRoot"]))


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_document_is_tagged_with_its_language_and_title(
    document: str, patient: Patient, access: ClinicAccess, tmp_path: Path
) -> None:
    content = DOCUMENTS[document](access=access, patient_id=patient.pk).content
    reader = PdfReader(BytesIO(content))

    root: Any = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]) == PDF_LANGUAGE
    # A reader shows the title, not the file name, in its window (PDF/UA-1, 7.1).
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata is not None
    title = str(reader.metadata.title)
    assert title.startswith(TITLES[document])
    assert "RN-TAG" in title
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert title in (xmp.dc_title or {}).values()
    kinds = {str(element["/S"]) for element in _structure(reader)}
    assert {"/H1", "/P"} <= kinds or {"/H2", "/P"} <= kinds, kinds
    _require_pdftoppm()
    assert _rasterise(content, tmp_path)


def test_appendix_charts_are_figures_with_a_description_and_their_tables(
    patient: Patient, access: ClinicAccess
) -> None:
    if not _chromium():
        pytest.skip("no chromium to draw the charts")
    CHART_CACHE.clear()
    # Drawn by the process's chart exporter, as the report view draws them.
    content = patient_report_pdf(access=access, patient_id=patient.pk, appendix=True).content
    reader = PdfReader(BytesIO(content))

    elements = _structure(reader)
    figures = [element for element in elements if str(element["/S"]) == "/Figure"]
    described = [str(figure.get("/Alt", "")) for figure in figures]
    assert any(STAGE_TITLE in alt for alt in described), described
    assert any(alt.startswith(SCORES_TITLE) for alt in described), described
    assert all(alt for alt in described)
    assert sum(1 for element in elements if str(element["/S"]) == "/Table") >= 2
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert re.search(r"\d{1,2} \w{3} \d{4}", text)
