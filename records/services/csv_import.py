"""CSV import of treatment histories for many patients: one row per trial, all or nothing.

The format is described for clinic staff in docs/csv-import.md. Every row is read and checked
before anything is written, by the same rules as the forms and the JSON import: the services'
`trial_rule_errors`, `episode_rule_errors` and patient rules, and the models' field validation and
`clean()`. A file with any problem imports nothing, and every problem is reported at once as
"row N, column X: message" (rows numbered as a spreadsheet shows them: the header is row 1).

What differs from the one-record services is how, never what, is checked, so that 5,000 rows
import within 10 seconds (a query costs about 1 ms through the ORM here):
- the uniqueness checks (a trial id once per patient, a sequence number once per episode, a
  record number once per clinic, one current episode per patient) are made once for the whole
  file, with the services' messages, instead of one query per row: the rules are called without
  the values those queries need;
- the models' check constraints are left to PostgreSQL at insert: evaluating them from Python
  costs about 20 queries per trial, and each is mirrored by a field validator or `clean()`,
  which do run;
- rows are written with `bulk_create`, and the audit trail gets one `import` event per created
  patient, episode and trial with the content of the services' `create` events, so each record's
  history (and the stale-edit messages built from it) reads the same as for a form entry.

A record number is looked up in the active clinic only: a number that another clinic uses names
a new patient here, as record numbers are each clinic's own and another clinic's patients are
never revealed.
"""

import base64
import datetime
import io
import logging
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from records import scales
from records.access import PATIENT_NOT_FOUND_MESSAGE, Permission
from records.audit import audit_event, audit_events_write, created, snapshot
from records.history import scale_code_for_name
from records.models import (
    Adherence,
    Agent,
    AuditAction,
    AuditEvent,
    Clinic,
    Diagnosis,
    Episode,
    FunctionalImpairment,
    InformationSource,
    Patient,
    PersonalityDisorder,
    Placement,
    Presence,
    ReasonStopped,
    SeverityCategory,
    Sex,
    TreatmentTrial,
    TrialKind,
    TrialOutcome,
)
from records.models.agent import DRUG_CLASSES
from records.models.trial import AUGMENTS_ITSELF
from records.services.exchange import DIAGNOSIS_DIFFERS, agents_by_name, catalogued_agent
from staging import history as staging

from .changes import episode_changed
from .common import Errors, ObjectType, authorise
from .episodes import EPISODE_FIELDS, EpisodeInput, episode_rule_errors
from .patients import PATIENT_FIELDS, PatientInput, patient_apply, patient_rule_errors
from .trials import CODE_TAKEN, TRIAL_FIELDS, TrialInput, apply_input, trial_rule_errors

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .common import Actor

logger = logging.getLogger(__name__)

# 5,000 rows is what the import is measured to handle within 10 seconds.
MAX_ROWS = 5_000
# A signed, compressed file travels back in the confirm form: even an incompressible 3 MB file
# signs into about 4 MB, inside DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB). 5,000 rows take about 1 MB.
MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_COLUMNS = 100
# A preview can be confirmed for an hour; after that the file is uploaded again.
PREVIEW_MAX_AGE_SECONDS = 60 * 60
SIGNING_SALT = "records.csv_import.upload"
CSV_EXTENSION = ".csv"
# What browsers send for a .csv file (Windows with Excel installed: vnd.ms-excel).
CSV_CONTENT_TYPES = frozenset(
    {
        "",
        "text/csv",
        "text/plain",
        "text/comma-separated-values",
        "text/x-csv",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
    }
)
# Spreadsheet files renamed .csv: zip (xlsx, ods) and OLE2 (xls).
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
SHOWN_VALUE_LENGTH = 40
# What someone else can create between the check and the insert (new patients are not locked).
CONCURRENT_CONSTRAINTS = (
    "patient_record_number_unique_in_clinic",
    "episode_one_current_per_patient",
    "trial_code_unique_in_episode",
    "trial_seq_unique_in_episode",
)
WRITE_BATCH = 1_000

