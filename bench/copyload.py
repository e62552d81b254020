"""A clinic group loaded with PostgreSQL COPY: many clinics of synthetic patients, fast (issue 18).

`copy_clinic` writes the same plan `bench.clinic.load_clinic` loads (patients, one current episode
each, their trials and scores) and one open impasse case for every `CASE_EVERY`-th patient,
straight into the tables with `COPY ... FROM STDIN` (psycopg2's copy_expert): no model instance
per row, no audit event (set-up data of a throw-away database, like `load_clinic`). Columns that
every row shares (time stamps, blank texts, defaults) are prepared once per table through the
model's own fields, so the rows match what the ORM would store.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench.clinic import PatientPlan

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import Model

    from records.models import Clinic

# One open case for every fourth patient: about the share restage flags in the bench clinic.
CASE_EVERY = 4


def _text(field: Any, value: Any) -> Any:
    """Return a value as COPY's CSV format reads it for this field (None is NULL)."""
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import JSONField

    if value is None:
        return None
    if isinstance(field, ArrayField):
        return "{" + ",".join(str(item) for item in value) + "}"
    if isinstance(field, JSONField):
        return json.dumps(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


class _Table:
    """The columns of one model's table, with the values every loaded row shares."""

    def __init__(self, model: type[Model], varying: Sequence[str], **shared: Any) -> None:
        prototype = model(**shared)
        self.model = model
        self.varying = tuple(varying)
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.fields = [f for f in self.fields if f.attname not in self.varying]
        # pre_save gives the value the ORM would store (auto_now time stamps set here).
        self.shared = [_text(f, f.pre_save(prototype, True)) for f in self.fields]
        self.columns = [*self.varying, *(f.column for f in self.fields)]
        # Blank texts are empty strings, not NULL, in COPY's CSV format only if named here.
        self.not_null = [
            f.column
            for f in model._meta.concrete_fields
            if not f.null and f.get_internal_type() in {"CharField", "TextField"}
        ]

    def copy(self, rows: Iterable[Sequence[Any]]) -> int:
        """COPY the rows (the varying columns' values, in order) into the table."""
        from django.db import connection

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        count = 0
        shared = self.shared
        for row in rows:
            writer.writerow([*row, *shared])
            count += 1
        buffer.seek(0)
        table = self.model._meta.db_table
        force = ", ".join(f'"{c}"' for c in self.not_null)
        options = "FORMAT csv" + (f", FORCE_NOT_NULL ({force})" if force else "")
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f'COPY "{table}" ({columns}) FROM STDIN WITH ({options})', buffer
            )
        return count


def _ids(model: type[Model], count: int) -> list[int]:
    """Reserve `count` primary keys from the table's own sequence."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _without_foreign_key_checks() -> bool:
    """Skip the per-row foreign-key triggers for this transaction, where the role may (superuser).

    The rows point at the rows loaded just before them, by construction; PostgreSQL's own bulk
    loading advice (pg_dump does the same) is to load first and check after.
    """
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def copy_clinic(
    plans: list[PatientPlan], clinic: Clinic, user: User, *, case_every: int = CASE_EVERY
) -> None:
    """Load the plans into the clinic with COPY; one open impasse case every `case_every` patients.

    Call inside a transaction: the foreign-key triggers are skipped for it where allowed.
    """
    from django.utils import timezone

    from pseudoresistance.models import CaseOrigin, ImpasseCase
    from records.models import Agent, Episode, Patient, ScaleAdministration, TreatmentTrial

    agents = list(
        Agent.objects.filter(clinic=None, role="antidepressant", minimum_dose_mg_per_day__gt=0)
        .order_by("name")
        .values_list("pk", "minimum_dose_mg_per_day")
    )
    _without_foreign_key_checks()
    stamp = {"created_by_id": user.pk, "updated_by_id": user.pk}
    patient_ids = _ids(Patient, len(plans))
    episode_ids = _ids(Episode, len(plans))
    patients = _Table(
        Patient,
        ("id", "record_number", "family_name", "given_name", "date_of_birth"),
        clinic_id=clinic.pk,
        psychiatrist_id=user.pk,
        **stamp,
    )
    patients.copy(
        (pk, plan.record_number, plan.family_name, plan.given_name, plan.date_of_birth)
        for pk, plan in zip(patient_ids, plans, strict=True)
    )
    episodes = _Table(Episode, ("id", "patient_id", "onset_date"), **stamp)
    episodes.copy(
        (episode_id, patient_id, plan.onset)
        for episode_id, patient_id, plan in zip(episode_ids, patient_ids, plans, strict=True)
    )
    trials = _Table(
        TreatmentTrial,
        (
            "episode_id",
            "code",
            "seq",
            "kind",
            "agent_id",
            "dose_mg_per_day",
            "start_date",
            "end_date",
            "weeks",
            "sessions",
            "adherence",
            "percent_symptom_reduction",
        ),
        **stamp,
    )

    def trial_rows() -> Iterable[tuple[Any, ...]]:
        for episode_id, plan in zip(episode_ids, plans, strict=True):
            for seq, trial in enumerate(plan.trials, start=1):
                agent_id, minimum, dose = None, None, None
                if trial.agent_index is not None:
                    agent_id, minimum = agents[trial.agent_index % len(agents)]
                if minimum is not None and trial.dose_factor is not None:
                    dose = minimum * trial.dose_factor
                yield (
                    episode_id,
                    f"T{seq}",
                    seq,
                    trial.kind,
                    agent_id,
                    dose,
                    trial.start,
                    trial.start + datetime.timedelta(weeks=trial.weeks),
                    Decimal(trial.weeks),
                    trial.sessions,
                    "good" if agent_id is not None else "",
                    trial.percent,
                )

    trials.copy(trial_rows())
    scores = _Table(
        ScaleAdministration, ("episode_id", "scale", "administered_on", "total"), **stamp
    )
    scores.copy(
        (episode_id, score.scale, score.on, score.total)
        for episode_id, plan in zip(episode_ids, plans, strict=True)
        for score in plan.scores
    )
    now = timezone.now()
    cases = _Table(
        ImpasseCase,
        ("patient_id", "episode_id"),
        origin=CaseOrigin.MANUAL,
        flag_reason="Benchmark case.",
        flagged_at=now,
        waiting_since=now,
        flagged_by_id=user.pk,
        responsible_psychiatrist_ids=[user.pk],
    )
    cases.copy(
        (patient_id, episode_id)
        for patient_id, episode_id in list(zip(patient_ids, episode_ids, strict=True))[::case_every]
    )
