"""The C-SSRS screener's triage: each answer pattern and its level (docs/clinical-rules.md)."""

import pytest

from pseudoresistance.cssrs import (
    FOLLOW_UPS_NEED_Q2,
    WHEN_NEEDS_BEHAVIOUR,
    RiskLevel,
    ScreenAnswers,
    answer_errors,
    risk_level,
)

NO = {"wish_to_be_dead": False, "suicidal_thoughts": False}


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({}, RiskLevel.NONE),
        ({"wish_to_be_dead": True}, RiskLevel.LOW),
        ({"suicidal_thoughts": True}, RiskLevel.LOW),
        ({"suicidal_thoughts": True, "thoughts_with_method": True}, RiskLevel.MODERATE),
        ({"behaviour": True}, RiskLevel.MODERATE),
        ({"suicidal_thoughts": True, "intent": True}, RiskLevel.HIGH),
        ({"suicidal_thoughts": True, "plan_with_intent": True}, RiskLevel.HIGH),
        ({"behaviour": True, "behaviour_past_3_months": True}, RiskLevel.HIGH),
        ({"wish_to_be_dead": True, "behaviour": True}, RiskLevel.MODERATE),
    ],
)
def test_the_level_is_the_highest_any_yes_reaches(
    answers: dict[str, bool], level: RiskLevel
) -> None:
    assert risk_level(ScreenAnswers(**{**NO, **answers})) is level


def test_questions_the_screener_skips_cannot_be_answered_yes() -> None:
    answers = ScreenAnswers(**NO, intent=True, behaviour_past_3_months=True)
    assert answer_errors(answers) == {
        "intent": FOLLOW_UPS_NEED_Q2,
        "behaviour_past_3_months": WHEN_NEEDS_BEHAVIOUR,
    }
    assert answer_errors(ScreenAnswers(**NO)) == {}
