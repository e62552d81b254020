"""History primitives: episode filter, calendar months, duration and severity items, as-of dates."""

from datetime import date

import pytest

from staging.history import (
    BaselineSeverity,
    Episode,
    SeverityCategory,
    add_months,
    duration_points,
    history_as_of,
    is_current,
    known_scale,
    severity_points,
    trial_end,
)
from tests.unit.staging.builders import ONSET, history, stage, therapy, trial


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), 12, date(2025, 3, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2023, 3, 15), 24, date(2025, 3, 15)),
    ],
)
def test_add_months_clips_to_the_month_end(day: date, months: int, expected: date):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("onset", "assessed", "points"),
    [
        (date(2023, 3, 15), date(2024, 3, 15), 1),
        (date(2023, 3, 15), date(2024, 3, 16), 2),
        (date(2023, 3, 15), date(2025, 3, 15), 2),
        (date(2023, 3, 15), date(2025, 3, 16), 3),
        (date(2024, 2, 29), date(2025, 2, 28), 1),
        (date(2024, 2, 29), date(2025, 3, 1), 2),
        (date(2024, 2, 29), date(2026, 2, 28), 2),
        (date(2024, 2, 29), date(2026, 3, 1), 3),
    ],
)
def test_duration_exactly_twelve_and_twenty_four_months(onset: date, assessed: date, points: int):
    assert duration_points(onset, assessed) == points


@pytest.mark.parametrize(
    ("severity", "points"),
    [
        (BaselineSeverity(category=SeverityCategory.SUBSYNDROMAL), 1),
        (BaselineSeverity(category=SeverityCategory.SEVERE, scale="HAM-D17", score=3), 4),
        (BaselineSeverity(category=SeverityCategory.MILD, psychotic_features=True), 5),
        (BaselineSeverity(psychotic_features=True), 5),
        (BaselineSeverity(scale="HAM-D17", score=7), 1),
        (BaselineSeverity(scale="HAM-D17", score=8), 2),
        (BaselineSeverity(scale="HAM-D17", score=16.5), 2),
        (BaselineSeverity(scale="HAM-D17", score=17), 3),
        (BaselineSeverity(scale="ham-d17", score=24), 4),
        (BaselineSeverity(scale="MADRS", score=6), 1),
        (BaselineSeverity(scale="MADRS", score=34), 3),
        (BaselineSeverity(scale="MADRS", score=35), 4),
        (BaselineSeverity(scale="QIDS-SR16", score=11), 3),
        (BaselineSeverity(scale="PHQ-9", score=19), 3),
        (BaselineSeverity(scale="PHQ-9", score=20), 4),
        (BaselineSeverity(scale="CGI-S", score=1), 1),
        (BaselineSeverity(scale="CGI-S", score=2), 1),
        (BaselineSeverity(scale="CGI-S", score=3), 2),
        (BaselineSeverity(scale="CGI-S", score=5), 4),
        (BaselineSeverity(scale="BDI-II", score=30), None),
        (BaselineSeverity(scale="HAM-D17"), None),
        (BaselineSeverity(), None),
    ],
)
def test_severity_points(severity: BaselineSeverity, points: int | None):
    assert severity_points(severity) == points


def test_known_scale_names():
    assert known_scale(" madrs ") == "MADRS"
    assert known_scale("BDI-II") is None
    assert known_scale(None) is None


@pytest.mark.parametrize(
    ("start", "episode", "current"),
    [
        (ONSET, None, True),
        (date(2023, 12, 31), None, False),
        (date(2023, 12, 31), Episode.CURRENT, True),
        (date(2024, 6, 1), Episode.PREVIOUS, False),
    ],
)
def test_an_explicit_episode_wins_over_the_date_rule(
    start: date, episode: Episode | None, current: bool
):
    assert is_current(trial(start_date=start, episode=episode), ONSET) is current


def test_history_as_of_keeps_trials_started_by_then():
    hist = history(
        trial("T1", start_date=date(2024, 2, 1)), trial("T2", start_date=date(2024, 5, 1))
    )
    earlier = history_as_of(hist, date(2024, 5, 1))
    assert [item.id for item in earlier.trials] == ["T1", "T2"]
    assert earlier.assessment_date == date(2024, 5, 1)
    assert [item.id for item in history_as_of(hist, date(2024, 4, 30)).trials] == ["T1"]


def test_history_as_of_refuses_a_date_before_onset():
    with pytest.raises(ValueError, match="before the episode onset"):
        history_as_of(history(), date(2023, 12, 31))


# As of a date: only what was known then (docs/clinical-rules.md, "Staging as of a date").

CLIMB = history(
    trial("T1", start_date=date(2024, 2, 1), weeks=8),
    trial("T2", agent="venlafaxine", dose_mg_per_day=150, start_date=date(2024, 3, 28), weeks=8),
    therapy(6, sessions=12, therapist_trained=True, weeks=12),
)
T1_END, T2_END, P6_END = date(2024, 3, 28), date(2024, 5, 23), date(2024, 9, 23)


@pytest.mark.parametrize(
    ("day", "thase_rush", "fda", "markowitz"),
    [
        (date(2024, 2, 1), "0", False, False),
        # Seven weeks at dose, but the outcome is not known before the end.
        (date(2024, 3, 27), "0", False, False),
        # T1 ends the day T2 starts: T1 counts, T2 not yet.
        (T1_END, "I", False, False),
        (date(2024, 5, 22), "I", False, False),
        (T2_END, "II", True, False),
        # The CBT course is under way: not yet a failed psychotherapy.
        (date(2024, 8, 1), "II", True, False),
        (P6_END, "II", True, True),
    ],
)
def test_history_as_of_stage_climbs_trial_by_trial(
    day: date, thase_rush: str, fda: bool, markowitz: bool
):
    results = stage(history_as_of(CLIMB, day))
    assert results["thase_rush"].stage == thase_rush
    assert results["fda"].met is fda
    assert results["markowitz"].met is markowitz


def test_history_as_of_cuts_weeks_and_outcome_before_the_end():
    (t1,) = history_as_of(history(trial("T1", weeks=8)), date(2024, 2, 22)).trials
    assert (t1.weeks, t1.percent_symptom_reduction, t1.outcome) == (3, None, None)
    (unknown,) = history_as_of(history(trial("T1", weeks=None)), date(2024, 2, 22)).trials
    assert unknown.weeks is None  # no weeks recorded: ends on its start, as recorded


def test_history_as_of_counts_sessions_pro_rata_over_the_recorded_dates():
    course = therapy(1, sessions=12, weeks=None)
    ends = {"P1": date(2024, 2, 13)}  # 12 days: one session a day
    (held,) = history_as_of(history(course), date(2024, 2, 7), ends).trials
    assert (held.sessions, held.percent_symptom_reduction) == (6, None)
    (done,) = history_as_of(history(course), date(2024, 2, 13), ends).trials
    assert done == course


def test_history_as_of_keeps_a_medication_trial_s_sessions():
    dosed = trial("T1", weeks=8, sessions=3)
    (held,) = history_as_of(history(dosed), date(2024, 2, 8)).trials
    assert (held.weeks, held.sessions) == (1, 3)
    (undated,) = history_as_of(history(therapy(1, sessions=None)), date(2024, 2, 8)).trials
    assert undated.sessions is None


def test_trial_end_is_the_recorded_end_else_start_plus_weeks():
    assert trial_end(trial(weeks=2)) == date(2024, 2, 15)
    assert trial_end(trial(weeks=2), date(2024, 2, 3)) == date(2024, 2, 3)
    assert trial_end(trial(weeks=None)) == date(2024, 2, 1)
