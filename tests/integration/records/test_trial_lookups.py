"""A trial's rules read what they need in one statement and give Django's own errors.

`validate_trial` asks in one statement whether the trial's id and sequence number are taken and
whether its episode, agent and added-to trial exist, then validates the model without reading
those rows again (records/services/trials.py). Every error a form or an import can meet must be
the one the rules and Django's `full_clean` gave before, message and code.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Agent, Episode, Patient, TreatmentTrial, TrialKind
from records.services.common import CHANGED_BY
from records.services.trials import (
    UNIQUE_BY_RULES,
    TrialInput,
    apply_input,
    trial_rule_errors,
    validate_trial,
)
from tests.factories import AgentFactory, EpisodeFactory, TrialFactory, builtin_agent

from .conftest import ONSET

START = ONSET + datetime.timedelta(days=14)


def _errors(error: ValidationError) -> dict[str, list[tuple[str, str | None]]]:
    return {
        field: [(message.message % (message.params or {}), message.code) for message in messages]
        for field, messages in error.error_dict.items()
    }


def _djangos(trial: TreatmentTrial, episode: Episode, patient: Patient) -> ValidationError | None:
    """Return the errors as the rules and Django's whole `full_clean` give them (or None)."""
    errors = trial_rule_errors(trial, episode=episode, patient=patient)
    try:
        trial.full_clean(exclude=[*errors, *CHANGED_BY])
    except ValidationError as error:
        for field, messages in error.error_dict.items():
            errors.setdefault(field, []).extend(messages)
    return ValidationError(errors) if errors else None


def _ours(trial: TreatmentTrial, episode: Episode, patient: Patient) -> ValidationError | None:
    try:
        validate_trial(trial, episode=episode, patient=patient)
    except ValidationError as error:
        return error
    return None


def _gone(agent: Agent) -> Agent:
    """Return the agent as a form read it just before someone deleted it."""
    pk = agent.pk
    agent.delete()
    agent.pk = pk
    return agent


def test_the_constraints_naming_the_episode_are_the_ones_the_rules_check() -> None:
    naming = {
        constraint.name
        for constraint in TreatmentTrial._meta.constraints
        if "episode" in getattr(constraint, "fields", ())
        or "episode" in repr(getattr(constraint, "condition", ""))
    }
    assert naming == set(UNIQUE_BY_RULES)


CASES: dict[str, Callable[[Episode, Patient], dict[str, Any]]] = {
    "valid": lambda episode, patient: {},
    "id taken in another episode": lambda episode, patient: {"code": "T9"},
    "id taken in this episode": lambda episode, patient: {"code": "T1"},
    "sequence taken": lambda episode, patient: {"seq": 1},
    "both taken": lambda episode, patient: {"code": "T1", "seq": 1},
    "agent deleted meanwhile": lambda episode, patient: {
        "agent": _gone(AgentFactory(clinic=patient.clinic))
    },
    "agent and a name": lambda episode, patient: {"agent_name": "something else"},
    "agent of another clinic": lambda episode, patient: {"agent": AgentFactory()},
    "added to a deleted trial": lambda episode, patient: {
        "kind": TrialKind.AUGMENTATION,
        "augments": TreatmentTrial(pk=10**9, episode=episode),
    },
    "added to a trial of the episode": lambda episode, patient: {
        "kind": TrialKind.AUGMENTATION,
        "augments": TreatmentTrial.objects.get(episode=episode, code="T1"),
    },
    "end before start, dose 0": lambda episode, patient: {
        "end_date": START - datetime.timedelta(days=1),
        "dose_mg_per_day": Decimal(0),
    },
    "episode deleted meanwhile": lambda episode, patient: {"episode_id": 10**9},
}
VALID = {"valid", "added to a trial of the episode"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validation_gives_the_rules_and_djangos_errors(
    case: str, episode: Episode, patient: Patient
) -> None:
    earlier = EpisodeFactory(
        patient=patient, onset_date=ONSET.replace(year=2019), end_date=ONSET.replace(year=2020)
    )
    TrialFactory(episode=earlier, code="T9", seq=1, start_date=ONSET.replace(year=2019))
    TrialFactory(episode=episode, code="T1", seq=1, start_date=START)
    changes = CASES[case](episode, patient)
    episode_id = changes.pop("episode_id", None)
    values: dict[str, Any] = {
        "kind": TrialKind.ANTIDEPRESSANT,
        "start_date": START,
        "code": "T2",
        "seq": 2,
        "agent": builtin_agent("sertraline"),
        "dose_mg_per_day": Decimal(100),
        "weeks": Decimal(8),
        "adherence": "good",
    }
    trial = TreatmentTrial(episode=episode)
    apply_input(trial, TrialInput(**{**values, **changes}))
    if episode_id is not None:
        trial.episode_id = episode_id
    expected = _djangos(trial, episode, patient)
    got = _ours(trial, episode, patient)
    assert (got is None) == (case in VALID)
    assert (expected is None) == (case in VALID)
    if got is not None and expected is not None:
        assert _errors(got) == _errors(expected)


def test_a_valid_trial_is_looked_up_in_one_statement(episode: Episode, patient: Patient) -> None:
    trial = TreatmentTrial(episode=episode)
    apply_input(
        trial,
        TrialInput(
            kind=TrialKind.ANTIDEPRESSANT,
            start_date=START,
            code="T1",
            seq=1,
            agent=builtin_agent("sertraline"),
            dose_mg_per_day=Decimal(100),
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        validate_trial(trial, episode=episode, patient=patient)
    # The lookups, then the check constraints in their savepoint.
    assert len(queries.captured_queries) == 4
    assert not [query for query in queries if "LIMIT 1" in query["sql"]]
