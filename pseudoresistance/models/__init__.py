from .case import CaseOrigin, ImpasseCase, ImpasseCaseEvent, ImpasseReview
from .checklist import (
    AnswerChoice,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    EvidenceSource,
    StatusConfirmation,
)
from .flag_rules import ImpasseFlagRules
from .safety import CssrsScreen

__all__ = [
    "AnswerChoice",
    "CaseOrigin",
    "ChecklistAnswer",
    "ChecklistItem",
    "ChecklistReview",
    "ChecklistVersion",
    "CssrsScreen",
    "EvidenceSource",
    "ImpasseCase",
    "ImpasseCaseEvent",
    "ImpasseFlagRules",
    "ImpasseReview",
    "StatusConfirmation",
]
