"""A clinic group loaded with PostgreSQL COPY: many clinics of synthetic patients, fast (issue 18).

`copy_group` writes the plans `bench.clinic.load_clinic` loads (patients, one current episode
each, their trials and scores) and one open impasse case for every `CASE_EVERY`-th patient, for
any number of clinics, with one `COPY ... FROM STDIN` per table: no model instance per row, no
audit event (set-up data of a throw-away database, like `load_clinic`). Columns every row shares
(time stamps, blank texts, defaults) are written once per table through the model's own fields,
so the rows match what the ORM would store; each row is one f-string of COPY's text format,
streamed to the server in large chunks.

A bulk load of a big group does what pg_dump's restore does (`bulk=True`): the tables' secondary
indexes and unique constraints are dropped and the foreign-key triggers skipped while the rows go
in, then every index is rebuilt and every unique constraint re-added from its own definition
(which checks it) and every foreign key of the loaded rows checked, inside the caller's
transaction: when `copy_group` returns, every constraint of the schema holds for the new rows.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.clinic import PatientPlan

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import Model

    from records.models import Clinic

# One open case for every fourth patient: about the share restage flags in the bench clinic.
CASE_EVERY = 4
# Bytes handed to the server per read of the COPY stream.
CHUNK = 1 << 20
# Memory for the index rebuilds' sorts, for this transaction only (the server's default is 64 MB).
MAINTENANCE_WORK_MEM = "256MB"
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(field: Any, value: Any) -> str:
    """Return a value in COPY's text format for this field (None is NULL)."""
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import JSONField

    if value is None:
        return NULL
    if isinstance(field, ArrayField):
        value = "{" + ",".join(str(item) for item in value) + "}"
    elif isinstance(field, JSONField):
        value = json.dumps(value)
    elif isinstance(value, bool):
        value = "t" if value else "f"
    return str(value).translate(_ESCAPES)


def _cell(value: object) -> str:
    """Return one varying value in COPY's text format (the plans hold no tab, newline or \\)."""
    return NULL if value is None else str(value)


class _Stream:
    """A file-like object that reads a generator of COPY lines in chunks of about `size` bytes."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = iter(lines)
        self.count = 0

    def read(self, size: int = CHUNK) -> str:
        chunk: list[str] = []
        length = 0
        for line in self.lines:
            chunk.append(line)
            length += len(line)
            if length >= size:
                break
        self.count += len(chunk)
        return "".join(chunk)


class _Table:
    """The columns of one model's table: the varying ones, then those every loaded row shares."""

    def __init__(self, model: type[Model], varying: Sequence[str]) -> None:
        self.model = model
        self.fields = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in varying
        ]
        self.columns = [*varying, *(f.column for f in self.fields)]

    def tail(self, **shared: Any) -> str:
        """Return what follows a row's varying values: the shared columns and the line's end."""
        prototype = self.model(**shared)
        # pre_save gives the value the ORM would store (auto_now time stamps set here).
        text = "\t".join(_text(f, f.pre_save(prototype, True)) for f in self.fields)
        return ("\t" + text if self.fields else "") + "\n"

    def copy(self, lines: Iterable[str]) -> int:
        """COPY the lines (the varying columns' text, then a `tail`) into the table."""
        from django.db import connection

        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        stream = _Stream(lines)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', stream, CHUNK)
        return stream.count


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


@dataclass(frozen=True)
class Member:
    """One clinic of the group: its plans, loaded as its psychiatrist's."""

    clinic: Clinic
    user: User
    plans: list[PatientPlan]


