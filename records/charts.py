"""The patient page's timeline and the report's score charts: plotly figures as plain JSON.

static/js/score-charts.js draws them on the page; records/report_charts.py reuses the score charts.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from records import scales
from records.selectors import ScaleRow, TrialRow

SCORE_COLOUR = "#1f4e79"
REMISSION_COLOUR = "#2e7d32"
RESPONSE_COLOUR = "#b26a00"
REMISSION_LABEL = "remission {rule} ({source})"
RESPONSE_LABEL = "response: ≤ {threshold:g}, {percent} % below the first score"
HOVER = "%{x|%d %b %Y}: %{y}<br>%{text}<extra></extra>"
CHART_HEIGHT = 320
# Head room above the highest score or line, so neither sits on the chart's edge.
HEAD_ROOM = 1.2


# Days either side of the first and last date: a lone date gets a readable fortnight of axis
# instead of plotly's millisecond ticks around a single instant.
PAD_DAYS = 7
PAD_SHARE = 0.03


def padded_date_range(days: Sequence[datetime.date]) -> list[str]:
    """Return a date axis's range: the first to the last day, padded by PAD_DAYS or PAD_SHARE."""
    first, last = min(days), max(days)
    pad = datetime.timedelta(days=max(PAD_DAYS, round((last - first).days * PAD_SHARE)))
    return [(first - pad).isoformat(), (last + pad).isoformat()]


def _line(y: float, colour: str, dash: str) -> dict[str, Any]:
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": 1.5, "dash": dash},
    }


def _legend_entry(name: str, colour: str, dash: str) -> dict[str, Any]:
    # The lines are shapes spanning the whole width; an empty trace names them in the legend.
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": [None],
        "y": [None],
        "line": {"color": colour, "width": 1.5, "dash": dash},
        "hoverinfo": "skip",
    }


@dataclass(frozen=True)
class Threshold:
    """A response or remission line: its level, how it is drawn and its name in words."""

    level: float
    colour: str
    dash: str
    name: str


def thresholds(definition: scales.ScaleDefinition, first_total: float) -> tuple[Threshold, ...]:
    """Return a scale's remission and response lines, each with its own dash pattern."""
    lines = []
    rule = definition.remission
    if rule is not None:
        name = REMISSION_LABEL.format(rule=rule.label, source=rule.source)
        lines.append(Threshold(rule.threshold, REMISSION_COLOUR, "dash", name))
    if definition.percent_change_outcome and first_total > 0:
        # Response is a 50 % reduction from the episode's first score of the scale (1.3).
        level = first_total * (100 - scales.RESPONSE.percent) / 100
        name = RESPONSE_LABEL.format(percent=scales.RESPONSE.percent, threshold=level)
        lines.append(Threshold(level, RESPONSE_COLOUR, "dot", name))
    return tuple(lines)


def _figure(definition: scales.ScaleDefinition, rows: Sequence[ScaleRow]) -> dict[str, Any]:
    totals = [row.administration.total_value or 0 for row in rows]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": f"{definition.name} total",
            "x": [row.administration.administered_on.isoformat() for row in rows],
            "y": totals,
            "text": [row.band or "" for row in rows],
            "hovertemplate": HOVER,
            "line": {"color": SCORE_COLOUR, "width": 2},
            "marker": {"size": 8},
        }
    ]
    shapes: list[dict[str, Any]] = []
    levels = list(totals)
    for line in thresholds(definition, float(totals[0])):
        shapes.append(_line(line.level, line.colour, line.dash))
        traces.append(_legend_entry(line.name, line.colour, line.dash))
        levels.append(line.level)
    top = max(levels) * HEAD_ROOM or 1
    if definition.total_range is not None:
        top = min(top, definition.total_range[1])
    return {
        "data": traces,
        "layout": {
            "title": {"text": definition.name, "x": 0.01, "font": {"size": 14}},
            "height": CHART_HEIGHT,
            "margin": {"l": 48, "r": 16, "t": 36, "b": 24},
            "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": -0.15, "font": {"size": 11}},
            "xaxis": {
                "type": "date",
                "range": padded_date_range([row.administration.administered_on for row in rows]),
            },
            "yaxis": {"title": {"text": "total"}, "range": [0, top]},
            "shapes": shapes,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
        },
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