NOT_CSV_NAME = "Only .csv files can be imported. In Excel, use Save As → CSV UTF-8."
NOT_CSV_TYPE = "The file was sent as {content_type}, not as a CSV file."
FILE_TOO_LARGE = "The file is {size} MB; at most {limit} MB can be imported at once: split it."
WORKBOOK = "This is a spreadsheet workbook, not a CSV file. In Excel, use Save As → CSV UTF-8."
NOT_UTF8 = (
    "The file is not UTF-8 text (byte {position} cannot be read). "
    "In Excel, use Save As → CSV UTF-8."
)
NOT_TEXT = "The file contains a NUL character, so it is not a CSV text file."
EMPTY_FILE = "The file is empty."
NO_ROWS = "The file has no trial rows below the header row."
TOO_MANY_ROWS = "The file has more than {limit} rows below the header: split it into smaller files."
UNCLOSED_QUOTE = 'A quotation mark (") opened on row {row} is never closed.'
TOO_MANY_COLUMNS = (
    "Line {line} has more than {limit} cells: a file can have at most {limit} columns."
)
UNREADABLE = "The file could not be read as CSV. Save it from the spreadsheet as CSV UTF-8."
MISSING_COLUMN = "This required column is missing from the header row."
UNKNOWN_COLUMN = (
    "Unknown column: correct its name (see the list of columns) or delete it, so that no value "
    "is silently left out."
)
DUPLICATE_COLUMN = "This column appears twice in the header row."
UNNAMED_COLUMN = "This column has values but no name in the header row."
EXTRA_CELLS = "This row has more cells than the header row has columns."
REQUIRED = "Required."
REQUIRED_FOR_NEW_PATIENT = (
    "Required for a new patient: {number} is not a patient of {clinic} yet. If the patient is "
    "already recorded, check the record number."
)
BAD_DATE = "{value} is not a date: write dates as YYYY-MM-DD, for example 2024-09-01."
BAD_NUMBER = "{value} is not a number: use a point for decimals, for example 0.6."
BAD_WHOLE_NUMBER = "{value} is not a whole number."
BAD_YES_NO = "{value} is not yes or no."
UNKNOWN_CODE = "{value} is not one of: {codes}."
UNKNOWN_SCALE = "{value} is not a scale trdclinic knows: one of {names}."
CONFLICT = (
    "{value} differs from {first} on row {row} for the same patient: the patient's and the "
    "episode's columns must agree on every row (or be left blank after the first)."
)
DIFFERS_FROM_RECORD = (
    "{value} differs from the patient's record ({recorded}): check the record number. "
    "Patients are not changed by an import."
)
RECORD_NUMBER_CASE = (
    "{number} differs only in capital letters from {other}: use one spelling for one patient."
)
ONSET_DIFFERS = (
    "{number} already has a current episode with onset {onset}: give that onset to add trials "
    "to it, or end that episode in the patient's record first."
)
EPISODE_DIFFERS = (
    "{value} differs from the current episode's record ({recorded}): leave it blank to keep "
    "the record. Episodes are not changed by an import."
)
DUPLICATE_TRIAL_IN_FILE = "Trial id {code} is also on row {row} for the same patient."
AUGMENTS_UNKNOWN = "{code} names no trial of this patient, in this file or already recorded."
CHANGED_MEANWHILE = (
    "Someone else added or changed one of these patients while the file was being imported, "
    "so nothing was imported. Upload the file again to see why."
)
PREVIEW_INVALID = (
    "This import could not be verified, so nothing was imported: upload the file again."
)
PREVIEW_EXPIRED = (
    "This preview is more than an hour old, so nothing was imported: upload the file again."
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: the row (header = 1) and column it is in, and what."""

    message: str
    row: int | None = None
    column: str | None = None

    @property
    def where(self) -> str:
        """Return where the problem is, as 'row 5, column kind' (blank for the whole file)."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class CsvImportError(ValidationError):
    """A file that cannot be imported; `problems` lists every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        errors: dict[str, list[ValidationError]] = {}
        for problem in self.problems:
            key = problem.where or NON_FIELD_ERRORS
            errors.setdefault(key, []).append(ValidationError(problem.message, code="csv_import"))
        super().__init__(errors)


@dataclass(frozen=True)
class PatientSummary:
    """What an import does for one patient of the file."""

    record_number: str
    name: str
    new_patient: bool
    new_episode: bool
    onset_date: datetime.date | None
    trials: int
    first_row: int


@dataclass(frozen=True)
class ImportSummary:
    """What a file creates (preview) or created (import), patient by patient."""

    patients: tuple[PatientSummary, ...]

    @property
    def new_patients(self) -> int:
        return sum(patient.new_patient for patient in self.patients)

    @property
    def existing_patients(self) -> int:
        return len(self.patients) - self.new_patients

    @property
    def new_episodes(self) -> int:
        return sum(patient.new_episode for patient in self.patients)

    @property
    def existing_episodes(self) -> int:
        return len(self.patients) - self.new_episodes

    @property
    def trials(self) -> int:
        return sum(patient.trials for patient in self.patients)


# --- Reading cells -----------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell that cannot be read; the caller adds its row and column."""


Convert = Callable[[str], object]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"[+-]?(\d{1,12}(\.\d{0,12})?|\.\d{1,12})")
WHOLE_NUMBER = re.compile(r"[+-]?\d{1,12}")
YES_NO = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}


def _shortened(value: str) -> str:
    if len(value) > SHOWN_VALUE_LENGTH:
        return value[: SHOWN_VALUE_LENGTH - 1] + "…"
    return value


def _shown(value: str) -> str:
    """Return a cell's value quoted for a message, shortened when long."""
    return f"“{_shortened(value)}”"


def _code_key(value: str) -> str:
    # Case, spaces and hyphens never tell two codes apart: "Day treatment" is day_treatment.
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def _text(value: str) -> str:
    return value


def _date(value: str) -> datetime.date:
    if ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise _CellError(BAD_DATE.format(value=_shown(value)))


def _number(value: str) -> Decimal:
    if not NUMBER.fullmatch(value):
        raise _CellError(BAD_NUMBER.format(value=_shown(value)))
    return Decimal(value)


def _whole_number(value: str) -> int:
    if not WHOLE_NUMBER.fullmatch(value):
        raise _CellError(BAD_WHOLE_NUMBER.format(value=_shown(value)))
    return int(value)


def _yes_no(value: str) -> bool:
    answer = YES_NO.get(value.lower())
    if answer is None:
        raise _CellError(BAD_YES_NO.format(value=_shown(value)))
    return answer


def _choice(choices: type[models.TextChoices]) -> Convert:
    codes = {_code_key(code): code for code in choices.values}
    listed = ", ".join(choices.values)

    def convert(value: str) -> str:
        code = codes.get(_code_key(value))
        if code is None:
            raise _CellError(UNKNOWN_CODE.format(value=_shown(value), codes=listed))
        return code

    return convert


