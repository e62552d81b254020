"""The cohort page's charts: plotly figures as plain JSON (as records/charts.py builds them).

Built as dictionaries rather than `plotly.graph_objects` figures, whose validation costs more
than the page's whole budget at 10,000 episodes; tests/unit/cohort validates every figure
against plotly's schema instead.
"""

import textwrap
from collections.abc import Callable
from typing import Any

from cohort.selectors import CohortPage, ItemCount

BAR_COLOUR = "#1f4e79"
RESPONSE_COLOUR = "#b26a00"
REMISSION_COLOUR = "#2e7d32"
STATE_COLOURS = ("#1f4e79", "#b26a00", "#2e7d32")
# Each state's bars also get a fill pattern, so the states differ without colour (WCAG 1.4.1).
STATE_PATTERNS = ("", "/", ".")
SMALL_HEIGHT = 220
CHART_HEIGHT = 320
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
# Checklist questions are shortened to their first clause, at most this long, on the axis; the
# whole question is in the hover and the table below the chart.
SHORT_LABEL = 48
# Axis labels wrap at this many characters a line, so none is clipped at a tablet's width.
WRAP_AT = 24
ITEM_ROW_HEIGHT = 52
# A distribution's bars sit a third or half of the page wide: "stage TRD1" ran into its
# neighbour on one line.
DISTRIBUTION_WRAP_AT = 8
BASE_LAYOUT: dict[str, Any] = {
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "#ffffff",
    "font": {"size": 11},
}


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Return a figure's data, layout and the page's chart config."""
    return {"data": traces, "layout": layout, "config": CONFIG, **extra}


def _layout(title: str, height: int, **layout: Any) -> dict[str, Any]:
    return {
        **BASE_LAYOUT,
        "title": {"text": title, "x": 0.01, "font": {"size": 13}},
        "height": height,
        "margin": {"l": 40, "r": 12, "t": 36, "b": 40},
        **layout,
    }


def short_text(question: str) -> str:
    """Return a checklist question's first clause, shortened at a word to fit an axis."""
    clause = question.split(" (", 1)[0].split("?", 1)[0].strip()
    return textwrap.shorten(clause, SHORT_LABEL, placeholder="…")


def wrapped(label: str, width: int = WRAP_AT) -> str:
    """Return an axis label broken into lines (plotly's <br>), never cut."""
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False)) or label


def _distribution(label: str, counts: tuple[tuple[str, int], ...]) -> dict[str, Any]:
    total = sum(n for _name, n in counts)
    trace = {
        "type": "bar",
        "x": [wrapped(name, DISTRIBUTION_WRAP_AT) for name, _n in counts],
        "y": [n for _name, n in counts],
        "customdata": [name for name, _n in counts],
        "marker": {"color": BAR_COLOUR},
        "hovertemplate": f"%{{customdata}}: %{{y}} of {total} episodes<extra></extra>",
    }
    layout = _layout(
        label,
        SMALL_HEIGHT,
        xaxis={"automargin": True, "tickangle": 0},
        yaxis={"title": {"text": "episodes"}},
    )
    return _figure([trace], layout)


def _heat_map(page: CohortPage, link: Callable[[str, str], str]) -> dict[str, Any]:
    concordance = page.concordance
    keys = concordance.keys
    trace = {
        "type": "heatmap",
        "z": [list(row) for row in concordance.agreement],
        "x": list(concordance.labels),
        "y": list(concordance.labels),
        "text": [
            ["—" if value is None else f"{value:g} %" for value in row]
            for row in concordance.agreement
        ],
        "texttemplate": "%{text}",
        "customdata": [
            [
                f"{disagree} of {judged} episodes disagree"
                for disagree, judged in zip(d_row, j_row, strict=True)
            ]
            for d_row, j_row in zip(concordance.disagreements, concordance.judged, strict=True)
        ],
        "hovertemplate": "%{y} and %{x}: %{z:.1f} % agree<br>%{customdata}<extra></extra>",
        "zmin": 0,
        "zmax": 100,
        "colorscale": "Blues",
        "colorbar": {"title": {"text": "% agree"}},
    }
    layout = _layout(
        "Agreement on meeting the TRD threshold",
        420,
        yaxis={"autorange": "reversed"},
        margin={"l": 120, "r": 12, "t": 36, "b": 80},
    )
    links = [[link(a, b) if a != b else "" for b in keys] for a in keys]
    return _figure([trace], layout, links=links)


