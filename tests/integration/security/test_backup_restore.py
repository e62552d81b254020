"""A backup restores to the same clinic: every row, every patient's staging (docs/backup.md).

The test database is filled (the demo clinic's vignette patients, imported through the services,
and a seeded synthetic clinic from bench/clinic.py), committed so pg_dump sees it, dumped with
`manage.py backup`, restored with `manage.py restore` into a fresh database, and read back
through the same connection pointed at the restored database.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from bench.clinic import load_clinic, plan_clinic
from records.demo import demo_clinic_create
from records.history import default_params, episode_history, stage
from records.management.postgres import configured_server
from records.models import Episode
from tests.factories import ClinicFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("reference_data"),
]

ASSESSED_ON = datetime.date(2026, 1, 15)
SYNTHETIC_PATIENTS = 40


@contextmanager
def reading(database: str) -> Iterator[None]:
    """Point the default connection at another database of the same server for a while."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = database
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
    }


def staging_results() -> dict[tuple[str, str, datetime.date], dict[str, Any]]:
    """Return every episode's results under every model, keyed by clinic, record and onset."""
    results = {}
    episodes = Episode.objects.select_related("patient__clinic__staging_defaults")
    for episode in episodes.order_by("pk"):
        patient = episode.patient
        history = episode_history(episode, assessment_date=ASSESSED_ON)
        key = (patient.clinic.name, patient.record_number, episode.onset_date)
        results[key] = stage(history, default_params(patient.clinic))
    return results


def database_drop(name: str) -> None:
    admin = configured_server().connect("postgres")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"
    database_drop(name)
    yield name
    connection.close()
    database_drop(name)


def test_a_restored_backup_has_every_row_and_the_same_staging(
    tmp_path: Path, restored_name: str
) -> None:
    demo_clinic_create()
    load_clinic(plan_clinic(SYNTHETIC_PATIENTS, seed=3), ClinicFactory(), UserFactory())
    counts, results = row_counts(), staging_results()
    assert counts["records.Patient"] >= SYNTHETIC_PATIENTS
    assert len(results) >= SYNTHETIC_PATIENTS
    assert counts["records.AuditEvent"] > 0
    dump = tmp_path / "clinic.dump"

    call_command("backup", output=dump)
    call_command("restore", dump, database=restored_name)

    with reading(restored_name):
        assert row_counts() == counts
        assert staging_results() == results


def test_restore_refuses_a_database_that_holds_data(tmp_path: Path, restored_name: str) -> None:
    dump = tmp_path / "clinic.dump"
    call_command("backup", output=dump)
    call_command("restore", dump, database=restored_name)
    ClinicFactory(name="Kept")

    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", dump)
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", dump, database=restored_name)

    assert row_counts()["records.Clinic"] == 1
    call_command("restore", dump, database=restored_name, force=True)
    with reading(restored_name):
        assert row_counts()["records.Clinic"] == 0


def test_restore_of_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("restore", tmp_path / "nothing.dump")
