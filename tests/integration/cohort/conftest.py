"""Fixtures for the cohort: patients with current episodes and failed trials, snapshots, access."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cohort.services import snapshots_restage
from records.access import ClinicAccess, access_for_user
from records.models import Clinic, Episode
from tests.factories import EpisodeFactory, PatientFactory, TrialFactory, builtin_agent

# Two SSRIs: the FDA and EMA count two agents, Thase-Rush and Conway need a second class.
SAME_CLASS = ("sertraline", "escitalopram")
TWO_CLASSES = ("sertraline", "venlafaxine")
DOSES = {"sertraline": 100, "escitalopram": 10, "venlafaxine": 150}


def recent_onset() -> datetime.date:
    """An onset five months ago: acute for the MSM and well short of 24 months."""
    return timezone.localdate() - datetime.timedelta(days=150)


@pytest.fixture
def access_of(clinic: Clinic) -> Callable[[User], ClinicAccess]:
    """Return a user's access in the clinic, as a view would have it."""

    def make(user: User) -> ClinicAccess:
        access = access_for_user(user, clinic.pk)
        assert access is not None
        return access

    return make


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
