"""The impasse queue's table rows, written in Python rather than by the template engine.

Issue 18: with 500 open cases the template engine spent most of the queue's time walking the
rows (a URL tag, a date filter and a dozen lookups a row). This writes the same markup with
escaped f-strings; tests/integration/pseudoresistance/test_queue_rows.py renders the rows the
old template wrote and compares them with these. Edit the markup here.
"""

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from pseudoresistance.selectors import QueueRow

EMPTY = '<tr><td colspan="7" class="text-muted">No impasse case matches.</td></tr>'
# A case id no case has, reversed once per page and replaced by each case's id.
URL_PLACEHOLDER = 2_147_483_647


def _date(value: datetime.date, months: tuple[str, ...]) -> str:
    # The |date:"j M Y" filter: the date-time in the current time zone.
    day = timezone.localtime(value) if isinstance(value, datetime.datetime) else value
    return f"{day.day} {months[day.month]} {day.year}"


def _row(row: "QueueRow", url: tuple[str, str], months: tuple[str, ...]) -> str:
    case = row.case
    patient = case.patient
    psychiatrist = patient.psychiatrist
    name = (psychiatrist.get_full_name() if psychiatrist is not None else "") or "—"
    alerts = "".join(
        f'<p class="text-danger mb-1">{escape(alert)}</p>' for alert in row.safety_alerts
    )
    severity = "—" if row.severity is None else escape(row.severity)
    flagged_on = _date(case.flagged_at, months)
    if case.origin == "automatic":
        why = f"Flagged automatically on {flagged_on}"
        if row.criteria_short_labels:
            labels = "".join(f"<li>{escape(label)}</li>" for label in row.criteria_short_labels)
            why += f' because:<ul class="mb-0 ps-3">{labels}</ul>'
    else:
        by = case.flagged_by
        who = (by.get_full_name() or by.get_username()) if by is not None else ""
        why = f"Flagged by {escape(who)} on {flagged_on}: {escape(case.flag_reason)}"
    highlight = ' class="safety-alert"' if row.safety_alerts else ""
    return (
        f'<tr data-testid="queue-row"{highlight}>'
        f'<td><a href="{url[0]}{case.pk}{url[1]}">{escape(patient.record_number)} · '
        f"{escape(patient.family_name)}, {escape(patient.given_name)}</a></td>"
        f"<td>{escape(name)}</td>"
        f"<td>{escape(case.get_state_display())}</td>"
        f'<td data-testid="queue-safety">{alerts or "—"}</td>'
        f"<td>{severity}</td>"
        f"<td>{escape(row.days_waiting)}</td>"
        f'<td class="small" data-testid="queue-why">{why}</td>'
        "</tr>"
    )


def queue_rows_html(rows: Iterable["QueueRow"]) -> SafeString:
    """Return the <tr> rows of the impasse queue's table; every value is escaped."""
    before, after = reverse("pseudoresistance:case", args=[URL_PLACEHOLDER]).split(
        str(URL_PLACEHOLDER)
    )
    months = ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))
    html = "\n".join(_row(row, (escape(before), escape(after)), months) for row in rows)
    return mark_safe(html or EMPTY)  # noqa: S308  # nosec B308, B703
