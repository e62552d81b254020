"""The report's charts: the appendix's score and stage-over-time figures, drawn for the PDF.

Figures are plotly JSON (the page draws them with plotly.js); the PDF gets them drawn by the
warm Kaleido browser (`charts_export`), as SVG or, for the many-celled stage grid, PNG, and
keeps recently drawn ones so printing the same report again redraws nothing.
"""

import base64
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from records.charts import ChartTable, day_text, score_charts, score_tables

from .charts_export import ChartExporter, ChartSize
from .selectors import ScaleRow
from .staging import StageSeries

STAGE_TITLE = "Stage over time (at the end of each trial)"
SCORES_TITLE = "Scale scores over time"
STAGE_TABLE_CAPTION = "Each model's result at the end of each trial"
STAGE_DATE_COLUMN = "Date"
# The chart's description for a screen reader (the <img> alt in the PDF, aria-label on the page).
CHART_DESCRIPTION = "{title}: {caption}; the values are in the table that follows"
CHART_NOT_DRAWN = (
    "The {title} chart could not be drawn in this PDF (no chart renderer is available on the "
    "server); the tables hold the same data."
)
PDF_CHART_WIDTH = 900
# Figures kept drawn (50-200 kB each): a report printed again (summary, then full) reuses them.
CHART_CACHE_SIZE = 32
# The stage chart as PNG at twice its pixel size: sharp in print.
PNG_SCALE = 2.0
SCORE_CHART_HEIGHT = 300
STAGE_ROW_HEIGHT = 26
STAGE_BASE_HEIGHT = 90
STAGE_DATE_HEIGHT = 18
# The top of each scored model's range (staging-models.md 4 and 5); the MGH-s has none (3).
SCORE_TOPS = {"msm": 15.0, "dm_trd": 26.0}
# Above this many dates the stage chart turns a date per row (columns too narrow for words).
STAGE_TEXT_MAX_DATES = 16


@dataclass(frozen=True)
class ReportFigure:
    """A chart: its plotly figure and, in the PDF, its image (None if it could not be drawn)."""

    key: str
    title: str
    figure: dict[str, Any]
    pdf_height: int
    # "png" for a chart of many text cells: weasyprint places an image faster than it draws SVG.
    image_format: str = "svg"
    image: bytes | None = None
    table: ChartTable | None = None

    @property
    def description(self) -> str:
        """Return what the chart shows, in words, naming the table with its values."""
        if self.table is None:
            return self.title
        return CHART_DESCRIPTION.format(title=self.title, caption=self.table.caption)

    @property
    def missing_note(self) -> str:
        """Say where the chart would be and where its data is instead."""
        return CHART_NOT_DRAWN.format(title=self.title.lower())

    @property
    def image_data_uri(self) -> str:
        """Return the drawn chart as a data URI for the PDF's <img>."""
        mime = "image/png" if self.image_format == "png" else "image/svg+xml"
        encoded = base64.b64encode(self.image or b"").decode("ascii")
        return f"data:{mime};base64,{encoded}"


def _axis_top(model: Any) -> float:
    """Return the top of a model's axis, so shading compares a result with its whole range."""
    ticks = model.axis.get("tickvals")
    if ticks:
        return float(max(ticks)) or 1.0
    return SCORE_TOPS.get(model.key) or max((v for v in model.values if v), default=1.0)