def _items(title: str, items: tuple[ItemCount, ...], episodes: int) -> dict[str, Any]:
    ordered = list(reversed(items))
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [item.episodes for item in ordered],
        "y": [wrapped(short_text(item.text)) for item in ordered],
        "customdata": [item.text for item in ordered],
        "hovertemplate": (f"%{{customdata}}<br>%{{x}} of {episodes} episodes<extra></extra>"),
        "marker": {"color": BAR_COLOUR},
    }
    height = max(CHART_HEIGHT, 80 + ITEM_ROW_HEIGHT * len(items))
    layout = _layout(
        title,
        height,
        xaxis={"title": {"text": f"episodes (of {episodes})"}},
        yaxis={"automargin": True},
    )
    return _figure([trace], layout)


def _cases(page: CohortPage) -> dict[str, Any]:
    traces = [
        {
            "type": "bar",
            "name": state,
            "x": [name for name, _n in bins],
            "y": [n for _name, n in bins],
            "marker": {"color": colour, "pattern": {"shape": pattern, "fgcolor": "#ffffff"}},
            "hovertemplate": f"{state}, %{{x}}: %{{y}} cases<extra></extra>",
        }
        for (state, bins), colour, pattern in zip(
            page.cases.waiting, STATE_COLOURS, STATE_PATTERNS, strict=False
        )
    ]
    layout = _layout(
        "Impasse cases in progress by days waiting",
        CHART_HEIGHT,
        barmode="group",
        yaxis={"title": {"text": "cases"}},
        legend={"orientation": "h", "y": -0.2},
    )
    return _figure(traces, layout)


def _backlog(page: CohortPage) -> dict[str, Any]:
    backlog = page.cases.backlog
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [week.isoformat() for week, _n in backlog],
        "y": [n for _week, n in backlog],
        "line": {"color": BAR_COLOUR},
        "hovertemplate": "%{x|%d %b %Y}: %{y} cases<extra></extra>",
    }
    layout = _layout(
        "Review backlog (open or under review), weekly",
        CHART_HEIGHT,
        xaxis={"type": "date"},
        yaxis={"title": {"text": "cases"}, "rangemode": "tozero"},
    )
    return _figure([trace], layout)


def _rates(page: CohortPage) -> dict[str, Any]:
    quarters = [point.period for point in page.rates]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "response",
            "x": quarters,
            "y": [point.response_rate for point in page.rates],
            "customdata": [point.responders_judged for point in page.rates],
            # Solid with circles against remission's dashes with squares: not colour alone.
            "line": {"color": RESPONSE_COLOUR, "dash": "solid"},
            "marker": {"symbol": "circle", "size": 8},
            "hovertemplate": (
                "%{x}: %{y} % of %{customdata} episodes scored<extra>response</extra>"
            ),
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "remission",
            "x": quarters,
            "y": [point.remission_rate for point in page.rates],
            "customdata": [point.remission_judged for point in page.rates],
            "line": {"color": REMISSION_COLOUR, "dash": "dash"},
            "marker": {"symbol": "square", "size": 8},
            "hovertemplate": (
                "%{x}: %{y} % of %{customdata} episodes scored<extra>remission</extra>"
            ),
        },
    ]
    layout = _layout(
        "Response and remission by quarter (latest score of each episode)",
        CHART_HEIGHT,
        xaxis={"type": "category"},
        yaxis={"title": {"text": "% of episodes scored"}, "range": [0, 100]},
        legend={"orientation": "h", "y": -0.2},
    )
    return _figure(traces, layout)


def cohort_figures(page: CohortPage, link: Callable[[str, str], str]) -> dict[str, Any]:
    """Return every chart of the cohort page; `link(first, second)` is a disagreement list URL."""
    return {
        "distributions": [_distribution(d.label, d.counts) for d in page.distributions],
        "concordance": _heat_map(page, link),
        "cases": _cases(page),
        "backlog": _backlog(page),
        "concerns": _items(
            "Most frequent pseudo-resistance concerns", page.concerns, page.episodes
        ),
        "gaps": _items("Most frequent data gaps", page.data_gaps, page.episodes),
        "rates": _rates(page),
    }
