"""The C-SSRS screener's risk level: the triage of its six yes/no answers.

Columbia Lighthouse Project, C-SSRS Screener – Recent, with triage points (2021 form; described by
the NINDS Common Data Elements, report 137881: "Results triage respondents into low, moderate,
and high-risk categories"), and the Lighthouse Project's clinical triage guidelines using the
C-SSRS: ideation with some intent (question 4) or with a plan and intent (question 5) in the past
month, or any suicidal behaviour in the past 3 months, is the most severe, emergent level.
Questions 1–2 triage low, question 3 and behaviour longer ago moderate. Questions 3–5 are asked
only when question 2 is yes; the sources are listed in docs/clinical-rules.md.
"""

from dataclasses import dataclass

from django.db import models

FOLLOW_UPS_NEED_Q2 = "Asked only when question 2 (thoughts of killing yourself) is yes."
WHEN_NEEDS_BEHAVIOUR = "Asked only when question 6 (suicidal behaviour) is yes."


class RiskLevel(models.TextChoices):
    NONE = "none", "No ideation or behaviour reported"
    LOW = "low", "Low risk"
    MODERATE = "moderate", "Moderate risk"
    HIGH = "high", "High risk"


# The screener's questions, in its order (past month for 1–5, lifetime for 6).
QUESTIONS = (
    ("wish_to_be_dead", "1. Wished to be dead or to go to sleep and not wake up (past month)"),
    ("suicidal_thoughts", "2. Actual thoughts of killing themselves (past month)"),
    ("thoughts_with_method", "3. Thought about how they might do this (past month)"),
    ("intent", "4. Had some intention of acting on these thoughts (past month)"),
    (
        "plan_with_intent",
        "5. Started to work out or worked out the details, and intend to carry "
        "out the plan (past month)",
    ),
    ("behaviour", "6. Ever done, started to do or prepared to do anything to end their life"),
)
BEHAVIOUR_RECENT = "Was this within the past 3 months?"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenAnswers:
    wish_to_be_dead: bool
    suicidal_thoughts: bool
    thoughts_with_method: bool = False
    intent: bool = False
    plan_with_intent: bool = False
    behaviour: bool = False
    behaviour_past_3_months: bool = False


def answer_errors(answers: ScreenAnswers) -> dict[str, str]:
    """Return the answers given to questions the screener skips, by field name."""
    errors = {}
    if not answers.suicidal_thoughts:
        for name in ("thoughts_with_method", "intent", "plan_with_intent"):
            if getattr(answers, name):
                errors[name] = FOLLOW_UPS_NEED_Q2
    if answers.behaviour_past_3_months and not answers.behaviour:
        errors["behaviour_past_3_months"] = WHEN_NEEDS_BEHAVIOUR
    return errors


def risk_level(answers: ScreenAnswers) -> RiskLevel:
    """Return the screener's triage level: the highest any yes answer reaches."""
    if answers.intent or answers.plan_with_intent:
        return RiskLevel.HIGH
    if answers.behaviour and answers.behaviour_past_3_months:
        return RiskLevel.HIGH
    if answers.thoughts_with_method or answers.behaviour:
        return RiskLevel.MODERATE
    if answers.wish_to_be_dead or answers.suicidal_thoughts:
        return RiskLevel.LOW
    return RiskLevel.NONE