def _by_scale(rows: Sequence[ScaleRow]) -> dict[str, list[ScaleRow]]:
    by_scale: dict[str, list[ScaleRow]] = {}
    for row in rows:
        if row.administration.total is not None:
            by_scale.setdefault(row.administration.scale, []).append(row)
    return by_scale


def score_charts(rows: Sequence[ScaleRow]) -> list[dict[str, Any]]:
    """Return one figure per scale scored in the episode, with its response and remission lines."""
    return [
        _figure(scales.SCALES[scales.ScaleCode(code)], scale_rows)
        for code, scale_rows in _by_scale(rows).items()
    ]


SCORE_TABLE_CAPTION = "{scale} total on each date"
SCORE_TABLE_COLUMNS = ("Date", "Total", "Severity")


@dataclass(frozen=True)
class ChartTable:
    """A chart's values as a table, its text alternative: a caption, column heads and rows."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def score_tables(rows: Sequence[ScaleRow]) -> list[ChartTable]:
    """Return each score chart's values as a table, in score_charts' order; the caption names
    the response and remission lines in words."""
    tables = []
    for code, scale_rows in _by_scale(rows).items():
        definition = scales.SCALES[scales.ScaleCode(code)]
        totals = [float(row.administration.total_value or 0) for row in scale_rows]
        lines = "; ".join(line.name for line in thresholds(definition, totals[0]))
        caption = SCORE_TABLE_CAPTION.format(scale=definition.name)
        tables.append(
            ChartTable(
                f"{caption} ({lines})" if lines else caption,
                SCORE_TABLE_COLUMNS,
                tuple(
                    (day_text(row.administration.administered_on), f"{total:g}", row.band or "")
                    for row, total in zip(scale_rows, totals, strict=True)
                ),
            )
        )
    return tables


# The patient page's one timeline: a row of scores per scale, then the trials as bars, all on
# one date axis, so the page shows what was given when the scores moved.
TRIAL_COLOUR = "#8fb3d9"
TRIAL_PREVIOUS_COLOUR = "#c9d2db"
SCALE_ROW_HEIGHT = 190
TRIAL_LANE_HEIGHT = 26
ROW_GAP = 56
TIMELINE_MARGIN = {"l": 44, "r": 12, "t": 28, "b": 36}
MS_PER_DAY = 86_400_000
SCALE_TITLE = "{name} total ({low}–{high}; {direction})"
HIGHER_WORSE = "higher is worse"
HIGHER_BETTER = "higher is better"
REMISSION_NOTE = "remission {rule}"
RESPONSE_NOTE = "response ≤ {threshold:g} (half the first score)"
TRIALS_TITLE = "Trials of this episode"
ONGOING = "ongoing"
END_FROM_WEEKS = "end not recorded: start plus weeks at dose"
TRIAL_HOVER = "%{customdata}<extra></extra>"
# A bar starting past this share of the axis is labelled back from its end, inside the plot.
LABEL_TURN_SHARE = 0.55


@dataclass(frozen=True)
class TimelineTrial:
    """A trial of the episode as the timeline draws it: its dates and what was given, in words."""

    code: str
    start: datetime.date
    end: datetime.date
    ongoing: bool
    from_weeks: bool
    label: str
    detail: str


def timeline_trials(
    rows: Sequence[TrialRow], assessment_date: datetime.date
) -> tuple[TimelineTrial, ...]:
    """Return the episode's trials with an end for the axis: recorded, from the weeks, or today."""
    trials = []
    for row in rows:
        if not row.current:
            continue  # an earlier episode's trial would stretch the axis over years
        trial = row.trial
        ongoing = False
        ending = ""
        if trial.end_date is not None:
            end = trial.end_date
        elif trial.weeks is not None:
            end = trial.start_date + datetime.timedelta(weeks=float(trial.weeks))
            ending = END_FROM_WEEKS
        else:
            end, ongoing = max(assessment_date, trial.start_date), True
        amount = trial.amount_text(weeks=False)
        label = " ".join(part for part in (trial.code, trial.agent_label, amount) if part)
        dates = f"{day_text(trial.start_date)} to {ONGOING if ongoing else day_text(end)}"
        detail = " · ".join(part for part in (label, dates, ending) if part)
        trials.append(
            TimelineTrial(trial.code, trial.start_date, end, ongoing, bool(ending), label, detail)
        )
    return tuple(sorted(trials, key=lambda t: (t.start, t.code)))


