"""The patient page's one timeline: scores per scale over the trials, on one padded date axis."""

import datetime
from decimal import Decimal

from records.access import access_for_user
from records.charts import patient_timeline
from records.selectors import patient_detail
from tests.factories import EpisodeFactory, ScaleAdministrationFactory, TrialFactory, builtin_agent

from .conftest import ONSET


def timeline_of(psychiatrist, patient):
    access = access_for_user(psychiatrist, patient.clinic_id)
    detail = patient_detail(access=access, patient_id=patient.pk)
    return patient_timeline(detail.scales, detail.trials, detail.assessment_date)


def test_a_single_score_gets_a_week_either_side_not_millisecond_ticks(psychiatrist, episode):
    ScaleAdministrationFactory(episode=episode, administered_on=datetime.date(2025, 11, 25))
    figure = timeline_of(psychiatrist, episode.patient).figure
    assert figure["layout"]["xaxis"]["range"] == ["2025-11-18", "2025-12-02"]


def test_two_scales_stack_over_the_trial_bars_on_one_date_axis(psychiatrist, episode):
    TrialFactory(
        episode=episode,
        code="T1",
        agent=builtin_agent("sertraline"),
        dose_mg_per_day=Decimal(150),
        start_date=ONSET + datetime.timedelta(days=10),
        end_date=ONSET + datetime.timedelta(days=70),
    )
    TrialFactory(
        episode=episode,
        code="T2",
        agent=builtin_agent("venlafaxine"),
        dose_mg_per_day=Decimal(225),
        weeks=None,
        start_date=ONSET + datetime.timedelta(days=80),
    )
    for days, madrs, phq in ((7, 30, 20), (90, 20, 12)):
        on = ONSET + datetime.timedelta(days=days)
        ScaleAdministrationFactory(episode=episode, scale="MADRS", administered_on=on, total=madrs)
        ScaleAdministrationFactory(episode=episode, scale="PHQ9", administered_on=on, total=phq)
    timeline = timeline_of(psychiatrist, episode.patient)
    figure = timeline.figure
    layout = figure["layout"]
    # One figure, one date axis: every trace on "x", one y axis per scale and one for the trials.
    assert {trace["xaxis"] for trace in figure["data"]} == {"x"}
    assert [trace["yaxis"] for trace in figure["data"]] == ["y", "y2", "y3"]
    domains = [layout[name]["domain"] for name in ("yaxis", "yaxis2", "yaxis3")]
    assert domains[0][0] > domains[1][1]
    assert domains[1][0] > domains[2][1]
    bars = figure["data"][2]
    assert bars["type"] == "bar"
    labels = [note["text"] for note in layout["annotations"] if note["xref"] == "x"]
    assert labels == ["T1 sertraline 150 mg/day", "T2 venlafaxine 225 mg/day"]
    assert bars["base"] == [
        (ONSET + datetime.timedelta(days=10)).isoformat(),
        (ONSET + datetime.timedelta(days=80)).isoformat(),
    ]
    # The open course runs to the assessment date, and says it is ongoing.
    assert "ongoing" in bars["customdata"][1]
    titles = [note["text"] for note in layout["annotations"]]
    assert "<b>MADRS total (0–60; higher is worse)</b>" in titles
    assert "<b>PHQ-9 total (0–27; higher is worse)</b>" in titles
    texts = [entry.text for entry in timeline.entries]
    assert "T1 sertraline 150 mg/day started" in texts
    assert "T1 sertraline 150 mg/day ended" in texts
    assert not any(text.startswith("T2") and "ended" in text for text in texts)


def test_an_earlier_episodes_trial_is_not_drawn(psychiatrist, episode):
    earlier = EpisodeFactory(
        patient=episode.patient,
        onset_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2019, 12, 1),
    )
    TrialFactory(episode=earlier, code="T1", start_date=datetime.date(2019, 2, 1))
    ScaleAdministrationFactory(episode=episode)
    figure = timeline_of(psychiatrist, episode.patient).figure
    assert [trace["type"] for trace in figure["data"]] == ["scatter"]
    assert figure["layout"]["xaxis"]["range"][0] > "2024"


def test_no_scores_and_no_trials_draw_nothing(psychiatrist, episode):
    timeline = timeline_of(psychiatrist, episode.patient)
    assert timeline.figure is None
    assert timeline.entries == ()