def _scale(value: str) -> str:
    code = scale_code_for_name(value)
    if code is None:
        names = ", ".join(definition.name for definition in scales.SCALES.values())
        raise _CellError(UNKNOWN_SCALE.format(value=_shown(value), names=names))
    return code.value


def _drug_class(value: str) -> str:
    # The catalogue's spelling when it is one of its classes, so staging counts it as that class.
    known = {drug_class.lower(): drug_class for drug_class in DRUG_CLASSES}
    return known.get(value.lower(), value)


# --- The columns -------------------------------------------------------------------------------

PATIENT_COLUMNS: dict[str, Convert] = {
    "record_number": _text,
    "family_name": _text,
    "given_name": _text,
    "date_of_birth": _date,
    "sex": _choice(Sex),
    "diagnosis": _choice(Diagnosis),
}
EPISODE_COLUMNS: dict[str, Convert] = {
    "episode_onset_date": _date,
    "baseline_scale": _scale,
    "baseline_score": _number,
    "baseline_category": _choice(SeverityCategory),
    "psychotic_features": _yes_no,
    "functional_impairment": _choice(FunctionalImpairment),
    "comorbid_anxiety": _choice(Presence),
    "personality_disorder": _choice(PersonalityDisorder),
    "psychosocial_stressors": _choice(Presence),
}
TRIAL_COLUMNS: dict[str, Convert] = {
    "trial_id": _text,
    "kind": _choice(TrialKind),
    "start_date": _date,
    "end_date": _date,
    "previous_episode": _yes_no,
    "agent": _text,
    "class": _drug_class,
    "dose_mg_per_day": _number,
    "dose_mg_per_session": _number,
    "serum_level_mmol_per_l": _number,
    "weeks": _number,
    "sessions": _whole_number,
    "electrode_placement": _choice(Placement),
    "therapy_type": _text,
    "therapist_trained": _yes_no,
    "adherence": _choice(Adherence),
    "percent_symptom_reduction": _number,
    "outcome_scale": _scale,
    "outcome_baseline_score": _number,
    "outcome_end_score": _number,
    "outcome": _choice(TrialOutcome),
    "reason_stopped": _choice(ReasonStopped),
    "augments_trial": _text,
    "information_source": _choice(InformationSource),
    "prospective": _yes_no,
    "dose_optimised": _yes_no,
    "duration_extended": _yes_no,
}
COLUMNS: dict[str, Convert] = {**PATIENT_COLUMNS, **EPISODE_COLUMNS, **TRIAL_COLUMNS}
COLUMN_ORDER = {name: position for position, name in enumerate(COLUMNS)}
REQUIRED_COLUMNS = ("record_number", "episode_onset_date", "trial_id", "kind", "start_date")
NEW_PATIENT_COLUMNS = ("family_name", "given_name", "date_of_birth", "diagnosis")
REQUIRED_TRIAL_COLUMNS = ("trial_id", "kind", "start_date")

EPISODE_COLUMN_FIELDS = {
    "episode_onset_date": "onset_date",
    "baseline_scale": "baseline_scale",
    "baseline_score": "baseline_score",
    "baseline_category": "baseline_severity_category",
    "psychotic_features": "psychotic_features",
    "functional_impairment": "functional_impairment",
    "comorbid_anxiety": "comorbid_anxiety",
    "personality_disorder": "personality_disorder",
    "psychosocial_stressors": "psychosocial_stressors",
}
# Model field → the column an error about it is shown in (None: the row as a whole).
EPISODE_FIELD_COLUMNS: dict[str, str | None] = {
    **{name: column for column, name in EPISODE_COLUMN_FIELDS.items()},
    # The one-current-episode rule speaks of the end date, which the file cannot give.
    "end_date": "episode_onset_date",
}
TRIAL_FIELD_COLUMNS: dict[str, str | None] = {
    **{name: name for name in TRIAL_COLUMNS if name in TRIAL_FIELDS},
    "code": "trial_id",
    "seq": "trial_id",
    "in_previous_episode": "previous_episode",
    "agent_name": "agent",
    "drug_class": "class",
    "augments": "augments_trial",
}
# Relations the import sets from records it has already found; the model need not look them up.
PATIENT_RELATIONS = ("clinic", "psychiatrist", "created_by", "updated_by")
EPISODE_RELATIONS = ("patient", "created_by", "updated_by")
TRIAL_RELATIONS = ("episode", "agent", "augments", "created_by", "updated_by", "override_by")


def _problem_order(problem: Problem) -> tuple[int, int, str]:
    column = COLUMN_ORDER.get(problem.column or "", len(COLUMN_ORDER))
    return (problem.row or 0, column, problem.message)