def day_text(day: datetime.date) -> str:
    """Return a date as the charts and their tables write it: "7 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


def _scale_traces(
    definition: scales.ScaleDefinition, rows: Sequence[ScaleRow], axis: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], float]:
    """Return a scale's score line, its threshold lines and their labels, and its top."""
    totals = [float(row.administration.total_value or 0) for row in rows]
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": f"{definition.name} total",
        "x": [row.administration.administered_on.isoformat() for row in rows],
        "y": totals,
        "text": [row.band or "" for row in rows],
        "hovertemplate": f"{definition.name} " + HOVER,
        "line": {"color": SCORE_COLOUR, "width": 2},
        "marker": {"size": 8},
        "xaxis": "x",
        "yaxis": axis,
    }
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    levels = list(totals)
    lines = []
    rule = definition.remission
    if rule is not None:
        lines.append(
            (rule.threshold, REMISSION_COLOUR, "dash", REMISSION_NOTE.format(rule=rule.label))
        )
    if definition.percent_change_outcome and totals[0] > 0:
        # Response is a 50 % reduction from the episode's first score of the scale (1.3).
        threshold = totals[0] * (100 - scales.RESPONSE.percent) / 100
        lines.append((threshold, RESPONSE_COLOUR, "dot", RESPONSE_NOTE.format(threshold=threshold)))
    for y, colour, dash, text in lines:
        shape = _line(y, colour, dash)
        shape["yref"] = axis
        shapes.append(shape)
        notes.append(
            {
                "text": text,
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "yref": axis,
                "y": y,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": colour},
            }
        )
        levels.append(y)
    return trace, shapes, notes, max(levels) * HEAD_ROOM or 1


def _trial_trace(trials: Sequence[TimelineTrial], axis: str) -> dict[str, Any]:
    # Horizontal bars on a date axis: each starts at `base` and is `x` milliseconds long.
    return {
        "type": "bar",
        "orientation": "h",
        "name": TRIALS_TITLE,
        "y": [trial.code for trial in trials],
        "base": [trial.start.isoformat() for trial in trials],
        "x": [max((trial.end - trial.start).days, 1) * MS_PER_DAY for trial in trials],
        "customdata": [trial.detail for trial in trials],
        "hovertemplate": TRIAL_HOVER,
        "marker": {"color": TRIAL_COLOUR, "line": {"color": SCORE_COLOUR, "width": 1}},
        "xaxis": "x",
        "yaxis": axis,
    }


def _trial_labels(
    trials: Sequence[TimelineTrial], axis: str, axis_range: Sequence[str]
) -> list[dict[str, Any]]:
    """Label each bar in its lane, from its start, or back from its end in the axis's right part.

    Annotations, not bar text: bar text is cut at a short bar's end or the plot's edge.
    """
    first, last = (datetime.date.fromisoformat(day) for day in axis_range)
    turn = first + (last - first) * LABEL_TURN_SHARE
    return [
        {
            "text": trial.label,
            "xref": "x",
            "x": (trial.start if trial.start <= turn else trial.end).isoformat(),
            "xanchor": "left" if trial.start <= turn else "right",
            "xshift": 4 if trial.start <= turn else -4,
            "yref": axis,
            "y": trial.code,
            "showarrow": False,
            "font": {"size": 11, "color": "#1b2a38"},
        }
        for trial in trials
    ]


