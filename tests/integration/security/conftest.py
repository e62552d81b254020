"""Fixtures for the security proofs: a patient of the clinic with a current episode."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from records.models import Clinic, Episode, Patient
from tests.factories import EpisodeFactory, PatientFactory


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