def stage_figure(series: StageSeries) -> dict[str, Any]:
    """Return the stage over time as a grid: a row per model and a column per trial end, or,
    for a long history, a row per trial end (the cells then stay wide enough to name results)."""
    labels = [model.label for model in series.models]
    # Trial ends by day, as the table and the rest of the report write them; a category axis
    # keeps one column per trial end.
    dates = [day_text(day) for day in series.dates]
    shading = [
        [None if value is None else value / _axis_top(model) for value in model.values]
        for model in series.models
    ]
    # "met" / "not met" in a cell; the row or column names the definition.
    shown = [[text.removeprefix("definition ") for text in model.shown] for model in series.models]
    long_history = len(dates) > STAGE_TEXT_MAX_DATES
    if long_history:
        x, y = labels, dates
        shading = [list(row) for row in zip(*shading, strict=True)]
        shown = [list(row) for row in zip(*shown, strict=True)]
        height = STAGE_BASE_HEIGHT + STAGE_DATE_HEIGHT * len(dates)
        axes = {
            "xaxis": {"side": "top", "tickangle": 0},
            "yaxis": {"type": "category", "autorange": "reversed"},
        }
        hover = "%{x}, %{y}: %{text}<extra></extra>"
    else:
        x, y = dates, labels
        height = STAGE_BASE_HEIGHT + STAGE_ROW_HEIGHT * len(labels)
        axes = {"xaxis": {"type": "category", "tickangle": -45}, "yaxis": {"autorange": "reversed"}}
        hover = "%{y}, %{x}: %{text}<extra></extra>"
    return {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": shading,
                "text": shown,
                "texttemplate": "%{text}",
                "textfont": {"size": 9},
                "hovertemplate": hover,
                "colorscale": [[0, "#f3f6fa"], [1, "#6f93bd"]],
                "zmin": 0,
                "zmax": 1,
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
            }
        ],
        "layout": {
            "height": height,
            "margin": {"l": 150 if not long_history else 80, "r": 16, "t": 40, "b": 70},
            **axes,
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
        },
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


def stage_table(series: StageSeries) -> ChartTable:
    """Return the stage over time as a table: a row per date, a column per model."""
    # "met" / "not met", as in the grid: the column names the definition.
    shown = [[text.removeprefix("definition ") for text in model.shown] for model in series.models]
    return ChartTable(
        STAGE_TABLE_CAPTION,
        (STAGE_DATE_COLUMN, *(model.label for model in series.models)),
        tuple(
            (day_text(day), *(texts[index] for texts in shown))
            for index, day in enumerate(series.dates)
        ),
    )


def appendix_figures(
    scores: Sequence[ScaleRow], series: StageSeries | None
) -> tuple[ReportFigure, ...]:
    """Return the appendix charts: each scale's scores, then the stage over time."""
    figures = []
    charts = zip(score_charts(scores), score_tables(scores), strict=True)
    for index, (figure, table) in enumerate(charts):
        figure["layout"]["paper_bgcolor"] = "#ffffff"
        figure["layout"]["height"] = SCORE_CHART_HEIGHT
        figures.append(
            ReportFigure(f"scores-{index}", SCORES_TITLE, figure, SCORE_CHART_HEIGHT, table=table)
        )
    if series is not None:
        figure = stage_figure(series)
        height = figure["layout"]["height"]
        figures.append(
            ReportFigure(
                "stages", STAGE_TITLE, figure, height, image_format="png", table=stage_table(series)
            )
        )
    return tuple(figures)


class _ChartCache:
    """Recently drawn charts: printing the same report again redraws nothing."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(chart: ChartSize) -> str:
        """Return a figure's identity: its JSON, size and format."""
        text = json.dumps(
            [chart.figure, chart.width, chart.height, chart.image_format, chart.scale],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
            return image

    def clear(self) -> None:
        with self._lock:
            self._images.clear()

    def put(self, key: str, image: bytes) -> None:
        with self._lock:
            self._images[key] = image
            self._images.move_to_end(key)
            while len(self._images) > self._size:
                self._images.popitem(last=False)


CHART_CACHE = _ChartCache(CHART_CACHE_SIZE)


def figures_drawn(
    figures: Sequence[ReportFigure], exporter: ChartExporter
) -> tuple[ReportFigure, ...]:
    """Return the figures drawn as images for the PDF (cached by figure)."""
    charts = [
        ChartSize(
            figure.figure,
            PDF_CHART_WIDTH,
            figure.pdf_height,
            figure.image_format,
            PNG_SCALE if figure.image_format == "png" else 1.0,
        )
        for figure in figures
    ]
    keys = [CHART_CACHE.key(chart) for chart in charts]
    images: list[bytes | None] = [CHART_CACHE.get(key) for key in keys]
    missing = [index for index, image in enumerate(images) if image is None]
    if missing:
        drawn = exporter.images([charts[index] for index in missing])
        for index, image in zip(missing, drawn, strict=True):
            images[index] = image
            if image is not None:
                CHART_CACHE.put(keys[index], image)
    return tuple(
        replace(figure, image=image) for figure, image in zip(figures, images, strict=True)
    )
