"""Fixtures for the records domain: a patient with a current episode, and clinic access."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from records.access import ClinicAccess, access_for_user
from records.models import Clinic, Episode, Patient
from tests.factories import EpisodeFactory, PatientFactory

ONSET = datetime.date(2024, 5, 1)


@pytest.fixture
def access_of(clinic: Clinic) -> Callable[[User], ClinicAccess]:
    """Return a user's access in the clinic, as a view would have it."""

    def make(user: User) -> ClinicAccess:
        access = access_for_user(user, clinic.pk)
        assert access is not None
        return access

    return make


@pytest.fixture
def patient(clinic: Clinic, psychiatrist: User) -> Patient:
    return PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-1")


@pytest.fixture
def episode(patient: Patient) -> Episode:
    return EpisodeFactory(
        patient=patient, onset_date=ONSET, baseline_scale="HAMD17", baseline_score=Decimal(20)
    )