def _column_letter(index: int) -> str:
    """Return a spreadsheet's name for a column: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --- Reading the file --------------------------------------------------------------------------


class _Values(dict[str, object]):
    """Values read from cells, by column; a blank or unreadable cell has no entry."""

    def text(self, column: str) -> str:
        value = self.get(column)
        return value if isinstance(value, str) else ""

    def day(self, column: str) -> datetime.date | None:
        value = self.get(column)
        return value if isinstance(value, datetime.date) else None

    def number(self, column: str) -> Decimal | None:
        value = self.get(column)
        return value if isinstance(value, Decimal) else None

    def whole(self, column: str) -> int | None:
        value = self.get(column)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, column: str) -> bool | None:
        value = self.get(column)
        return value if isinstance(value, bool) else None


@dataclass
class _Row:
    """One trial row: its spreadsheet number, the values read, and the columns that failed."""

    number: int
    values: _Values = field(default_factory=_Values)
    faulted: set[str] = field(default_factory=set)


def check_upload(*, name: str, content_type: str, size: int) -> None:
    """Refuse an upload that is not a .csv file of an importable size."""
    problems = []
    if not name.lower().endswith(CSV_EXTENSION):
        problems.append(Problem(NOT_CSV_NAME))
    elif content_type.lower() not in CSV_CONTENT_TYPES:
        problems.append(Problem(NOT_CSV_TYPE.format(content_type=content_type)))
    if size > MAX_FILE_BYTES:
        problems.append(Problem(_too_large(size)))
    if problems:
        raise CsvImportError(problems)


def _too_large(size: int) -> str:
    megabyte = 1024 * 1024
    return FILE_TOO_LARGE.format(size=f"{size / megabyte:.1f}", limit=MAX_FILE_BYTES // megabyte)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise CsvImportError([Problem(_too_large(len(data)))])
    if data.startswith(WORKBOOK_SIGNATURES):
        raise CsvImportError([Problem(WORKBOOK)])
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvImportError([Problem(NOT_UTF8.format(position=error.start + 1))]) from None
    if "\x00" in text:
        raise CsvImportError([Problem(NOT_TEXT)])
    if not text.strip():
        raise CsvImportError([Problem(EMPTY_FILE)])
    return text


def _delimiter(text: str) -> str:
    """Return the delimiter that splits the header into the most known columns (, ; or tab)."""
    header = text.splitlines()[0]

    def known(separator: str) -> int:
        return sum(_code_key(cell) in COLUMNS for cell in header.split(separator))

    return max((",", ";", "\t"), key=known)


def _table(text: str) -> list[list[str]]:
    """Return every row of the file as text cells, blank rows kept so row numbers hold."""
    try:
        with warnings.catch_warnings():
            # pandas only warns when the first line is wider than the columns, and drops cells.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=_delimiter(text),
                header=None,
                names=list(range(MAX_COLUMNS)),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                nrows=MAX_ROWS + 2,
                engine="c",
            )
    except pd.errors.ParserWarning:
        raise CsvImportError(
            [Problem(TOO_MANY_COLUMNS.format(line=1, limit=MAX_COLUMNS))]
        ) from None
    except pd.errors.ParserError as error:
        raise CsvImportError([Problem(_parser_message(str(error)))]) from None
    except (ValueError, pd.errors.EmptyDataError):
        raise CsvImportError([Problem(UNREADABLE)]) from None
    rows: list[list[str]] = frame.fillna("").to_numpy(dtype=object).tolist()
    return rows


def _parser_message(error: str) -> str:
    unclosed = re.search(r"EOF inside string starting at row (\d+)", error)
    if unclosed:
        return UNCLOSED_QUOTE.format(row=int(unclosed.group(1)) + 1)
    wide = re.search(r"Expected \d+ fields in line (\d+)", error)
    if wide:
        return TOO_MANY_COLUMNS.format(line=wide.group(1), limit=MAX_COLUMNS)
    return UNREADABLE


def _header(cells: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str | None]:
    """Return each position's column name (None: ignored), refusing a header that is not right."""
    problems = []
    names: list[str | None] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        key = _code_key(cell)
        if not key:
            if any(row[index].strip() for row in rows):
                problems.append(Problem(UNNAMED_COLUMN, row=1, column=_column_letter(index)))
            names.append(None)
        elif key not in COLUMNS:
            problems.append(Problem(UNKNOWN_COLUMN, row=1, column=_shortened(cell.strip())))
            names.append(None)
        elif key in seen:
            problems.append(Problem(DUPLICATE_COLUMN, row=1, column=key))
            names.append(None)
        else:
            seen.add(key)
            names.append(key)
    problems.extend(
        Problem(MISSING_COLUMN, column=name) for name in REQUIRED_COLUMNS if name not in seen
    )
    if problems:
        raise CsvImportError(problems)
    return names


def _read(data: bytes) -> tuple[list[_Row], list[Problem]]:
    """Return the file's trial rows with their values read, and the problems of their cells."""
    table = _table(_decode(data))
    if len(table) > MAX_ROWS + 1:
        raise CsvImportError([Problem(TOO_MANY_ROWS.format(limit=f"{MAX_ROWS:,}"))])
    width = max((index + 1 for index, cell in enumerate(table[0]) if cell.strip()), default=0)
    names = _header(table[0][:width], table[1:])
    rows: list[_Row] = []
    problems: list[Problem] = []
    for number, cells in enumerate(table[1:], start=2):
        extra = next((index for index in range(width, len(cells)) if cells[index].strip()), None)
        if extra is not None:
            problems.append(Problem(EXTRA_CELLS, row=number, column=_column_letter(extra)))
        row = _Row(number=number)
        for name, cell in zip(names, cells, strict=False):
            value = cell.strip()
            if name is None or not value:
                continue
            try:
                row.values[name] = COLUMNS[name](value)
            except _CellError as error:
                row.faulted.add(name)
                problems.append(Problem(str(error), row=number, column=name))
        if row.values or row.faulted:
            rows.append(row)
    if not rows and not problems:
        raise CsvImportError([Problem(NO_ROWS)])
    return rows, problems


# --- Checking the rows against the records -----------------------------------------------------


