"""Services write: staging snapshots (stored after each change, restaged) and the cohort export.

Snapshots are derived data, refreshed inside the transaction of the change that makes them out
of date, so they carry no audit event of their own; the change they follow is audited already.
"""

import base64
import csv
import datetime
import gc
import hashlib
import hmac
import io
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cohort.models import ClinicPseudonymKey, EpisodeSnapshot
from cohort.selectors import CohortFilters, clinic_snapshots, cohort_table, stale_episodes
from cohort.snapshots import snapshot_values
from pseudoresistance.change_assessments import change_assessments
from records.access import Permission
from records.audit import audit_access_events_write, audit_event_write
from records.extensions import EpisodeChange
from records.history_rows import episode_scores
from records.models import AuditAction, Clinic, Episode
from records.services.changes import episode_changed
from records.services.common import ObjectType, authorise
from records.spreadsheet import spreadsheet_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    Actor = User | AnonymousUser

logger = logging.getLogger(__name__)

CLINIC_NOT_FOUND = "No such clinic."
OBJECT_TYPE = "cohort"
RESTAGE_BATCH = 500
# Allocations between young-generation collections while restaging (Python's default: 700).
RESTAGE_GC_THRESHOLD = 20_000
SNAPSHOT_FIELDS = (
    "clinic",
    "engine_versions",
    "params",
    "assessment_date",
    "computed_at",
    "stale",
    "results",
    "results_after_checklist",
    "status",
    "status_text",
    "criteria",
    "msm_score",
    "concerns",
    "data_gaps",
    "score_outcomes",
)
IDENTIFYING_COLUMNS = ("family_name", "given_name", "date_of_birth")
PSEUDONYM_COLUMN = "pseudonym"
PSEUDONYM_PREFIX = "P-"
PSEUDONYM_LENGTH = 10
# The de-identified level (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)): no names of patients or
# clinicians, no record number or code derived from it, every date reduced to its year, ages
# over 89 in one group.
ROW_COLUMN = "row"
CLINICIAN_COLUMNS = ("psychiatrist",)
DATE_COLUMNS = {
    "episode_onset": "onset_year",
    "episode_end": "end_year",
    "assessed_on": "assessed_year",
}
AGE_COLUMN = "age_at_onset"
# 45 CFR 164.514(b)(2)(i)(C): ages over 89 are aggregated into a single category of 90 or older.
OLDEST_AGE_SHOWN = 89
OLDEST_AGE_GROUP = "90 or over"
PATIENT_EXPORTED = "cohort export, {level}"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportLevel(StrEnum):
    """How much of a patient's identity an export carries (docs/cohort.md lists the columns)."""

    IDENTIFIED = "identified"
    PSEUDONYMISED = "pseudonymised"
    DEIDENTIFIED = "deidentified"


LEVEL_NAMES = {
    ExportLevel.IDENTIFIED: "identified",
    ExportLevel.PSEUDONYMISED: "pseudonymised",
    ExportLevel.DEIDENTIFIED: "de-identified",
}
FILENAME_SUFFIXES = {
    ExportLevel.IDENTIFIED: "",
    ExportLevel.PSEUDONYMISED: "-pseudonymised",
    ExportLevel.DEIDENTIFIED: "-deidentified",
}


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class _Upsert:
    """The upsert of snapshots and the JSON keys of its columns, by snapshot field."""

    sql: str
    episode_column: str
    # (column, field name in the snapshot values)
    columns: tuple[tuple[str, str], ...]


@cache
def _upsert() -> _Upsert:
    """Return the INSERT ... ON CONFLICT of a batch of snapshots given as one JSON array.

    One parameter for the whole batch (issue 18): a parameter per value cost psycopg2 and
    Django more than the rest of the write, and a JSON text per JSON column as much again;
    PostgreSQL reads each row's columns out of the array with their own types. Written once a
    process from the model's fields.
    """
    meta = EpisodeSnapshot._meta
    fields = {field.name: field for field in meta.concrete_fields}
    # A concrete field always has its column.
    columns = [str(fields[name].column) for name in ("episode", *SNAPSHOT_FIELDS)]
    types = [fields[name].db_type(connection) for name in ("episode", *SNAPSHOT_FIELDS)]
    names = ", ".join(columns)
    record = ", ".join(f"{column} {kind}" for column, kind in zip(columns, types, strict=True))
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    # Table, column names and types are the model's own; the rows are the one parameter.
    sql = (
        f"INSERT INTO {meta.db_table} ({names}) SELECT {names} "  # noqa: S608  # nosec B608
        f"FROM jsonb_to_recordset(%s::jsonb) AS snapshot({record}) "
        f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"
    )
    return _Upsert(
        sql=sql,
        episode_column=columns[0],
        columns=tuple(
            (column, "clinic_id" if name == "clinic" else name)
            for column, name in zip(columns[1:], SNAPSHOT_FIELDS, strict=True)
        ),
    )


