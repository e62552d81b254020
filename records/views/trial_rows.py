"""The patient page's long tables' rows, written in Python rather than by the template engine.

Issue 18: the template engine spent about 250 µs walking each row of a long trial table (a
lookup per variable, a node per tag); this writes the same markup with escaped f-strings, about
ten times faster. tests/integration/records/test_trial_rows.py renders the rows the old template
wrote and compares them with these, over random trials; test_timeline_rows.py and
test_score_rows.py do the same for the timeline's dated lines and the score table
(old_timeline_rows.html, old_score_rows.html). Edit the markup here.
"""

import datetime
import html
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from records.wording import reason_words

if TYPE_CHECKING:
    from records.charts import TimelineEntry
    from records.views.patients import ScoreLine, TrialLine


def escape(text: object) -> str:
    """Return the text escaped as django.utils.html.escape does, without its lazy-text wrapper.

    The same characters (that function is `html.escape(str(text))`); the wrapper's check of
    every argument for lazy text cost as much as the escaping over a long table.
    """
    return html.escape(str(text))


def _months() -> tuple[str, ...]:
    """Return the short month names as |date:"M" writes them, in the active language."""
    return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))


def _date(value: datetime.date, months: tuple[str, ...]) -> str:
    # The |date:"j M Y" filter, without a formatter object per date (a date-time is shown in the
    # current time zone, as the filter shows it).
    day = timezone.localtime(value) if isinstance(value, datetime.datetime) else value
    return f"{day.day} {months[day.month]} {day.year}"


def _verdict(adequate: bool | None) -> str:
    if adequate:
        return '<span class="badge badge-adequate">adequate</span>'
    return '<span class="badge badge-inadequate">not adequate</span>'


# A pure function of the engine's line: the same few sentences recur down a long table.
@lru_cache(maxsize=4096)
def _reason(line: str) -> str:
    # templates/_partials/reason.html: the sentence, its sources behind a "sources" disclosure.
    reason = reason_words(str(line))
    if not reason.sources:
        return escape(reason.text)
    sources = "; ".join(escape(source) for source in reason.sources)
    return (
        f'{escape(reason.text)} <details class="sources reason-sources"><summary>sources</summary>'
        f'<span class="sources-list">{sources}</span></details>'
    )


def _row(line: "TrialLine", can_edit: bool, months: tuple[str, ...]) -> str:
    row = line.row
    trial = row.trial
    code = escape(trial.code)
    current = row.current
    assessment = row.assessment
    parts = [
        f'<tr data-testid="trial-row-{code}" class="{"" if current else "trial-previous"}">',
        f'<th scope="row">{code}</th>',
        f'<td class="text-nowrap">{_date(trial.start_date, months)}',
    ]
    if not current:
        parts.append('<br><span class="badge text-bg-light border">earlier episode</span>')
    parts.append('</td><td class="text-nowrap">')
    if trial.end_date:
        parts.append(_date(trial.end_date, months))
    elif current:
        parts.append('<span class="text-muted">ongoing</span>')
    else:
        parts.append('<span class="text-muted">not recorded</span>')
    parts.append(f"</td><td><strong>{escape(trial.agent_label)}</strong>")
    parts.append(f'<div class="small text-muted">{escape(trial.get_kind_display())}')
    if trial.class_label:
        parts.append(f" · {escape(trial.class_label)}")
    if trial.augments_id is not None and trial.augments:
        parts.append(f" · added to {escape(trial.augments.code)}")
    parts.append(f'</div></td><td class="small">{escape(line.amount)}')
    if trial.adherence:
        parts.append(f"<br>adherence {escape(trial.adherence)}")
    parts.append('</td><td class="text-nowrap" data-testid="adequacy">')
    if row.overridden:
        parts.append('<span class="small text-muted">computed:</span>')
    level = escape(assessment.level)
    parts.append(
        f'<span class="badge level-badge level-{level}" title="ATHF-style level, 0–5">'
        f"level {level}/5</span>"
    )
    parts.append(_verdict(assessment.adequate))
    if row.overridden:
        by = trial.override_by
        name = (by.get_full_name() or by.username) if by is not None else ""
        on = _date(trial.override_at, months) if trial.override_at else ""
        parts.append(
            '<div class="override-note small mt-1" data-testid="override">clinician: '
            f"{_verdict(trial.override_adequate)}"
            f'<div class="text-muted text-wrap">“{escape(trial.override_reason)}” — '
            f"{escape(name)}, {on}</div></div>"
        )
    parts.append(
        f'</td><td><span class="badge outcome-badge {escape(line.outcome_class)}">'
        f"{escape(line.outcome_label)}</span>"
    )
    if line.reduction:
        parts.append(f'<div class="small text-muted">{escape(line.reduction)}</div>')
    if trial.outcome:
        parts.append(
            '<div><span class="badge text-bg-danger">'
            f"{escape(trial.get_outcome_display())}</span></div>"
        )
    parts.append('</td><td class="small"><ul class="reasons mb-0">')
    parts.extend(f"<li>{_reason(reason)}</li>" for reason in assessment.reasons)
    parts.append("</ul></td>")
    if can_edit:
        parts.append(
            '<td class="text-nowrap small no-print trial-actions">'
            f'<a href="{escape(line.edit_url)}" aria-label="Edit trial {code}">Edit</a> · '
            f'<a href="{escape(line.override_url)}" '
            f'aria-label="Override the adequacy of trial {code}">Override</a></td>'
        )
    parts.append("</tr>")
    return "".join(parts)