@dataclass
class _Records:
    """What the clinic already holds for the patients of a file, read in a few queries."""

    patients: dict[str, Patient]
    spellings: dict[str, str]
    current_episodes: dict[int, Episode]
    trials: dict[int, dict[str, TreatmentTrial]]
    highest_seq: dict[int, int]
    agents: dict[str, Agent]


def _records(clinic: Clinic, numbers: Iterable[str], *, lock: bool) -> _Records:
    """Return the clinic's patients of these record numbers (any capitals) and their trials."""
    queryset = (
        Patient.objects.filter(clinic=clinic)
        .annotate(lowered=Lower("record_number"))
        .filter(lowered__in={number.lower() for number in numbers})
        .order_by("pk")
    )
    if lock:
        # In id order, as every writer under one patient takes its lock first (lock_patient).
        queryset = queryset.select_for_update(of=("self",))
    found = list(queryset)
    trials: dict[int, dict[str, TreatmentTrial]] = {}
    highest: dict[int, int] = {}
    recorded = TreatmentTrial.objects.filter(episode__patient__in=found).select_related(
        "agent", "episode"
    )
    for trial in recorded:
        trials.setdefault(trial.episode.patient_id, {})[trial.code] = trial
        highest[trial.episode_id] = max(highest.get(trial.episode_id, 0), trial.seq)
    return _Records(
        patients={patient.record_number: patient for patient in found},
        spellings={patient.record_number.lower(): patient.record_number for patient in found},
        current_episodes={
            episode.patient_id: episode
            for episode in Episode.objects.filter(patient__in=found, end_date__isnull=True)
        },
        trials=trials,
        highest_seq=highest,
        agents=agents_by_name(clinic.pk),
    )


def _model_errors(instance: models.Model, errors: Errors, exclude: Iterable[str]) -> Errors:
    """Add the model's own field and clean() errors to the rule errors (constraints: see above)."""
    # A field the rules already faulted is not validated twice, as in the services.
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _differs(value: object, other: object) -> bool:
    if isinstance(value, str) and isinstance(other, str):
        return value.strip().casefold() != other.strip().casefold()
    return value != other


def _display(value: object) -> str:
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@dataclass
class _Plan:
    """One patient of the file: the records to create or reuse, checked."""

    record_number: str
    rows: list[_Row]
    patient: Patient
    new_patient: bool
    episode: Episode
    new_episode: bool
    trials: list[TreatmentTrial] = field(default_factory=list)

    def summary(self) -> PatientSummary:
        patient = self.patient
        name = f"{patient.family_name}, {patient.given_name}" if patient.family_name else ""
        return PatientSummary(
            record_number=self.record_number,
            name=name,
            new_patient=self.new_patient,
            new_episode=self.new_episode,
            onset_date=self.episode.onset_date,
            trials=len(self.trials),
            first_row=self.rows[0].number,
        )


@dataclass
class _Merged:
    """One patient's patient and episode columns over its rows: values and where each came from."""

    values: _Values
    rows: dict[str, int]
    faulted: set[str]
    first_row: int


