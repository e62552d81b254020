"""Reading a CSV file of treatment histories: the upload, its text, its cells (no query)."""

import datetime
import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from records import scales
from records.history import scale_code_for_name
from records.models import (
    Adherence,
    Diagnosis,
    FunctionalImpairment,
    InformationSource,
    PersonalityDisorder,
    Placement,
    Presence,
    ReasonStopped,
    SeverityCategory,
    Sex,
    TrialKind,
    TrialOutcome,
)
from records.models.agent import DRUG_CLASSES
from records.services.trials import TRIAL_FIELDS

# 5,000 rows is what the import is measured to handle within 10 seconds.
MAX_ROWS = 5_000
# A signed, compressed file travels back in the confirm form: even an incompressible 3 MB file
# signs into about 4 MB, inside DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB). 5,000 rows take about 1 MB.
MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_COLUMNS = 100
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
    "weeks_reason": _text,
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
