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
    "ImpasseReview",
    "StatusConfirmation",
]
