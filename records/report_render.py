"""Print the report's documents as PDF: weasyprint, tagged for screen readers, A4 or Letter.

One renderer for the consultant summary, the letter to primary care and the patient's summary,
so each gets the same running identifiers, "Page N of M" and file name.
"""

import datetime
import functools
import logging
import time
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .models.clinic import PaperSize
from .staging import UNSAFE_FILENAME_CHARACTERS

logger = logging.getLogger(__name__)

PDF_FILENAME = "{kind}-{record}-{day}.pdf"
STYLESHEET = "css/report.css"
# The documents' language, as <html lang> gives it to the PDF's /Lang (settings.LANGUAGE_CODE).
PDF_LANGUAGE = "en-GB"


def pdf_filename(kind: str, record_number: str, day: datetime.date) -> str:
    """Return a PDF's name: what it is, record number and date, never the patient's name."""
    safe = UNSAFE_FILENAME_CHARACTERS.sub("-", record_number).strip("-.") or "patient"
    return PDF_FILENAME.format(kind=kind, record=safe, day=day.isoformat())


def _page_css(paper_size: str) -> str:
    size = "letter" if paper_size == PaperSize.LETTER else "A4"
    return f"@page {{ size: {size}; }}"


@functools.cache
def _stylesheets(paper_size: str) -> tuple[Any, ...]:
    """Return the parsed stylesheets, once per process and paper size."""
    # weasyprint is imported here: it loads Pango and fonts, which other pages never need.
    from weasyprint import CSS

    stylesheet = finders.find(STYLESHEET)
    assert isinstance(stylesheet, str)
    return (CSS(filename=stylesheet), CSS(string=_page_css(paper_size)))


def render_pdf(template: str, context: dict[str, Any], *, title: str, paper_size: str) -> bytes:
    """Render a template as a tagged PDF (PDF/UA-1) with its title and language set."""
    from weasyprint import HTML

    started = time.monotonic()
    html = render_to_string(
        template, {**context, "pdf": True, "document_title": title, "language": PDF_LANGUAGE}
    )
    # <html lang> and <title> give the document's language and title; tags give its structure.
    content = HTML(string=html).write_pdf(
        stylesheets=list(_stylesheets(paper_size)), pdf_variant="pdf/ua-1", pdf_tags=True
    )
    assert content is not None
    logger.info("report pdf rendered in %.2f s", time.monotonic() - started)
    return bytes(content)
