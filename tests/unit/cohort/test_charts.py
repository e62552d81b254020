"""The cohort selectors' counting and every chart, checked against plotly's schema."""

import datetime

import plotly.graph_objects as go
import pytest

from cohort.charts import cohort_figures, short_text, wrapped
from cohort.selectors import (
    CATEGORY,
    PAGE_COLUMNS,
    REACHES,
    CaseFigures,
    CohortFilters,
    CohortPage,
    Columns,
    _backlog,
    _top_items,
    concordance,
    outcome_rates,
    stage_distributions,
)
from cohort.snapshots import VERDICT_KEYS
from staging.registry import ENGINES


def frame(rows: list[dict[str, object]]) -> Columns:
    columns = [
        *PAGE_COLUMNS,
        *(CATEGORY.format(key=engine.key) for engine in ENGINES),
        *(REACHES.format(key=key) for key in VERDICT_KEYS),
    ]
    return {column: [row.get(column) for row in rows] for column in columns}


def row(episode_id: int, fda: str | None, thase_rush: str | None, **extra: object):
    return {
        "episode_id": episode_id,
        "status": "meets_common_definition",
        "concerns": [],
        "data_gaps": [],
        CATEGORY.format(key="fda"): {"true": "met", "false": "not met"}.get(fda or ""),
        REACHES.format(key="fda"): fda,
        REACHES.format(key="thase_rush"): thase_rush,
        **extra,
    }


SAMPLE = frame(
    [
        row(1, "true", "true"),
        row(2, "true", "false", concerns=["A1", "B1"], data_gaps=["B1"]),
        row(3, "false", "false", concerns=["A1"]),
        row(4, "true", None),
    ]
)


def test_concordance_counts_only_episodes_both_models_judge():
    result = concordance(SAMPLE)
    i, j = VERDICT_KEYS.index("fda"), VERDICT_KEYS.index("thase_rush")
    assert (result.judged[i][j], result.disagreements[i][j]) == (3, 1)
    assert result.agreement[i][j] == pytest.approx(66.7)
    assert result.agreement[i][i] == 100.0
    ema = VERDICT_KEYS.index("ema")
    assert result.agreement[i][ema] is None


def test_stage_distribution_counts_each_category():
    fda = next(d for d in stage_distributions(SAMPLE) if d.key == "fda")
    assert dict(fda.counts) == {"met": 3, "not met": 1}


def test_most_frequent_items_come_first_with_their_question():
    [first, second] = _top_items(SAMPLE["concerns"])
    assert (first.code, first.episodes, second.code, second.episodes) == ("A1", 2, "B1", 1)
    assert "bipolar" in second.text


def test_outcome_rates_take_each_episodes_latest_score_of_the_quarter():
    scores = [
        (1, "2025-01-05", None, False),
        (2, "2025-02-10", True, True),
        (2, "2025-01-10", False, False),
        (2, "2025-04-10", False, False),
        (3, "2025-03-01", False, None),
    ]
    first, second = outcome_rates(scores)
    assert (first.period, first.response_rate, first.responders_judged) == ("2025Q1", 50.0, 2)
    assert (first.remission_rate, first.remission_judged) == (50.0, 2)
    assert (second.period, second.response_rate, second.remission_rate) == ("2025Q2", 0.0, 0.0)
    assert outcome_rates([]) == ()


def test_backlog_counts_cases_open_or_under_review_at_each_week_end():
    today = datetime.date(2025, 6, 30)
    at = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)
    events = [
        (1, "open", at),
        (1, "under_review", at + datetime.timedelta(days=3)),
        (1, "reviewed", at + datetime.timedelta(days=10)),
        (2, "open", at + datetime.timedelta(days=20)),
    ]
    backlog = dict(_backlog(events, today))
    assert backlog[today] == 1
    assert backlog[today - datetime.timedelta(weeks=3)] == 1
    assert backlog[today - datetime.timedelta(weeks=10)] == 0


def test_every_figure_is_valid_for_plotly():
    page = CohortPage(
        episodes=4,
        stale=0,
        distributions=stage_distributions(SAMPLE),
        concordance=concordance(SAMPLE),
        cases=CaseFigures(
            by_state=(("Open", 1),),
            waiting=(("Open", (("0–7 days", 1),)),),
            backlog=((datetime.date(2025, 6, 30), 1),),
        ),
        concerns=_top_items(SAMPLE["concerns"]),
        data_gaps=_top_items(SAMPLE["data_gaps"]),
        rates=(),
        statuses=(),
    )
    figures = cohort_figures(page, lambda a, b: f"/cohort/disagreements/{a}/{b}/")
    every = [*figures.pop("distributions"), *figures.values()]
    assert len(every) == len(ENGINES) + 6
    for figure in every:
        go.Figure(data=figure["data"], layout=figure["layout"])
    links = figures["concordance"]["links"]
    assert links[0][0] == ""
    assert links[0][1] == f"/cohort/disagreements/{VERDICT_KEYS[0]}/{VERDICT_KEYS[1]}/"