def _json_value(value: Any) -> Any:
    """Return a column's value as JSON holds it: dates and times in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime.date) else value


def _save(snapshots: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Insert or replace snapshots (episode id, field values), one statement per batch."""
    upsert = _upsert()
    for start in range(0, len(snapshots), RESTAGE_BATCH):
        rows = [
            {
                upsert.episode_column: episode_id,
                **{column: _json_value(values[name]) for column, name in upsert.columns},
            }
            for episode_id, values in snapshots[start : start + RESTAGE_BATCH]
        ]
        with connection.cursor() as cursor:
            cursor.execute(upsert.sql, [json.dumps(rows)])


def snapshots_after_change(change: EpisodeChange) -> None:
    """Store the snapshots of a change's episodes, in one upsert, from its assessments.

    Registered with records (records.extensions), so it runs at the end of every change, in its
    transaction; the assessments are those the impasse flags were refreshed from.
    """
    assessments = change_assessments(change)
    if not assessments:
        return
    scores = episode_scores(assessments)
    now = timezone.now()
    _save(
        [
            (pk, snapshot_values(assessment, scores[pk], now=now))
            for pk, assessment in assessments.items()
        ]
    )


def episodes_to_restage(clinic: Clinic | None, stale_only: bool) -> QuerySet[Episode]:
    """Return the episodes a restage takes: all or the stale ones, of one clinic or every one."""
    if not stale_only:
        episodes = Episode.objects.all()
        return episodes if clinic is None else episodes.filter(patient__clinic=clinic)
    clinics = [clinic] if clinic is not None else list(Clinic.objects.all())
    ids: list[int] = []
    for each in clinics:
        ids.extend(stale_episodes(each).values_list("pk", flat=True))
    return Episode.objects.filter(pk__in=ids)


