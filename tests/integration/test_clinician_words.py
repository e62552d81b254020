"""Every page the demo shows a psychiatrist speaks the clinic's words (issue 16).

The test builds the demo clinic, signs in as its psychiatrist and follows every link (and every
GET form, with its default values) from the patient list, reading each HTML page's visible text.
It fails on the specification's source codes ("[S]", "[I]", "[R]", "[C]"), its rule numbers
("(12."), internal parameter names joined by underscores, and numbers with more than one decimal.
Sources behind a "sources" disclosure (`<details class="sources">`) are meant for those who open
them and are not scanned.
"""

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from records.demo import DEMO_USERS, demo_clinic_create
from tests.two_factor import verified_login

FORBIDDEN = (
    ("a source code", re.compile(r"\[[SIRC]\]")),
    ("a rule number", re.compile(r"\(12\.")),
    ("a parameter name", re.compile(r"\b[a-z]+_[a-z_]+\b")),
    # A version such as 2026.11.1 or 2026.11-1 is no number; 8.82 is.
    ("a raw decimal", re.compile(r"(?<![\d.])\d+\.\d{2,}(?!\.?\d|-\d)")),
)
# Downloads and writes: not pages; the PDFs are the same text as the HTML reports.
NOT_PAGES = re.compile(r"\.(pdf|json|csv)$|/export/")
# A <code> element is a literal the clinician types (a CSV column name), not prose.
SKIPPED_TAGS = {"script", "style", "template", "head", "textarea", "code"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
# Inputs a GET form sends only when clicked or ticked.
CLICKED = {"submit", "checkbox", "radio", "button"}
# Pages of the same kind past this many (a tenth trial form) add time, not coverage; every
# patient page, staging page and report is read.
PER_KIND = 6
EVERY_ONE = {
    "records:patient-detail",
    "records:patient-staging",
    "records:patient-report",
    "records:patient-changes",
    "pseudoresistance:checklist",
}


class VisibleText(HTMLParser):
    """Collect a page's visible text, its links and its GET forms with their default values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.get_forms: list[tuple[str, dict[str, str]]] = []
        # The skipped element being read (its tag and nesting depth), if any.
        self._skipping: tuple[str, int] | None = None
        self._form: tuple[str, dict[str, str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if self._skipping is not None:
            name, depth = self._skipping
            if tag == name:
                self._skipping = (name, depth + 1)
            return
        if tag in SKIPPED_TAGS or (tag == "details" and "sources" in values.get("class", "")):
            if tag not in VOID_TAGS:
                self._skipping = (tag, 1)
            return
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "form" and values.get("method", "get").lower() == "get":
            self._form = (values.get("action", ""), {})
        elif self._form is not None:
            self._form_field(tag, values)

    def _form_field(self, tag: str, values: dict[str, str]) -> None:
        assert self._form is not None
        fields = self._form[1]
        if tag == "select" and values.get("name"):
            self._select = values["name"]
        elif tag == "option" and self._select is not None:
            fields.setdefault(self._select, values.get("value", ""))
        elif tag == "input" and values.get("name") and values.get("type") not in CLICKED:
            fields.setdefault(values["name"], values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping is not None:
            name, depth = self._skipping
            if tag == name:
                self._skipping = None if depth == 1 else (name, depth - 1)
            return
        if tag == "form" and self._form is not None:
            self.get_forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self.text.append(data)


def read_page(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def findings(text: str) -> list[str]:
    """Return each forbidden piece of the text, with a little of its context."""
    found = []
    for what, pattern in FORBIDDEN:
        for match in pattern.finditer(text):
            start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
            found.append(f"{what} {match.group(0)!r} in …{text[start:end]}…")
    return found


def route_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Client, start: str) -> dict[str, list[str]]:
    """Read every page reachable from the start by links and GET forms; return the findings."""
    queue, seen, problems = [start], {start}, {}
    per_kind: Counter[str] = Counter()
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue
        page = read_page(response.content.decode())
        text = re.sub(r"\s+", " ", " ".join(page.text))
        if found := findings(text):
            problems[url] = found
        targets = list(page.links)
        targets += [
            f"{urlsplit(urljoin(url, action)).path}?{urlencode(fields)}"
            for action, fields in page.get_forms
        ]
        for target in targets:
            absolute = urljoin(url, target.split("#")[0])
            parts = urlsplit(absolute)
            if parts.netloc or not absolute or absolute in seen or NOT_PAGES.search(parts.path):
                continue
            name = route_name(parts.path)
            if name is None or name.startswith("admin:") or name in {"logout"}:
                continue
            seen.add(absolute)
            per_kind[name] += 1
            if name in EVERY_ONE or per_kind[name] <= PER_KIND:
                queue.append(absolute)
    return problems


def test_the_scan_finds_codes_rule_numbers_parameter_names_and_raw_decimals():
    text = (
        "(MGH-ATRQ [S]) (12.1) canadian_min_weeks 8.82353 % · "
        "version 2026.11.1, 2026.11-1 · 8.8 % · 0.025."
    )
    found = findings(text)
    assert [line.split(" in ")[0] for line in found] == [
        "a source code '[S]'",
        "a rule number '(12.'",
        "a parameter name 'canadian_min_weeks'",
        "a raw decimal '8.82353'",
        "a raw decimal '0.025'",
    ]


def test_the_scan_reads_visible_text_but_not_attributes_scripts_or_opened_sources():
    page = read_page(
        '<p title="nonresponse_rule">Seen</p><input name="min_weeks" value="8.00">'
        "<script>var a_b = 1.25;</script>"
        '<details class="sources"><summary>sources</summary>(12.1) [S]</details>'
    )
    assert " ".join(page.text).split() == ["Seen"]


@pytest.mark.django_db
def test_every_page_the_demo_shows_a_psychiatrist_is_in_clinician_words(client):
    demo_clinic_create()
    psychiatrist = User.objects.get(username=DEMO_USERS[0][0])
    problems = crawl(verified_login(client, psychiatrist), reverse("records:patient-list"))
    report = "\n".join(f"{url}\n  " + "\n  ".join(found) for url, found in problems.items())
    assert not problems, report