def _cpu_of(pid: int, *, children: bool = False) -> float:
    """Return a process's CPU seconds (with its reaped children's), from /proc (stat(5))."""
    import os

    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command: utime, stime, cutime, cstime are the 12th to 15th fields, in ticks.
    ticks = sum(int(tick) for tick in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(*, every_process: bool = True) -> float | None:
    """Return the CPU seconds PostgreSQL has used, where the server runs on this machine.

    This connection's backend and the server's exited processes (parallel index builds); with
    `every_process`, its other live processes too: other backends, the checkpointer, the WAL
    writer, autovacuum (a scan of /proc, a few ms). None for a remote server.
    """
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    try:
        with open(f"/proc/{backend}/stat") as stat:
            postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
        used = _cpu_of(postmaster, children=True) + _cpu_of(backend)
        for entry in os.scandir("/proc") if every_process else ():
            if not entry.name.isdigit() or int(entry.name) == backend:
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                if parent == postmaster:
                    used += _cpu_of(int(entry.name))
            except OSError:  # the process ended meanwhile
                continue
    except OSError:
        return None
    return used


@dataclass
class Step:
    name: str
    rows: int
    seconds: float
    cpu_seconds: float  # this process (the rows written)
    server_cpu_seconds: float | None  # this connection's PostgreSQL backend and parallel workers


@dataclass
class LoadReport:
    """What a load did, step by step: wall seconds, and the CPU seconds of each side in it."""

    steps: list[Step] = field(default_factory=list)

    def timed(self, name: str, action: Any) -> Any:
        server = server_cpu_seconds(every_process=False)
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        server_after = server_cpu_seconds(every_process=False)
        rows = result if isinstance(result, int) else 0
        server_used = None if server is None or server_after is None else server_after - server
        self.steps.append(Step(name, rows, seconds, cpu, server_used))
        return result

    def summary(self) -> str:
        """Return the steps, those of one kind (the index builds) summed, in one line."""
        merged: dict[str, list[float]] = {}
        for step in self.steps:
            name = step.name.split(":")[0]
            figures = merged.setdefault(name, [0, 0.0, 0.0, 0.0])
            figures[0] += step.rows
            figures[1] += step.seconds
            figures[2] += step.cpu_seconds
            figures[3] += step.server_cpu_seconds or 0.0
        return "; ".join(
            f"{name} {seconds:.1f} s"
            + (f" ({rows:,.0f} rows)" if rows else "")
            + f" [CPU {cpu:.1f} s here, {server:.1f} s server]"
            for name, (rows, seconds, cpu, server) in merged.items()
        )


def loaded_tables() -> list[str]:
    """Return the tables a load writes."""
    return [model._meta.db_table for model in _tables()]


def _tables() -> list[type[Model]]:
    from pseudoresistance.models import ImpasseCase
    from records.models import Episode, Patient, ScaleAdministration, TreatmentTrial

    return [Patient, Episode, TreatmentTrial, ScaleAdministration, ImpasseCase]


def _defer_indexes(tables: Sequence[type[Model]]) -> list[tuple[str, str]]:
    """Drop the tables' indexes but their primary keys; return each name and its own SQL."""
    from django.db import connection

    names = [model._meta.db_table for model in tables]
    drop, create = [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, c.conname, pg_get_indexdef(x.indexrelid), "
            "pg_get_constraintdef(c.oid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = t.oid "
            "WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace "
            "AND NOT x.indisprimary ORDER BY t.relname, i.relname",
            [names],
        )
        for table, index, constraint, index_sql, constraint_sql in cursor.fetchall():
            if constraint is None:
                drop.append(f'DROP INDEX "{index}"')
                create.append((index, index_sql))
            else:
                drop.append(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
                create.append(
                    (
                        constraint,
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" ' + constraint_sql,
                    )
                )
        for sql in drop:
            cursor.execute(sql)
    return create


def _foreign_keys(tables: Sequence[type[Model]]) -> list[tuple[str, str, str, str]]:
    """Return each single-column foreign key of the tables: table, column, target, its column."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname, r.relname, ra.attname FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] "
            "WHERE c.contype = 'f' AND t.relname = ANY(%s) AND cardinality(c.conkey) = 1 "
            "ORDER BY t.relname, a.attname",
            [[model._meta.db_table for model in tables]],
        )
        return list(cursor.fetchall())


def _check_foreign_keys(
    keys: Sequence[tuple[str, str, str, str]], first_ids: dict[str, int]
) -> int:
    """Raise IntegrityError if a loaded row points at no row: what each FK trigger would check.

    One anti-join per key over the rows loaded (ids from the table's first loaded id), as
    ALTER TABLE ... VALIDATE CONSTRAINT does over a whole table.
    """
    from django.db import IntegrityError, connection
    from psycopg2 import sql

    query = sql.SQL(
        "SELECT count(*) FROM {table} c WHERE c.id >= %s AND c.{column} IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM {target} p WHERE p.{target_column} = c.{column})"
    )
    with connection.cursor() as cursor:
        for table, column, target, target_column in keys:
            names = {"table": table, "column": column, "target": target}
            cursor.execute(
                query.format(
                    target_column=sql.Identifier(target_column),
                    **{key: sql.Identifier(name) for key, name in names.items()},
                ),
                [first_ids[table]],
            )
            (missing,) = cursor.fetchone()
            if missing:
                raise IntegrityError(f"{missing} rows of {table}.{column} point at no {target} row")
    return len(keys)


def _first_ids(tables: Sequence[type[Model]]) -> dict[str, int]:
    """Return the id the next row of each table will take (rows from it on are the loaded ones)."""
    from django.db import connection

    first = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            first[table] = cursor.fetchone()[0]
    return first


def copy_group(
    members: Sequence[Member], *, case_every: int = CASE_EVERY, bulk: bool = False
) -> LoadReport:
    """Load every member's plans with one COPY per table; one open case every `case_every`.

    Call inside a transaction. With `bulk`, the secondary indexes are dropped during the COPY and
    rebuilt after it, and the foreign keys checked once over the loaded rows instead of per row
    (their triggers skipped for this transaction, which needs a superuser as pg_restore does).
    """
    from django.db import connection
    from django.utils import timezone

    from pseudoresistance.models import CaseOrigin, ImpasseCase
    from records.models import Agent, Episode, Patient, ScaleAdministration, TreatmentTrial

    report = LoadReport()
    tables = _tables()
    with connection.cursor() as cursor:
        # A throw-away benchmark database: a crash may lose this commit, never corrupt it.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = %s", [MAINTENANCE_WORK_MEM])
        if bulk:
            # Foreign-key checks the transaction deferred are made now: a table with pending
            # trigger events cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL session_replication_role = replica")
    deferred = report.timed("drop indexes", lambda: _defer_indexes(tables)) if bulk else None
    first_ids = _first_ids(tables)
    agents = [
        (str(pk), minimum)
        for pk, minimum in Agent.objects.filter(
            clinic=None, role="antidepressant", minimum_dose_mg_per_day__gt=0
        )
        .order_by("name")
        .values_list("pk", "minimum_dose_mg_per_day")
    ]
    ids = [
        (member, _ids(Patient, len(member.plans)), _ids(Episode, len(member.plans)))
        for member in members
    ]
    now = timezone.now()

    def stamp(member: Member) -> dict[str, Any]:
        return {"created_by_id": member.user.pk, "updated_by_id": member.user.pk}

    patients = _Table(
        Patient, ("id", "record_number", "family_name", "given_name", "date_of_birth")
    )

    def patient_lines() -> Iterator[str]:
        for member, patient_ids, _ in ids:
            tail = patients.tail(
                clinic_id=member.clinic.pk, psychiatrist_id=member.user.pk, **stamp(member)
            )
            for pk, plan in zip(patient_ids, member.plans, strict=True):
                yield (
                    f"{pk}\t{plan.record_number}\t{plan.family_name}\t{plan.given_name}\t"
                    f"{plan.date_of_birth}{tail}"
                )

    episodes = _Table(Episode, ("id", "patient_id", "onset_date"))

    def episode_lines() -> Iterator[str]:
        for member, patient_ids, episode_ids in ids:
            tail = episodes.tail(**stamp(member))
            for episode_id, patient_id, plan in zip(
                episode_ids, patient_ids, member.plans, strict=True
            ):
                yield f"{episode_id}\t{patient_id}\t{plan.onset}{tail}"

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
    )

    def trial_lines() -> Iterator[str]:
        for member, _, episode_ids in ids:
            tail = trials.tail(**stamp(member))
            for episode_id, plan in zip(episode_ids, member.plans, strict=True):
                for seq, trial in enumerate(plan.trials, start=1):
                    agent, dose, adherence = NULL, NULL, ""
                    if trial.agent_index is not None:
                        agent, minimum = agents[trial.agent_index % len(agents)]
                        adherence = "good"
                        if minimum is not None and trial.dose_factor is not None:
                            dose = str(minimum * trial.dose_factor)
                    end = trial.start + datetime.timedelta(weeks=trial.weeks)
                    yield (
                        f"{episode_id}\tT{seq}\t{seq}\t{trial.kind}\t{agent}\t{dose}\t"
                        f"{trial.start}\t{end}\t{trial.weeks}\t{_cell(trial.sessions)}\t"
                        f"{adherence}\t{_cell(trial.percent)}{tail}"
                    )

    scores = _Table(ScaleAdministration, ("episode_id", "scale", "administered_on", "total"))

    def score_lines() -> Iterator[str]:
        for member, _, episode_ids in ids:
            tail = scores.tail(**stamp(member))
            for episode_id, plan in zip(episode_ids, member.plans, strict=True):
                for score in plan.scores:
                    yield f"{episode_id}\t{score.scale}\t{score.on}\t{score.total}{tail}"

    cases = _Table(ImpasseCase, ("patient_id", "episode_id"))

    def case_lines() -> Iterator[str]:
        for member, patient_ids, episode_ids in ids:
            tail = cases.tail(
                origin=CaseOrigin.MANUAL,
                flag_reason="Benchmark case.",
                flagged_at=now,
                waiting_since=now,
                flagged_by_id=member.user.pk,
                responsible_psychiatrist_ids=[member.user.pk],
            )
            for patient_id, episode_id in list(zip(patient_ids, episode_ids, strict=True))[
                ::case_every
            ]:
                yield f"{patient_id}\t{episode_id}{tail}"

    for name, table, lines in (
        ("patients", patients, patient_lines),
        ("episodes", episodes, episode_lines),
        ("trials", trials, trial_lines),
        ("scores", scores, score_lines),
        ("open cases", cases, case_lines),
    ):
        report.timed(f"COPY {name}", lambda t=table, ls=lines: t.copy(ls()))
    if deferred is not None:
        with connection.cursor() as cursor:
            for name, sql in deferred:
                report.timed(f"indexes built: {name}", lambda s=sql: cursor.execute(s))
        keys = _foreign_keys(tables)
        report.timed("foreign keys checked", lambda: _check_foreign_keys(keys, first_ids))
        with connection.cursor() as cursor:
            # Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED: as they were.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    return report


def copy_clinic(
    plans: list[PatientPlan], clinic: Clinic, user: User, *, case_every: int = CASE_EVERY
) -> None:
    """Load the plans into one clinic with COPY (indexes kept); call inside a transaction."""
    copy_group([Member(clinic, user, plans)], case_every=case_every)