def snapshots_restage(
    *,
    clinic: Clinic | None = None,
    stale_only: bool = False,
    episode_ids: Sequence[int] | None = None,
    batch_size: int = RESTAGE_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Restage episodes (all, or the stale ones; one clinic or every clinic) in batches.

    `episode_ids` names the episodes instead (a worker's share, cohort/restage.py).

    Each batch goes through records' one change path as a change by the system, in its own
    transaction: the snapshots are stored and the impasse cases opened or closed by the same
    rules as after any change, so a nightly run fires the criteria that depend on the date.
    `progress(done, total)` is called after each batch. Returns the number of episodes restaged.
    """
    if episode_ids is None:
        episodes = episodes_to_restage(clinic, stale_only).order_by("patient_id", "pk")
        ids = list(episodes.values_list("pk", flat=True))
    else:
        ids = list(episode_ids)
    total = len(ids)
    # The cyclic collector took a third of restage's CPU time (issue 18): it walked what was
    # alive before the restage (Django, the engines, the catalogue), which outlives it, and each
    # batch's rows, which live until the batch ends, again and again. The first is frozen out of
    # its walks and the young generation collected less often while the restage runs; both are
    # restored when it ends. Rows hold no cycles: they are freed as each batch ends.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], RESTAGE_GC_THRESHOLD), *thresholds[1:])
    try:
        for start in range(0, total, batch_size):
            batch = ids[start : start + batch_size]
            with transaction.atomic():
                episode_changed(episode_ids=batch, acting_user=None)
            if progress is not None:
                progress(start + len(batch), total)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    logger.info("restage: %d episodes", total)
    return total


def _pseudonym_secret(clinic_id: int) -> bytes:
    key, _created = ClinicPseudonymKey.objects.get_or_create(
        clinic_id=clinic_id, defaults={"secret": secrets.token_hex(32)}
    )
    return key.secret.encode()


def pseudonym(secret: bytes, clinic_id: int, record_number: str) -> str:
    """Return the stable pseudonym of a record number in a clinic: a keyed hash, not reversible."""
    digest = hmac.new(secret, f"{clinic_id}:{record_number}".encode(), hashlib.sha256).digest()
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode()[:PSEUDONYM_LENGTH]


def _safe(value: Any) -> Any:
    """Return a text cell that a spreadsheet will not run as a formula; other cells as they are."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def _pseudonymised(row: dict[str, Any], secret: bytes, clinic_id: int) -> dict[str, Any]:
    """Return the row without name and date of birth, its record number as the pseudonym."""
    kept = {
        name: value
        for name, value in row.items()
        if name not in IDENTIFYING_COLUMNS and name != "record_number"
    }
    return {PSEUDONYM_COLUMN: pseudonym(secret, clinic_id, row["record_number"]), **kept}


def _age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _year(value: datetime.date | None) -> int | None:
    return None if value is None else value.year


def _deidentified(row: dict[str, Any], number: int) -> dict[str, Any]:
    """Return the row as HIPAA Safe Harbor allows: a row number, years, the age grouped above 89."""
    age = _age(row["date_of_birth"], row["episode_onset"])
    kept: dict[str, Any] = {
        ROW_COLUMN: number,
        AGE_COLUMN: OLDEST_AGE_GROUP if age > OLDEST_AGE_SHOWN else age,
    }
    for name, value in row.items():
        if name in IDENTIFYING_COLUMNS or name in CLINICIAN_COLUMNS or name == "record_number":
            continue
        if name in DATE_COLUMNS:
            kept[DATE_COLUMNS[name]] = _year(value)
        else:
            kept[name] = value
    return kept


@dataclass(frozen=True)
class CohortExport:
    content: bytes
    filename: str
    content_type: str
    rows: int


def _render(rows: list[dict[str, Any]], file_format: ExportFormat) -> bytes:
    frame = pd.DataFrame.from_records(rows).map(_safe) if rows else pd.DataFrame()
    if file_format is ExportFormat.CSV:
        text = io.StringIO()
        frame.to_csv(text, index=False, quoting=csv.QUOTE_MINIMAL)
        return text.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name="cohort", engine="openpyxl")
    return buffer.getvalue()


def cohort_export(
    *,
    acting_user: "Actor",
    clinic_id: int,
    filters: CohortFilters,
    file_format: ExportFormat,
    level: ExportLevel,
) -> CohortExport:
    """Export the cohort table as CSV or XLSX at an identity level; audited for each patient.

    Identified: the table as it is. Pseudonymised: no name, no date of birth, the record number
    replaced by the clinic's stable pseudonym. De-identified: HIPAA Safe Harbor style, see
    `_deidentified`. The caller has checked the user's re-entered password.
    """
    with transaction.atomic():
        access = authorise(
            acting_user, clinic_id, Permission.EXPORT_COHORT, not_found=CLINIC_NOT_FOUND
        )
        rows = cohort_table(access=access, filters=filters)
        patient_ids = sorted(
            set(clinic_snapshots(access, filters).values_list("episode__patient_id", flat=True))
        )
        if level is ExportLevel.PSEUDONYMISED:
            secret = _pseudonym_secret(clinic_id)
            rows = [_pseudonymised(row, secret, clinic_id) for row in rows]
        elif level is ExportLevel.DEIDENTIFIED:
            rows = [_deidentified(row, number) for number, row in enumerate(rows, start=1)]
        content = _render(rows, file_format)
        # Each patient's own trail shows that their data left trdclinic, and at which level.
        audit_access_events_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=ObjectType.PATIENT,
            clinic_id=clinic_id,
            patient_ids=patient_ids,
            changes={"export": [None, PATIENT_EXPORTED.format(level=LEVEL_NAMES[level])]},
        )
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=OBJECT_TYPE,
            object_id=None,
            clinic_id=clinic_id,
            changes={
                "filters": [None, filters.description()],
                "format": [None, file_format.value],
                "level": [None, level.value],
                "rows": [None, str(len(rows))],
            },
        )
    day = timezone.localdate().isoformat()
    suffix = FILENAME_SUFFIXES[level]
    return CohortExport(
        content=content,
        filename=f"cohort-{day}{suffix}.{file_format.value}",
        content_type=CONTENT_TYPES[file_format],
        rows=len(rows),
    )