class _Checker:
    """Check every row of a file against the clinic's records, collecting every problem."""

    def __init__(self, *, clinic: Clinic, user: "User", records: _Records) -> None:
        self.clinic = clinic
        self.user = user
        self.records = records
        self.problems: list[Problem] = []

    def add(self, message: str, row: int, column: str | None) -> None:
        self.problems.append(Problem(message, row=row, column=column))

    def add_errors(
        self,
        errors: Errors,
        columns: Mapping[str, str | None],
        *,
        row: int,
        rows: Mapping[str, int],
        faulted: set[str],
    ) -> None:
        """Add a service's field errors, each at the column (and row) its value came from."""
        for name, messages in errors.items():
            column = None if name == NON_FIELD_ERRORS else columns.get(name)
            if column in faulted:
                # The unreadable cell is reported already; what follows from it is not news.
                continue
            for error in messages:
                for message in error.messages:
                    self.add(message, rows.get(column or "", row), column)

    def merge(self, rows: Sequence[_Row]) -> _Merged:
        """Return the patient's and episode's values; a value unlike an earlier row's is refused."""
        merged = _Merged(values=_Values(), rows={}, faulted=set(), first_row=rows[0].number)
        for column in (*PATIENT_COLUMNS, *EPISODE_COLUMNS):
            for row in rows:
                if column in row.faulted:
                    merged.faulted.add(column)
                value = row.values.get(column)
                if value is None:
                    continue
                if column not in merged.values:
                    merged.values[column], merged.rows[column] = value, row.number
                elif _differs(value, merged.values[column]):
                    message = CONFLICT.format(
                        value=_shown(_display(value)),
                        first=_shown(_display(merged.values[column])),
                        row=merged.rows[column],
                    )
                    self.add(message, row.number, column)
        return merged

    def plan(self, record_number: str, rows: list[_Row]) -> _Plan:
        """Return the patient's plan: who, which episode, and every trial, checked."""
        merged = self.merge(rows)
        existing = self.records.patients.get(record_number)
        if existing is not None:
            self.compare_patient(existing, merged)
        patient = existing or self.new_patient(record_number, merged)
        if "episode_onset_date" not in merged.values.keys() | merged.faulted:
            self.add(REQUIRED, merged.first_row, "episode_onset_date")
        episode, new_episode = self.episode(patient, existing is not None, merged)
        plan = _Plan(
            record_number=record_number,
            rows=rows,
            patient=patient,
            new_patient=existing is None,
            episode=episode,
            new_episode=new_episode,
        )
        self.check_trials(plan)
        return plan

    def compare_patient(self, patient: Patient, merged: _Merged) -> None:
        """Refuse values that disagree with an existing patient's record: a wrong record number."""
        for column in PATIENT_COLUMNS:
            if column == "record_number" or column not in merged.values:
                continue
            value, recorded = merged.values[column], getattr(patient, column)
            if not _differs(value, recorded):
                continue
            if column == "diagnosis":
                message = DIAGNOSIS_DIFFERS.format(history=value, patient=recorded)
            else:
                message = DIFFERS_FROM_RECORD.format(
                    value=_shown(_display(value)), recorded=_display(recorded)
                )
            self.add(message, merged.rows[column], column)

    def new_patient(self, record_number: str, merged: _Merged) -> Patient:
        """Return the new patient, checked by the patient rules and the model."""
        patient = Patient(clinic=self.clinic, created_by=self.user, updated_by=self.user)
        patient.record_number = record_number
        values = merged.values
        birth = values.day("date_of_birth")
        missing = [name for name in NEW_PATIENT_COLUMNS if name not in values]
        for name in missing:
            if name not in merged.faulted:
                message = REQUIRED_FOR_NEW_PATIENT.format(
                    number=record_number, clinic=self.clinic.name
                )
                self.add(message, merged.first_row, name)
        if missing or birth is None:
            return patient
        data = PatientInput(
            record_number=record_number,
            family_name=values.text("family_name"),
            given_name=values.text("given_name"),
            date_of_birth=birth,
            sex=values.text("sex") or Sex.UNKNOWN,
            diagnosis=values.text("diagnosis"),
        )
        patient_apply(patient, data)
        # The record number was looked up for the whole file (in any capitals): the rules see
        # the patient without it, instead of with a query per patient.
        patient.record_number = ""
        errors = patient_rule_errors(patient)
        patient.record_number = record_number
        _model_errors(patient, errors, [*merged.faulted, *PATIENT_RELATIONS])
        self.add_errors(
            errors,
            {name: name for name in PATIENT_COLUMNS},
            row=merged.first_row,
            rows=merged.rows,
            faulted=merged.faulted,
        )
        return patient

    def episode(self, patient: Patient, recorded: bool, merged: _Merged) -> tuple[Episode, bool]:
        """Return the current episode to add the trials to, and whether it is new."""
        values = merged.values
        onset = values.day("episode_onset_date")
        current = self.records.current_episodes.get(patient.pk) if recorded else None
        if current is not None and onset in (None, current.onset_date):
            self.compare_episode(current, merged)
            return current, False
        episode = Episode(patient=patient, created_by=self.user, updated_by=self.user)
        if onset is None:
            return episode, True
        data = EpisodeInput(
            onset_date=onset,
            psychotic_features=bool(values.flag("psychotic_features")),
            baseline_severity_category=values.text("baseline_category"),
            baseline_scale=values.text("baseline_scale"),
            baseline_score=values.number("baseline_score"),
            functional_impairment=values.text("functional_impairment"),
            comorbid_anxiety=values.text("comorbid_anxiety"),
            personality_disorder=values.text("personality_disorder"),
            psychosocial_stressors=values.text("psychosocial_stressors"),
        )
        for name in EPISODE_FIELDS:
            setattr(episode, name, getattr(data, name))
        if current is not None:
            # The episode is refused; its trials are still checked against the file's onset.
            message = ONSET_DIFFERS.format(
                number=patient.record_number, onset=current.onset_date.isoformat()
            )
            self.add(message, merged.rows["episode_onset_date"], "episode_onset_date")
            return episode, True
        faulted = [
            EPISODE_COLUMN_FIELDS[column] for column in merged.faulted & EPISODE_COLUMNS.keys()
        ]
        # The patient has no current episode (read for the whole file, under its lock): the rules
        # see this one as ending at its onset, which skips their query for another current
        # episode; the end date they then also check is the onset, already checked.
        episode.end_date = episode.onset_date
        errors = episode_rule_errors(episode)
        errors.pop("end_date", None)
        episode.end_date = None
        _model_errors(episode, errors, [*faulted, *EPISODE_RELATIONS])
        self.add_errors(
            errors,
            EPISODE_FIELD_COLUMNS,
            row=merged.first_row,
            rows=merged.rows,
            faulted=merged.faulted,
        )
        return episode, True

    def compare_episode(self, episode: Episode, merged: _Merged) -> None:
        """Refuse episode values that disagree with the current episode's record."""
        for column, name in EPISODE_COLUMN_FIELDS.items():
            if column not in merged.values:
                continue
            value, recorded = merged.values[column], getattr(episode, name)
            if _differs(value, recorded):
                message = EPISODE_DIFFERS.format(
                    value=_shown(_display(value)), recorded=_display(recorded)
                )
                self.add(message, merged.rows[column], column)

    def check_trials(self, plan: _Plan) -> None:
        """Build and check every trial of the patient; augments may name any of its trials."""
        episode, patient = plan.episode, plan.patient
        recorded = {} if plan.new_patient else self.records.trials.get(patient.pk, {})
        seq = self.records.highest_seq.get(episode.pk, 0) if episode.pk else 0
        by_code: dict[str, TreatmentTrial] = {}
        code_rows: dict[str, int] = {}
        built: list[tuple[_Row, TreatmentTrial]] = []
        for row in plan.rows:
            missing = [name for name in REQUIRED_TRIAL_COLUMNS if name not in row.values]
            for name in missing:
                if name not in row.faulted:
                    self.add(REQUIRED, row.number, name)
            start = row.values.day("start_date")
            if missing or start is None:
                # Without its id, kind or start, a trial's other rules cannot be judged.
                continue
            seq += 1
            trial = self.trial(row, episode, seq, start)
            if trial.code in code_rows:
                message = DUPLICATE_TRIAL_IN_FILE.format(code=trial.code, row=code_rows[trial.code])
                self.add(message, row.number, "trial_id")
            elif trial.code in recorded:
                self.add(CODE_TAKEN.format(code=trial.code), row.number, "trial_id")
            else:
                code_rows[trial.code] = row.number
                by_code[trial.code] = trial
            built.append((row, trial))
        for row, trial in built:
            self.link(row, trial, by_code, recorded)
            self.check_trial(row, trial, episode, patient)
        plan.trials = [trial for _, trial in built]

    def trial(self, row: _Row, episode: Episode, seq: int, start: datetime.date) -> TreatmentTrial:
        """Return the row's trial, its values applied as the services apply a form's."""
        values = row.values
        named = values.text("agent")
        agent = catalogued_agent(named, self.records.agents)
        kind = values.text("kind")
        previous = values.flag("previous_episode")
        if previous is None and episode.onset_date is not None:
            # Left blank, as in the JSON format (staging 1.3.1): before the onset is earlier.
            staged = staging.Trial(id="", seq=seq, start_date=start, kind=staging.TrialKind(kind))
            previous = not staging.is_current(staged, episode.onset_date)
        data = TrialInput(
            kind=kind,
            start_date=start,
            in_previous_episode=bool(previous),
            agent=agent,
            # A catalogued agent takes the catalogue's class (staging-models.md 12.5).
            agent_name="" if agent is not None else named,
            drug_class="" if agent is not None else values.text("class"),
            dose_mg_per_day=values.number("dose_mg_per_day"),
            dose_mg_per_session=values.number("dose_mg_per_session"),
            serum_level_mmol_per_l=values.number("serum_level_mmol_per_l"),
            end_date=values.day("end_date"),
            weeks=values.number("weeks"),
            sessions=values.whole("sessions"),
            electrode_placement=values.text("electrode_placement"),
            therapy_type=values.text("therapy_type"),
            therapist_trained=values.flag("therapist_trained"),
            adherence=values.text("adherence"),
            percent_symptom_reduction=values.number("percent_symptom_reduction"),
            outcome_scale=values.text("outcome_scale"),
            outcome_baseline_score=values.number("outcome_baseline_score"),
            outcome_end_score=values.number("outcome_end_score"),
            outcome=values.text("outcome"),
            reason_stopped=values.text("reason_stopped"),
            information_source=values.text("information_source"),
            prospective=values.flag("prospective"),
            dose_optimised=values.flag("dose_optimised"),
            duration_extended=values.flag("duration_extended"),
        )
        trial = TreatmentTrial(episode=episode, created_by=self.user, updated_by=self.user)
        apply_input(trial, data)
        trial.code = values.text("trial_id")
        trial.seq = seq
        return trial

    def link(
        self,
        row: _Row,
        trial: TreatmentTrial,
        by_code: Mapping[str, TreatmentTrial],
        recorded: Mapping[str, TreatmentTrial],
    ) -> None:
        """Point the trial at the trial it was added to: in the file, or already recorded."""
        code = row.values.text("augments_trial")
        if not code:
            return
        if code == trial.code:
            self.add(AUGMENTS_ITSELF, row.number, "augments_trial")
            return
        target = by_code.get(code) or recorded.get(code)
        if target is None:
            self.add(AUGMENTS_UNKNOWN.format(code=code), row.number, "augments_trial")
            return
        trial.augments = target

    def check_trial(
        self, row: _Row, trial: TreatmentTrial, episode: Episode, patient: Patient
    ) -> None:
        """Run the trial rules and the model's validation, as `trial_record` does."""
        # The rules see the trial without its id and sequence, which were checked for the whole
        # file above instead of with a query per row; the model then checks their shape.
        code, seq = trial.code, trial.seq
        trial.code, trial.seq = "", None  # type: ignore[assignment]
        errors = trial_rule_errors(trial, episode=episode, patient=patient)
        trial.code, trial.seq = code, seq
        faulted = [name for name, column in TRIAL_FIELD_COLUMNS.items() if column in row.faulted]
        _model_errors(trial, errors, [*faulted, *TRIAL_RELATIONS])
        self.add_errors(errors, TRIAL_FIELD_COLUMNS, row=row.number, rows={}, faulted=row.faulted)


