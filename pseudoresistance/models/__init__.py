from .case import CaseOrigin, ImpasseCase, ImpasseCaseEvent, ImpasseReview
from .checklist import (
    AnswerChoice,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    EvidenceSource,
)
from .flag_rules import ImpasseFlagRules

__all__ = [
    "AnswerChoice",
    "CaseOrigin",
    "ChecklistAnswer",
    "ChecklistItem",
    "ChecklistReview",
    "ChecklistVersion",
    "EvidenceSource",
    "ImpasseCase",
    "ImpasseCaseEvent",
    "ImpasseFlagRules",
    "ImpasseReview",
]
