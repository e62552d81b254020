"""The impasse case's life: open → under review → reviewed → closed, and reopening.

Plain rules over the states, so every allowed and refused transition is tested without a database.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from django.db import models


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    REVIEWED = "reviewed", "Reviewed"
    CLOSED = "closed", "Closed"


# Every state but closed holds the episode's one case in progress.
ACTIVE_STATES = frozenset({CaseState.OPEN, CaseState.UNDER_REVIEW, CaseState.REVIEWED})


class Transition(StrEnum):
    START_REVIEW = "start_review"
    RELEASE = "release"
    SIGN_OFF = "sign_off"
    CLOSE = "close"
    REOPEN = "reopen"
    # The system closes an automatic case still waiting once none of its criteria is met.
    WITHDRAW = "withdraw"


# transition: (the states it may start from, the state it leads to)
TRANSITIONS: Mapping[Transition, tuple[frozenset[CaseState], CaseState]] = MappingProxyType(
    {
        Transition.START_REVIEW: (frozenset({CaseState.OPEN}), CaseState.UNDER_REVIEW),
        # A reviewer who cannot finish hands the case back to the queue.
        Transition.RELEASE: (frozenset({CaseState.UNDER_REVIEW}), CaseState.OPEN),
        Transition.SIGN_OFF: (frozenset({CaseState.UNDER_REVIEW}), CaseState.REVIEWED),
        Transition.CLOSE: (frozenset({CaseState.REVIEWED}), CaseState.CLOSED),
        Transition.REOPEN: (
            frozenset({CaseState.REVIEWED, CaseState.CLOSED}),
            CaseState.OPEN,
        ),
        Transition.WITHDRAW: (frozenset({CaseState.OPEN}), CaseState.CLOSED),
    }
)

REFUSED = {
    Transition.START_REVIEW: "Only an open case can be taken for review; this case is {state}.",
    Transition.RELEASE: "Only a case under review can be handed back; this case is {state}.",
    Transition.SIGN_OFF: "Only a case under review can be signed off; this case is {state}.",
    Transition.CLOSE: "Only a reviewed case can be closed; this case is {state}.",
    Transition.REOPEN: "Only a reviewed or closed case can be reopened; this case is {state}.",
    Transition.WITHDRAW: "Only a case waiting for review closes on its own; this case is {state}.",
}


class TransitionRefused(Exception):
    """The transition is not allowed from the case's current state."""

    def __init__(self, transition: Transition, state: CaseState) -> None:
        self.transition = transition
        self.state = state
        super().__init__(REFUSED[transition].format(state=state.label.lower()))


def can(transition: Transition, state: CaseState) -> bool:
    """Return whether the transition may start from this state."""
    return state in TRANSITIONS[transition][0]


def next_state(transition: Transition, state: CaseState) -> CaseState:
    """Return the state the transition leads to, refusing it from a state it cannot start from."""
    sources, target = TRANSITIONS[transition]
    if state not in sources:
        raise TransitionRefused(transition, state)
    return target
