"""Automatic impasse criteria from staging's results, the checklist and the episode's length."""

import datetime

from pseudoresistance.criteria import MSM_FLAG_SCORE, CriteriaFacts, Criterion, automatic_criteria
from staging.adequacy import OutcomeCategory
from staging.history import add_months
from staging.result import ModelResult

ONSET = datetime.date(2024, 1, 15)
SOON = ONSET + datetime.timedelta(days=90)


def results(*, fda: bool = False, ema: bool = False, msm: float | None = None):  # type: ignore[no-untyped-def]
    return {
        "fda": ModelResult("fda", "FDA", "1", True, met=fda),
        "ema": ModelResult("ema", "EMA", "1", True, met=ema),
        "msm": ModelResult("msm", "MSM", "1", msm is not None, score=msm),
    }


def criteria(**kwargs: object) -> tuple[str, ...]:
    values: dict[str, object] = {
        "results": results(),
        "outcomes": (),
        "red_concern": False,
        "onset": ONSET,
        "assessment_date": SOON,
        "episode_current": True,
    }
    return automatic_criteria(CriteriaFacts(**{**values, **kwargs}))  # type: ignore[arg-type]


def test_nothing_met_flags_nothing() -> None:
    assert criteria() == ()


def test_fda_or_ema_met_flags_the_episode() -> None:
    assert criteria(results=results(fda=True)) == (Criterion.FDA_EMA_MET,)
    assert criteria(results=results(ema=True)) == (Criterion.FDA_EMA_MET,)


def test_msm_flags_from_seven() -> None:
    assert criteria(results=results(msm=MSM_FLAG_SCORE)) == (Criterion.MSM_AT_LEAST_7,)
    assert criteria(results=results(msm=MSM_FLAG_SCORE - 1)) == ()


def test_a_recorded_red_concern_flags_the_episode() -> None:
    assert criteria(red_concern=True) == (Criterion.RED_CONCERN,)


def test_an_episode_over_24_months_without_response_flags_it() -> None:
    day_24 = add_months(ONSET, 24)
    assert criteria(assessment_date=day_24) == ()
    after = day_24 + datetime.timedelta(days=1)
    assert criteria(assessment_date=after) == (Criterion.LONG_EPISODE,)


def test_a_response_in_the_episode_stops_the_24_month_flag() -> None:
    after = add_months(ONSET, 25)
    outcomes = (OutcomeCategory.NON_RESPONSE, OutcomeCategory.RESPONSE)
    assert criteria(assessment_date=after, outcomes=outcomes) == ()
    partial = (OutcomeCategory.PARTIAL_RESPONSE,)
    assert criteria(assessment_date=after, outcomes=partial) == (Criterion.LONG_EPISODE,)


def test_an_ended_episode_is_never_flagged_automatically() -> None:
    assert criteria(results=results(fda=True, msm=12), episode_current=False) == ()


def test_criteria_come_in_a_fixed_order() -> None:
    met = criteria(
        results=results(fda=True, msm=9),
        red_concern=True,
        assessment_date=add_months(ONSET, 30),
    )
    assert met == tuple(Criterion)
