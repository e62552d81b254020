"""The impasse case's state machine: every allowed and every refused transition."""

import itertools

import pytest

from pseudoresistance.states import (
    ACTIVE_STATES,
    CaseState,
    Transition,
    TransitionRefused,
    can,
    next_state,
)

ALLOWED = {
    (Transition.START_REVIEW, CaseState.OPEN): CaseState.UNDER_REVIEW,
    (Transition.RELEASE, CaseState.UNDER_REVIEW): CaseState.OPEN,
    (Transition.SIGN_OFF, CaseState.UNDER_REVIEW): CaseState.REVIEWED,
    (Transition.CLOSE, CaseState.REVIEWED): CaseState.CLOSED,
    (Transition.REOPEN, CaseState.REVIEWED): CaseState.OPEN,
    (Transition.REOPEN, CaseState.CLOSED): CaseState.OPEN,
    (Transition.WITHDRAW, CaseState.OPEN): CaseState.CLOSED,
}
REFUSED = [pair for pair in itertools.product(Transition, CaseState) if pair not in ALLOWED]


@pytest.mark.parametrize(("transition", "state"), list(ALLOWED), ids=str)
def test_allowed_transition_leads_to_its_state(transition: Transition, state: CaseState) -> None:
    assert can(transition, state)
    assert next_state(transition, state) is ALLOWED[(transition, state)]


@pytest.mark.parametrize(("transition", "state"), REFUSED, ids=str)
def test_other_transitions_are_refused_with_the_state_named(
    transition: Transition, state: CaseState
) -> None:
    assert not can(transition, state)
    with pytest.raises(TransitionRefused) as refused:
        next_state(transition, state)
    assert refused.value.state is state
    assert state.label.lower() in str(refused.value)


def test_a_closed_case_cannot_be_reviewed_until_reopened() -> None:
    with pytest.raises(TransitionRefused, match="this case is closed"):
        next_state(Transition.START_REVIEW, CaseState.CLOSED)
    assert next_state(Transition.REOPEN, CaseState.CLOSED) is CaseState.OPEN


def test_every_state_has_a_way_on_and_closed_only_reopens() -> None:
    ways = {state: {t for t in Transition if can(t, state)} for state in CaseState}
    assert ways == {
        CaseState.OPEN: {Transition.START_REVIEW, Transition.WITHDRAW},
        CaseState.UNDER_REVIEW: {Transition.RELEASE, Transition.SIGN_OFF},
        CaseState.REVIEWED: {Transition.CLOSE, Transition.REOPEN},
        CaseState.CLOSED: {Transition.REOPEN},
    }


def test_every_state_but_closed_is_a_case_in_progress() -> None:
    assert set(CaseState) - ACTIVE_STATES == {CaseState.CLOSED}