def _group(rows: Sequence[_Row], checker: _Checker) -> dict[str, list[_Row]]:
    """Return the rows by record number, in file order; refuse a number spelt two ways."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        number = row.values.text("record_number")
        if number:
            groups.setdefault(number, []).append(row)
        elif "record_number" not in row.faulted:
            checker.add(REQUIRED, row.number, "record_number")
    spellings = dict(checker.records.spellings)
    for number in list(groups):
        other = spellings.setdefault(number.lower(), number)
        if other != number:
            # Two spellings of one record number would make two patients of one person.
            message = RECORD_NUMBER_CASE.format(number=number, other=other)
            checker.add(message, groups.pop(number)[0].number, "record_number")
    return groups


def _check(
    data: bytes, *, clinic: Clinic, user: "User", lock: bool
) -> tuple[list[_Plan], list[Problem]]:
    """Read and check the whole file; return each patient's plan and every problem found."""
    rows, problems = _read(data)
    numbers = {row.values.text("record_number") for row in rows} - {""}
    checker = _Checker(clinic=clinic, user=user, records=_records(clinic, numbers, lock=lock))
    groups = _group(rows, checker)
    plans = [checker.plan(number, group) for number, group in groups.items()]
    return plans, [*problems, *checker.problems]


# --- Writing -----------------------------------------------------------------------------------