def test_filters_keep_to_ids_and_dates():
    filters = CohortFilters(psychiatrist_id=4, onset_from=datetime.date(2024, 1, 1))
    assert filters.query() == {"psychiatrist": "4", "onset_from": "2024-01-01"}
    assert filters.description() == "psychiatrist=4; onset_from=2024-01-01"
    assert CohortFilters().description() == "none"


def test_every_quarter_between_the_first_and_last_score_is_on_the_axis():
    scores = [(1, "2025-01-05", True, False), (1, "2025-10-05", False, False)]
    rates = outcome_rates(scores)
    assert [point.period for point in rates] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert (rates[1].response_rate, rates[1].responders_judged) == (None, 0)


def test_concerns_read_in_words_with_their_denominator_and_labels_wrap():
    page_items = _top_items([["E8", "A3"], ["E8"]])
    figure = cohort_figures(
        CohortPage(
            episodes=2,
            stale=0,
            distributions=(),
            concordance=concordance(SAMPLE),
            cases=CaseFigures(by_state=(), waiting=(), backlog=()),
            concerns=page_items,
            data_gaps=(),
            rates=(),
            statuses=(),
        ),
        lambda a, b: "",
    )["concerns"]
    [trace] = figure["data"]
    labels = trace["y"]
    assert not any(code in " ".join(labels) for code in ("E8", "A3"))
    assert labels[-1] == wrapped(short_text(page_items[0].text))
    assert "evidence-based psychotherapy" in labels[-1].replace("<br>", " ")
    assert all(len(line) <= 24 for label in labels for line in label.split("<br>"))
    assert "of 2 episodes" in trace["hovertemplate"]
    assert figure["layout"]["yaxis"]["automargin"] is True


def test_a_short_text_is_the_first_clause_cut_at_a_word():
    assert (
        short_text("Is B12 or folate deficiency present?") == "Is B12 or folate deficiency present"
    )
    long = short_text(
        "Was a tolerated, partially effective dose left un-optimised (not increased) first?"
    )
    assert long.endswith("…")
    assert len(long) <= 48


def test_item_texts_carry_no_provenance_marks():
    [item] = _top_items([["A5"]])
    assert "🔶" not in item.text
    assert item.text.endswith("<80 %)?")


def test_rates_and_cases_differ_by_more_than_colour():
    page = CohortPage(
        episodes=1,
        stale=0,
        distributions=(),
        concordance=concordance(SAMPLE),
        cases=CaseFigures(
            by_state=(("Open", 1), ("Under review", 1)),
            waiting=(("Open", (("0–7 days", 1),)), ("Under review", (("0–7 days", 1),))),
            backlog=(),
        ),
        concerns=(),
        data_gaps=(),
        rates=outcome_rates([(1, "2025-01-05", True, False)]),
        statuses=(),
    )
    figures = cohort_figures(page, lambda a, b: "")
    response, remission = figures["rates"]["data"]
    assert (response["name"], remission["name"]) == ("response", "remission")
    assert response["line"]["dash"] != remission["line"]["dash"]
    assert response["marker"]["symbol"] != remission["marker"]["symbol"]
    patterns = [trace["marker"]["pattern"]["shape"] for trace in figures["cases"]["data"]]
    assert len(set(patterns)) == len(patterns) == 2
    for figure in (figures["rates"], figures["cases"]):
        go.Figure(data=figure["data"], layout=figure["layout"])


def test_scores_are_counted_in_order_of_value_then_stages_by_name():
    scores = frame(
        [
            row(n, None, None, **{CATEGORY.format(key="msm"): v})
            for n, v in enumerate(("10", "9", "9", "stage I"))
        ]
    )
    msm = next(d for d in stage_distributions(scores) if d.key == "msm")
    assert msm.counts == (("9", 2), ("10", 1), ("stage I", 1))


def test_short_wrapped_labels_break_between_words_only():
    assert wrapped("stage nonresponder", 8) == "stage<br>nonresponder"
