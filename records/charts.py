"""The patient page's score chart: plotly figures as plain JSON, drawn by static/js."""

from collections.abc import Sequence
from typing import Any

from records import scales
from records.selectors import ScaleRow

SCORE_COLOUR = "#1f4e79"
REMISSION_COLOUR = "#2e7d32"
RESPONSE_COLOUR = "#b26a00"
REMISSION_LABEL = "remission {rule} ({source})"
RESPONSE_LABEL = "response: ≤ {threshold:g}, {percent} % below the first score"
HOVER = "%{x|%d %b %Y}: %{y}<br>%{text}<extra></extra>"
CHART_HEIGHT = 320
# Head room above the highest score or line, so neither sits on the chart's edge.
HEAD_ROOM = 1.2


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
    rule = definition.remission
    if rule is not None:
        shapes.append(_line(rule.threshold, REMISSION_COLOUR, "dash"))
        name = REMISSION_LABEL.format(rule=rule.label, source=rule.source)
        traces.append(_legend_entry(name, REMISSION_COLOUR, "dash"))
        levels.append(rule.threshold)
    if definition.percent_change_outcome and totals[0] > 0:
        # Response is a 50 % reduction from the episode's first score of the scale (1.3).
        threshold = totals[0] * (100 - scales.RESPONSE.percent) / 100
        shapes.append(_line(threshold, RESPONSE_COLOUR, "dot"))
        name = RESPONSE_LABEL.format(percent=scales.RESPONSE.percent, threshold=threshold)
        traces.append(_legend_entry(name, RESPONSE_COLOUR, "dot"))
        levels.append(threshold)
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
            "xaxis": {"type": "date"},
            "yaxis": {"title": {"text": "total"}, "range": [0, top]},
            "shapes": shapes,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
        },
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


def score_charts(rows: Sequence[ScaleRow]) -> list[dict[str, Any]]:
    """Return one figure per scale scored in the episode, with its response and remission lines."""
    by_scale: dict[str, list[ScaleRow]] = {}
    for row in rows:
        if row.administration.total is not None:
            by_scale.setdefault(row.administration.scale, []).append(row)
    return [
        _figure(scales.SCALES[scales.ScaleCode(code)], scale_rows)
        for code, scale_rows in by_scale.items()
    ]
