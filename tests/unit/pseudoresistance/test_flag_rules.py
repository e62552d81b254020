"""The default flag rules flag exactly what the criteria flagged before they became a setting."""

import datetime
import itertools

import pytest

from pseudoresistance.criteria import (
    DEFAULT_FLAG_RULES,
    CriteriaFacts,
    CriterionKind,
    FlagRules,
    automatic_criteria,
    criteria_labels,
    criterion_kind,
)
from staging.adequacy import OutcomeCategory
from staging.history import duration_points
from staging.result import ModelResult

DAY = datetime.date(2026, 12, 1)


def result(*, met: bool | None = None, score: float | None = None) -> ModelResult:
    return ModelResult("m", "M", "1", True, met=met, score=score)


def before_the_setting(facts: CriteriaFacts) -> tuple[str, ...]:
    """The rules as pseudoresistance/criteria.py applied them before issue 17 (verbatim logic)."""
    if not facts.episode_current:
        return ()
    met = []
    if any(facts.results[key].met for key in ("fda", "ema") if key in facts.results):
        met.append("fda_ema_met")
    msm = facts.results.get("msm")
    if msm is not None and msm.score is not None and msm.score >= 7:
        met.append("msm_at_least_7")
    if facts.red_concern:
        met.append("red_concern")
    responded = any(outcome is OutcomeCategory.RESPONSE for outcome in facts.outcomes)
    if duration_points(facts.onset, facts.assessment_date) == 3 and not responded:
        met.append("long_episode")
    return tuple(met)


GRID = list(
    itertools.product(
        (None, False, True),  # FDA met
        (False, True),  # EMA met
        (None, 3, 6, 7, 8, 15),  # MSM total
        (False, True),  # a RED concern
        (100, 400, 730, 760, 2000),  # days since onset
        ((), (OutcomeCategory.RESPONSE,), (OutcomeCategory.NON_RESPONSE,)),
        (False, True),  # episode current
    )
)


def facts_of(fda, ema, msm, red, days, outcomes, current) -> CriteriaFacts:
    results = {"ema": result(met=ema)}
    if fda is not None:
        results["fda"] = result(met=fda)
    if msm is not None:
        results["msm"] = result(score=msm)
    return CriteriaFacts(
        results=results,
        outcomes=outcomes,
        red_concern=red,
        onset=DAY - datetime.timedelta(days=days),
        assessment_date=DAY,
        episode_current=current,
    )


def test_the_default_rules_flag_exactly_as_before_over_every_combination() -> None:
    differ = [
        case
        for case in GRID
        if automatic_criteria(facts_of(*case)) != before_the_setting(facts_of(*case))
    ]
    assert (len(GRID), differ) == (2160, [])


def test_the_default_rules_are_the_published_thresholds() -> None:
    assert (
        FlagRules(fda_ema_met=True, msm_min_score=7, red_concern=True, long_episode_points=3)
        == DEFAULT_FLAG_RULES
    )
    assert not DEFAULT_FLAG_RULES.by_hand_only


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (FlagRules(msm_min_score=9), ("fda_ema_met", "red_concern", "long_episode")),
        (
            FlagRules(msm_min_score=8),
            ("fda_ema_met", "msm_at_least_8", "red_concern", "long_episode"),
        ),
        (FlagRules(fda_ema_met=False, red_concern=False), ("msm_at_least_7", "long_episode")),
        (FlagRules(long_episode_points=None), ("fda_ema_met", "msm_at_least_7", "red_concern")),
        (
            FlagRules(
                fda_ema_met=False, msm_min_score=None, red_concern=False, long_episode_points=None
            ),
            (),
        ),
    ],
)
def test_a_clinics_rules_choose_the_criteria(rules: FlagRules, expected: tuple[str, ...]) -> None:
    facts = facts_of(True, True, 8, True, 800, (), True)
    assert automatic_criteria(facts, rules) == expected


def test_flagging_at_12_months_uses_the_msm_subacute_band() -> None:
    rules = FlagRules(
        fda_ema_met=False, msm_min_score=None, red_concern=False, long_episode_points=2
    )
    assert automatic_criteria(facts_of(None, False, None, False, 400, (), True), rules) == (
        "long_episode_12",
    )
    assert automatic_criteria(facts_of(None, False, None, False, 300, (), True), rules) == ()


def test_every_stored_code_reads_in_words_and_has_a_kind() -> None:
    codes = ["fda_ema_met", "msm_at_least_9", "red_concern", "long_episode", "long_episode_12"]
    assert criteria_labels(codes) == (
        "The treatments tried meet the FDA/EMA definition",
        "Maudsley Staging Method score ≥ 9",
        "A RED checklist concern is recorded",
        "Episode longer than 24 months without response",
        "Episode longer than 12 months without response",
    )
    assert [criterion_kind(code) for code in codes] == [
        CriterionKind.FDA_EMA_MET,
        CriterionKind.MSM,
        CriterionKind.RED_CONCERN,
        CriterionKind.LONG_EPISODE,
        CriterionKind.LONG_EPISODE,
    ]
