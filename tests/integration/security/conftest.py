"""Fixtures for the security proofs: a patient of the clinic with a current episode."""

import datetime
from decimal import Decimal
from importlib import import_module

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


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """Reload the rows the data migrations load, when an earlier transactional test emptied them.

    A transactional test of another module without serialized rollback flushes every table,
    the agent catalogue and the checklist versions included.
    """
    from django.apps import apps

    from pseudoresistance.checklist_data import CHECKLIST_VERSION
    from pseudoresistance.models import ChecklistVersion
    from records.models import Agent

    if not Agent.objects.filter(clinic=None).exists():
        import_module("records.migrations.0002_agent_catalogue").load_catalogue(apps, None)
    if not ChecklistVersion.objects.filter(label=CHECKLIST_VERSION).exists():
        import_module("pseudoresistance.migrations.0002_checklist_2026_11_1").load(apps, None)