def _audit_event(
    user: "User",
    instance: Patient | Episode | TreatmentTrial,
    object_type: ObjectType,
    patient: Patient,
    fields: Sequence[str],
    now: datetime.datetime,
) -> AuditEvent:
    """Return the `import` audit event of a created record."""
    return audit_event(
        actor=user,
        action=AuditAction.IMPORT,
        object_type=object_type,
        object_id=instance.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes=created(snapshot(instance, fields)),
        object_version=instance.version,
        at=now,
    )


def _write(plans: Sequence[_Plan], user: "User") -> None:
    """Create the new patients, episodes and trials of the plans, with their audit events."""
    Patient.objects.bulk_create([plan.patient for plan in plans if plan.new_patient])
    Episode.objects.bulk_create([plan.episode for plan in plans if plan.new_episode])
    trials = [trial for plan in plans for trial in plan.trials]
    # A trial added to another of the file is linked once that one has its id.
    links = [
        (trial, trial.augments) for trial in trials if trial.augments and not trial.augments.pk
    ]
    for trial, _ in links:
        trial.augments = None
    TreatmentTrial.objects.bulk_create(trials, batch_size=WRITE_BATCH)
    for trial, target in links:
        trial.augments = target
    TreatmentTrial.objects.bulk_update(
        [trial for trial, _ in links], ["augments"], batch_size=WRITE_BATCH
    )
    now = timezone.now()
    events: list[AuditEvent] = []
    for plan in plans:
        patient = plan.patient
        if plan.new_patient:
            events.append(
                _audit_event(user, patient, ObjectType.PATIENT, patient, PATIENT_FIELDS, now)
            )
        if plan.new_episode:
            events.append(
                _audit_event(user, plan.episode, ObjectType.EPISODE, patient, EPISODE_FIELDS, now)
            )
        events.extend(
            _audit_event(user, trial, ObjectType.TRIAL, patient, TRIAL_FIELDS, now)
            for trial in plan.trials
        )
    audit_events_write(events)


# --- The services ------------------------------------------------------------------------------


def _acting(acting_user: "Actor", clinic: Clinic) -> "User":
    return authorise(
        acting_user, clinic.pk, Permission.EDIT_CLINICAL_DATA, not_found=PATIENT_NOT_FOUND_MESSAGE
    ).user


def csv_import_preview(*, acting_user: "Actor", clinic: Clinic, data: bytes) -> ImportSummary:
    """Check a CSV file of trial histories and return what importing it would create."""
    user = _acting(acting_user, clinic)
    plans, problems = _check(data, clinic=clinic, user=user, lock=False)
    if problems:
        raise CsvImportError(problems)
    return ImportSummary(patients=tuple(plan.summary() for plan in plans))


def csv_import(*, acting_user: "Actor", clinic: Clinic, data: bytes) -> ImportSummary:
    """Import every row of a CSV file of trial histories in one transaction, or nothing."""
    try:
        with transaction.atomic():
            user = _acting(acting_user, clinic)
            plans, problems = _check(data, clinic=clinic, user=user, lock=True)
            if problems:
                raise CsvImportError(problems)
            _write(plans, user)
            episode_changed(episode_ids=[plan.episode.pk for plan in plans], acting_user=user)
    except IntegrityError as error:
        if not any(name in str(error) for name in CONCURRENT_CONSTRAINTS):
            raise
        logger.warning("csv import refused: concurrent change in clinic %s", clinic.pk)
        raise CsvImportError([Problem(CHANGED_MEANWHILE)]) from None
    summary = ImportSummary(patients=tuple(plan.summary() for plan in plans))
    logger.info(
        "csv import: clinic %s, user %s, %d patients (%d new), %d trials",
        clinic.pk,
        user.pk,
        len(summary.patients),
        summary.new_patients,
        summary.trials,
    )
    return summary


def sign_upload(*, data: bytes, clinic_id: int, user_id: int) -> str:
    """Return the file signed for its confirmation: by this user, in this clinic, unaltered."""
    packed = base64.urlsafe_b64encode(zlib.compress(data)).decode("ascii")
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    return signer.sign(f"{clinic_id}.{user_id}.{packed}")


def unsign_upload(token: str, *, clinic_id: int, user_id: int) -> bytes:
    """Return the file of a signed confirmation; refuse an altered, foreign or expired one."""
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    try:
        value = signer.unsign(token, max_age=PREVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise CsvImportError([Problem(PREVIEW_EXPIRED)]) from None
    except signing.BadSignature:
        raise CsvImportError([Problem(PREVIEW_INVALID)]) from None
    clinic, user, packed = value.split(".", 2)
    if (clinic, user) != (str(clinic_id), str(user_id)):
        raise CsvImportError([Problem(PREVIEW_INVALID)])
    return zlib.decompress(base64.urlsafe_b64decode(packed))
