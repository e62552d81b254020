"""The report's appendix charts read in days: a scale scored once gets a fortnight's axis, not
plotly's millisecond ticks around one instant, and the stage grid names trial ends as the table
does."""

import datetime
from decimal import Decimal

from records.charts import score_charts
from records.models import ScaleAdministration
from records.report_charts import stage_figure, stage_table
from records.selectors import ScaleRow
from records.staging import ModelSeries, StageSeries


def _score(day: datetime.date, total: int) -> ScaleRow:
    administration = ScaleAdministration(scale="PHQ9", administered_on=day, total=Decimal(total))
    return ScaleRow(administration, "moderate", False, None, None)


def test_a_scale_scored_once_is_drawn_a_week_either_side_of_its_day() -> None:
    (figure,) = score_charts([_score(datetime.date(2024, 2, 22), 14)])

    assert figure["layout"]["xaxis"] == {"type": "date", "range": ["2024-02-15", "2024-02-29"]}


def test_a_long_series_is_padded_by_a_share_of_its_span() -> None:
    rows = [_score(datetime.date(2020, 1, 1), 20), _score(datetime.date(2024, 1, 1), 9)]

    (figure,) = score_charts(rows)

    # 1,461 days: 3 % of the span (44 days) is more than the week a short series gets.
    assert figure["layout"]["xaxis"]["range"] == ["2019-11-18", "2024-02-14"]


def test_the_stage_grid_names_each_trial_end_as_its_table_does() -> None:
    series = StageSeries(
        dates=(datetime.date(2024, 4, 11), datetime.date(2026, 12, 7)),
        events=("T1", "assessed"),
        models=(ModelSeries("thase_rush", "Thase-Rush", (1.0, 2.0), ("stage I", "stage II"), {}),),
    )

    (grid,) = stage_figure(series)["data"]

    assert grid["x"] == ["11 Apr 2024", "7 Dec 2026"]
    assert [row[0] for row in stage_table(series).rows] == grid["x"]
