"""Fixtures for the impasse work: a patient with a recent current episode, trials, access."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from records.models import Clinic, Episode, Patient, Role, TreatmentTrial
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    TrialFactory,
    builtin_agent,
    recent_onset,
)


@pytest.fixture
def patient(clinic: Clinic, psychiatrist: User) -> Patient:
    return PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-1")


@pytest.fixture
def episode(patient: Patient) -> Episode:
    return EpisodeFactory(
        patient=patient,
        onset_date=recent_onset(),
        baseline_severity_category="",
        baseline_scale="HAMD17",
        baseline_score=Decimal(20),
    )


@pytest.fixture
def failed_trial(episode: Episode) -> Callable[..., TreatmentTrial]:
    """Make an adequate trial of the episode that failed (20 % reduction), by agent name."""

    def make(agent: str = "sertraline", dose: int = 100, **fields: object) -> TreatmentTrial:
        defaults: dict[str, object] = {
            "episode": episode,
            "agent": builtin_agent(agent),
            "dose_mg_per_day": Decimal(dose),
            "start_date": episode.onset_date + datetime.timedelta(days=7),
        }
        return TrialFactory(**{**defaults, **fields})

    return make


@pytest.fixture
def other_supervisor(member: Callable[..., User]) -> User:
    return member(Role.SUPERVISOR)


@pytest.fixture
def supervising_psychiatrist(member: Callable[..., User]) -> User:
    """A supervisor who also treats patients (both roles in the clinic)."""
    return member(Role.SUPERVISOR, Role.PSYCHIATRIST)


RED_TRIAL_ITEMS = ("A1", "A4", "A5", "A14", "A17")
RED_CASE_ITEMS = ("B1", "B3", "B9")


@pytest.fixture
def verify_red_items() -> Callable[..., None]:
    """Answer every RED item No: per trial of the episode and for the case."""
    from pseudoresistance.checklist_data import item_applies
    from pseudoresistance.services import AnswerInput, checklist_answers_record

    def answer(episode: Episode, user: User) -> None:
        answers = [
            AnswerInput(item_code=code, trial_id=trial.pk, answer="no")
            for trial in episode.trials.all()
            for code in RED_TRIAL_ITEMS
            if item_applies(code, trial.kind)
        ]
        answers += [AnswerInput(item_code=code, answer="no") for code in RED_CASE_ITEMS]
        checklist_answers_record(acting_user=user, episode_id=episode.pk, answers=answers)

    return answer
