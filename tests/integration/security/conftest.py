"""Fixtures for the security proofs: a patient of the clinic with a current episode; clinic A."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from pytest_django import DjangoDbBlocker

from records.models import Clinic, Episode, Patient
from tests.factories import EpisodeFactory, PatientFactory
from tests.integration.security.clinic_a import ClinicA, clinic_a_build
from tests.shared_world import Sessions, built_for_module


@pytest.fixture
def patient(clinic: Clinic, psychiatrist: User) -> Patient:
    return PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-1")


@pytest.fixture
def episode(patient: Patient) -> Episode:
    return EpisodeFactory(
        patient=patient,
        onset_date=datetime.date(2024, 5, 1),
        baseline_scale="HAMD17",
        baseline_score=Decimal(20),
    )


@pytest.fixture(scope="module")
def _clinic_a_of_module(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[ClinicA]:
    yield from built_for_module(django_db_blocker, clinic_a_build)


@pytest.fixture
def clinic_a(_clinic_a_of_module: ClinicA, db: None) -> ClinicA:
    """Clinic A (tests/integration/security/clinic_a.py), built once per module; tests read it."""
    return _clinic_a_of_module


@pytest.fixture(scope="module")
def _clinic_a_sessions_of_module(
    _clinic_a_of_module: ClinicA, django_db_blocker: DjangoDbBlocker
) -> Sessions:
    with django_db_blocker.unblock():
        visitors = [user for user in _clinic_a_of_module.visitors.values() if user is not None]
        return Sessions().sign_in(*visitors)


@pytest.fixture
def clinic_a_sessions(_clinic_a_sessions_of_module: Sessions, clinic_a: ClinicA) -> Sessions:
    """A verified session of each of clinic A's signed-in visitors (their authenticators made)."""
    return _clinic_a_sessions_of_module