def trial_rows_html(lines: Iterable["TrialLine"], *, can_edit: bool) -> SafeString:
    """Return the <tr> rows of the patient page's trial table; every value is escaped."""
    months = _months()
    return mark_safe("\n".join(_row(line, can_edit, months) for line in lines))  # noqa: S308  # nosec B308, B703


def timeline_rows_html(entries: Iterable["TimelineEntry"]) -> SafeString:
    """Return the <tr> rows of the timeline's table (its values as dated lines), escaped."""
    months = _months()
    return mark_safe(  # noqa: S308  # nosec B308, B703
        "".join(
            f'<tr><td class="text-nowrap">{_date(entry.day, months)}</td>'
            f"<td>{escape(entry.text)}</td></tr>"
            for entry in entries
        )
    )


def json_script_html(value: Any, element_id: str) -> SafeString:
    """Return the <script type="application/json"> that |json_script writes, the same bytes.

    Its escapes made by str.replace: the filter's str.translate walked the timeline's figure
    (~16 kB at 40 trials) a character at a time, 1 ms of the page's CPU (issue 18).
    """
    text = (
        json.dumps(value, cls=DjangoJSONEncoder)
        .replace("&", "\\u0026")
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
    )
    return mark_safe(  # noqa: S308  # nosec B308, B703
        f'<script id="{escape(element_id)}" type="application/json">{text}</script>'
    )


def _score_row(line: "ScoreLine", can_edit: bool, months: tuple[str, ...]) -> str:
    row = line.row
    administration = row.administration
    total = administration.total
    parts = [
        f'<tr class="{"table-info" if line.highlighted else ""}" '
        f'data-testid="score-row-{administration.pk}">',
        f'<td class="text-nowrap">{_date(administration.administered_on, months)}</td>',
        f"<td>{escape(administration.get_scale_display())}",
    ]
    if administration.scale_version:
        parts.append(
            f' <span class="text-muted small">{escape(administration.scale_version)}</span>'
        )
    # The |floatformat:"-2"|default:"—" filters themselves: their rounding and locale.
    parts.append(f'</td><td class="text-nowrap">{escape(floatformat(total, "-2") or "—")}')
    if total is not None and line.range_text:
        parts.append(f' <span class="small text-muted">({escape(line.range_text)})</span>')
    parts.append(f"</td><td>{escape(row.band or '—')}</td><td")
    if line.change_reason:
        parts.append(f' title="{escape(line.change_reason)}"')
    parts.append(f">{escape(line.change_label)}</td><td>")
    if row.in_remission is None:
        parts.append("—")
    elif row.in_remission:
        parts.append('<span class="badge badge-adequate">in remission</span>')
    else:
        parts.append("not in remission")
    parts.append(f'</td><td class="small">{escape(administration.rater or "—")}</td>')
    if can_edit:
        parts.append(
            '<td class="text-nowrap small no-print">'
            f'<a href="{escape(line.edit_url)}">Edit</a> · '
            f'<a href="{escape(line.delete_url)}">Delete</a></td>'
        )
    parts.append("</tr>")
    return "".join(parts)


def score_rows_html(lines: Iterable["ScoreLine"], *, can_edit: bool) -> SafeString:
    """Return the <tr> rows of the patient page's score table; every value is escaped."""
    months = _months()
    return mark_safe(  # noqa: S308  # nosec B308, B703
        "\n".join(_score_row(line, can_edit, months) for line in lines)
    )
