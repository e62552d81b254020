"""Colour is never the only carrier of meaning in the score charts (issue 20): the remission and
response lines differ by dash pattern and are named in words, and the tables hold the values."""

import datetime
from decimal import Decimal

import plotly.graph_objects as go

from records import scales
from records.charts import score_charts, score_tables, score_timeline, thresholds
from records.models import ScaleAdministration
from records.selectors import ScaleRow

FIRST = datetime.date(2025, 1, 6)
TOTALS = (24, 15, 6)


def rows(code: str = "HAMD17", totals: tuple[int, ...] = TOTALS) -> list[ScaleRow]:
    return [
        ScaleRow(
            administration=ScaleAdministration(
                scale=code,
                administered_on=FIRST + datetime.timedelta(weeks=4 * index),
                total=Decimal(total),
            ),
            band=f"band {index}",
            in_remission=None,
            change=None,
            safety_alert=None,
        )
        for index, total in enumerate(totals)
    ]


def test_remission_and_response_lines_have_their_own_dash_and_a_name() -> None:
    [figure] = score_charts(rows())

    go.Figure(data=figure["data"], layout=figure["layout"])
    dashes = [shape["line"]["dash"] for shape in figure["layout"]["shapes"]]
    assert len(set(dashes)) == len(dashes) == 2
    assert "solid" not in dashes  # the score itself is the solid line
    legend = figure["data"][1:]
    assert [trace["line"]["dash"] for trace in legend] == dashes
    names = [trace["name"] for trace in legend]
    assert names[0].startswith("remission")
    assert names[1].startswith("response")
    level = TOTALS[0] * (100 - scales.RESPONSE.percent) / 100
    assert f"≤ {level:g}" in names[1]


def test_timeline_lines_differ_by_dash_and_are_labelled_in_words() -> None:
    figure = score_timeline(rows(), ())
    assert figure is not None

    go.Figure(data=figure["data"], layout=figure["layout"])
    dashes = [shape["line"]["dash"] for shape in figure["layout"]["shapes"]]
    assert len(set(dashes)) == len(dashes) == 2
    notes = [note["text"] for note in figure["layout"]["annotations"]]
    assert any(note.startswith("remission") for note in notes)
    assert any(note.startswith("response") for note in notes)


def test_each_score_chart_has_a_table_with_its_values_and_lines_in_words() -> None:
    scored = rows() + rows("MADRS", (30, 20))
    [hamd, madrs] = score_tables(scored)

    assert len(score_charts(scored)) == 2
    assert [row[1] for row in hamd.rows] == [str(total) for total in TOTALS]
    assert hamd.rows[0] == ("6 Jan 2025", "24", "band 0")
    assert [row[1] for row in madrs.rows] == ["30", "20"]
    for line in thresholds(scales.SCALES[scales.ScaleCode.HAMD17], TOTALS[0]):
        assert line.name in hamd.caption


def test_a_scale_without_a_remission_rule_draws_no_unnamed_line() -> None:
    for code in scales.ScaleCode:
        definition = scales.SCALES[code]
        lines = thresholds(definition, 20.0)
        assert len({line.dash for line in lines}) == len(lines)
        assert all(line.name for line in lines)
