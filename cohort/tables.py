"""The cohort page's longer table bodies, written in Python rather than by the template engine.

Issue 18: after the counting left pandas, the template's walk of some 200 table rows (a lookup,
a filter and an auto-escape per value, a URL per concordance cell) was the page's largest cost.
These write the same markup: tests/integration/cohort/test_cohort_tables.py renders the old
template loops (old_cohort_tables.html) and compares them with these. Edit the markup here.
"""

import datetime
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from django.template.defaultfilters import date, floatformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from cohort.selectors import ItemCount, RatePoint


def _e(value: object) -> str:
    return str(conditional_escape(str(value)))


def _safe(html: str) -> SafeString:
    # Every value above went through _e or is a number this module formatted.
    return mark_safe(html)  # noqa: S308  # nosec B308, B703


@functools.lru_cache(maxsize=2048)
def _percent_in(value: float | None, language: str) -> str:
    return _e(floatformat(value, "-1"))


def _percent(value: float | None) -> str:
    # The |floatformat:"-1" filter (Decimal arithmetic and localisation) once per value and
    # language: percentages to one decimal repeat from row to row and page to page.
    return _percent_in(value, get_language())


def count_rows(counts: Iterable[tuple[str, int]], empty: str, colspan: int = 2) -> SafeString:
    """Return the rows of a two-column table of names and counts (a distribution's, a state's)."""
    rows = "".join(
        f'<tr><td>{_e(name)}</td><td class="text-end">{n}</td></tr>' for name, n in counts
    )
    return _safe(rows or f'<tr><td colspan="{colspan}" class="text-muted">{empty}</td></tr>')


def concordance_rows(pairs: Sequence[dict[str, Any]]) -> SafeString:
    """Return the concordance table's rows: disagreements linked, agreement beside them."""
    rows = []
    for row in pairs:
        label = _e(row["label"])
        cells = []
        for cell in row["cells"]:
            if not cell["url"]:
                cells.append("<td>—</td>")
                continue
            agreement = cell["agreement"]
            agree = (
                f' <span class="text-muted">({_percent(agreement)} % agree)</span>'
                if agreement is not None
                else ""
            )
            disagreements = _e(cell["disagreements"])
            cells.append(
                f'<td><a href="{_e(cell["url"])}" data-testid="disagreement-link" '
                f'aria-label="{label} and {_e(cell["label"])}: {disagreements} disagree">'
                f"{disagreements}</a>{agree}</td>"
            )
        rows.append(f'<tr><th scope="row" class="text-start">{label}</th>{"".join(cells)}</tr>')
    return _safe("".join(rows))


def backlog_rows(backlog: Iterable[tuple[datetime.date, int]]) -> SafeString:
    """Return the backlog table's rows: each week's end and the cases open or under review."""
    return count_rows(((date(week, "j M Y"), n) for week, n in backlog), "No case yet.")


def item_rows(items: Iterable[ItemCount]) -> SafeString:
    """Return the rows of a table of checklist questions and the episodes that have them."""
    return count_rows(((item.text, item.episodes) for item in items), "None recorded.")


def rate_rows(rates: Iterable[RatePoint]) -> SafeString:
    """Return the rates table's rows: per quarter, response and remission among those scored."""

    def share(rate: float | None, judged: int) -> str:
        return f"{_percent(rate)} % of {judged}" if judged else "no scores"

    rows = "".join(
        f'<tr><td>{_e(point.period)}</td><td class="text-end">'
        f"{share(point.response_rate, point.responders_judged)}</td>"
        f'<td class="text-end">{share(point.remission_rate, point.remission_judged)}</td></tr>'
        for point in rates
    )
    return _safe(
        rows or '<tr><td colspan="3" class="text-muted">No scores in this selection.</td></tr>'
    )
