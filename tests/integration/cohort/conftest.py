"""Fixtures for the cohort: patients with current episodes and failed trials, snapshots, access."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from cohort.services import snapshots_restage
from records.models import Clinic, Episode
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    TrialFactory,
    builtin_agent,
    recent_onset,
)

# Two SSRIs: the FDA and EMA count two agents, Thase-Rush and Conway need a second class.
SAME_CLASS = ("sertraline", "escitalopram")
TWO_CLASSES = ("sertraline", "venlafaxine")
DOSES = {"sertraline": 100, "escitalopram": 10, "venlafaxine": 150}


@pytest.fixture
def make_episode(clinic: Clinic, psychiatrist: User) -> Callable[..., Episode]:
    """Make a patient with a current episode and adequate failed trials of the named agents."""

    def make(
        agents: tuple[str, ...] = TWO_CLASSES,
        *,
        in_clinic: Clinic | None = None,
        psychiatrist_user: User | None = None,
        onset: datetime.date | None = None,
        **patient: object,
    ) -> Episode:
        owner = PatientFactory(
            clinic=in_clinic or clinic,
            psychiatrist=psychiatrist_user or psychiatrist,
            **patient,
        )
        episode = EpisodeFactory(patient=owner, onset_date=onset or recent_onset())
        for number, agent in enumerate(agents):
            TrialFactory(
                episode=episode,
                agent=builtin_agent(agent),
                dose_mg_per_day=Decimal(DOSES[agent]),
                start_date=episode.onset_date + datetime.timedelta(days=7 + 63 * number),
            )
        return episode

    return make


@pytest.fixture
def restage() -> Callable[[], int]:
    """Stage every episode into its snapshot, as `manage.py restage` does."""
    return lambda: snapshots_restage()