def score_timeline(
    score_rows: Sequence[ScaleRow], trials: Sequence[TimelineTrial]
) -> dict[str, Any] | None:
    """Return one figure: a score row per scale, stacked over the episode's trials as bars.

    All rows share one date axis, padded by days either side (PAD_DAYS); None when the episode
    has neither a score nor a trial.
    """
    by_scale: dict[str, list[ScaleRow]] = {}
    for row in score_rows:
        if row.administration.total is not None:
            by_scale.setdefault(row.administration.scale, []).append(row)
    days = [row.administration.administered_on for rows in by_scale.values() for row in rows]
    days += [day for trial in trials for day in (trial.start, trial.end)]
    if not days:
        return None
    heights = [SCALE_ROW_HEIGHT] * len(by_scale)
    if trials:
        heights.append(TRIAL_LANE_HEIGHT * len(trials) + TRIAL_LANE_HEIGHT)
    plot_height = sum(heights) + ROW_GAP * (len(heights) - 1)
    axis_range = padded_date_range(days)
    traces: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    top = plot_height
    for index, height in enumerate(heights):
        name = "yaxis" if index == 0 else f"yaxis{index + 1}"
        axis = "y" if index == 0 else f"y{index + 1}"
        domain = [(top - height) / plot_height, top / plot_height]
        top -= height + ROW_GAP
        if index < len(by_scale):
            code = list(by_scale)[index]
            definition = scales.SCALES[scales.ScaleCode(code)]
            trace, lines, notes, highest = _scale_traces(definition, by_scale[code], axis)
            traces.append(trace)
            shapes += lines
            annotations += notes
            low, high = definition.total_range or (0, highest)
            title = SCALE_TITLE.format(
                name=definition.name,
                low=f"{low:g}",
                high=f"{high:g}",
                direction=HIGHER_WORSE if definition.higher_is_worse else HIGHER_BETTER,
            )
            layout[name] = {
                "domain": domain,
                "anchor": "x",
                "range": [min(0, low), min(highest, high)],
                "fixedrange": True,
                "nticks": 5,
            }
        else:
            traces.append(_trial_trace(trials, axis))
            annotations += _trial_labels(trials, axis, axis_range)
            title = TRIALS_TITLE
            layout[name] = {
                "domain": domain,
                "anchor": "x",
                "type": "category",
                "autorange": "reversed",
                "fixedrange": True,
            }
        annotations.append(
            {
                "text": f"<b>{title}</b>",
                "xref": "paper",
                "x": 0,
                "xanchor": "left",
                "yref": "paper",
                "y": domain[1],
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
    margin = TIMELINE_MARGIN
    layout.update(
        {
            "height": plot_height + margin["t"] + margin["b"],
            "autosize": True,
            "margin": margin,
            "showlegend": False,
            "hovermode": "closest",
            "bargap": 0.3,
            "xaxis": {
                "type": "date",
                "range": axis_range,
                "anchor": "y" if len(heights) == 1 else f"y{len(heights)}",
                "fixedrange": True,
                "automargin": True,
            },
            "shapes": shapes,
            "annotations": annotations,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
        }
    )
    return {
        "data": traces,
        "layout": layout,
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


@dataclass(frozen=True)
class TimelineEntry:
    """One dated line of the timeline's text alternative."""

    day: datetime.date
    text: str


SCORE_ENTRY = "{scale} {total}{band}"
TRIAL_STARTED = "{label} started"
TRIAL_ENDED = "{label} ended"
TRIAL_ENDED_FROM_WEEKS = "{label} ended (from its weeks at dose)"


def timeline_entries(
    score_rows: Sequence[ScaleRow], trials: Sequence[TimelineTrial]
) -> tuple[TimelineEntry, ...]:
    """Return the timeline's values as dated lines: what the chart shows, as a table."""
    entries = [
        TimelineEntry(
            row.administration.administered_on,
            SCORE_ENTRY.format(
                scale=scales.SCALES[scales.ScaleCode(row.administration.scale)].name,
                total=f"{float(row.administration.total_value or 0):g}",
                band=f" ({row.band})" if row.band else "",
            ),
        )
        for row in score_rows
        if row.administration.total is not None
    ]
    for trial in trials:
        entries.append(TimelineEntry(trial.start, TRIAL_STARTED.format(label=trial.label)))
        if not trial.ongoing:
            ended = TRIAL_ENDED_FROM_WEEKS if trial.from_weeks else TRIAL_ENDED
            entries.append(TimelineEntry(trial.end, ended.format(label=trial.label)))
    return tuple(sorted(entries, key=lambda entry: entry.day))


@dataclass(frozen=True)
class Timeline:
    """The patient page's timeline: the figure (None without scores or trials) and its table."""

    figure: dict[str, Any] | None
    entries: tuple[TimelineEntry, ...]


def patient_timeline(
    score_rows: Sequence[ScaleRow], trial_rows: Sequence[TrialRow], assessment_date: datetime.date
) -> Timeline:
    """Return the episode's scores and trials on one date axis, drawn and as dated lines."""
    trials = timeline_trials(trial_rows, assessment_date)
    return Timeline(score_timeline(score_rows, trials), timeline_entries(score_rows, trials))
