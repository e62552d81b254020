"""Medication records read into proposed treatment courses (docs/interoperability.md).

Pure Python without the database: a FHIR Bundle of MedicationStatement, MedicationRequest and
MedicationDispense resources, or a CSV of dispensings, becomes a list of dispensings; those are
joined into proposed courses per ingredient. Nothing here saves anything: the clinician reviews
the proposals and the records service creates the trials they confirm.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticValidationError

from records import codes
from records.brands import generic_for_brand
from records.dose_steps import DAYS_PER_WEEK, StepEntry
from staging.catalogue import AGENTS, Role, lookup_agent

# A proportion of days covered of 80 % or more is good adherence (scales-and-checklist.md A5:
# "proportion of days covered <80 %" marks poor adherence; CANMAT 2023 Table 7.1).
GOOD_ADHERENCE_PDC = Decimal("0.80")
# An antidepressant taken beside another for longer than a cross-taper (up to a month, as a
# month's supply) is a combination (issue 19).
COMBINATION_OVERLAP_DAYS = 30
# 2 MB holds about 20,000 CSV rows: far beyond one patient's dispensing history.
MAX_UPLOAD_BYTES = 2_000_000

TRIAL_KIND_SYSTEM = "https://trdclinic.example/fhir/CodeSystem/trial-kind"
TRIAL_ID_SYSTEM = "https://trdclinic.example/fhir/trial-id"
MEDICATION_TYPES = frozenset({"MedicationStatement", "MedicationRequest", "MedicationDispense"})
# Resources that give the medication records their context; read past, never imported.
CONTEXT_TYPES = frozenset({"Patient", "Condition", "Medication", "Practitioner", "Organization"})
UNKNOWN_GROUP = "unknown:"
CSV_COLUMNS = ("date", "drug", "strength", "quantity", "days_supply")

NOT_JSON = (
    "The file is neither a FHIR bundle (JSON) nor a CSV of dispensings with the columns {columns}."
)
NOT_A_BUNDLE = 'The JSON is not a FHIR Bundle: its resourceType must be "Bundle".'
NO_ENTRIES = "The bundle holds no entries."
UNKNOWN_TYPE = (
    "{kind} is not a medication record: upload MedicationStatement, MedicationRequest or "
    "MedicationDispense resources."
)
NOT_VALID_FHIR = "Not valid FHIR: {message}"
OUTSIDE_REFERENCE = "Refers to {reference}, which is not in the bundle."
NO_DATE = "Give the date the medicine was started, prescribed or dispensed."
BAD_DATE = "Not a date: write it as YYYY-MM-DD."
FUTURE_DATE = "The date {day} is in the future."
END_BEFORE_START = "The end ({end}) is before the start ({start})."
BAD_NUMBER = "Not a number: {value!r}."
NEGATIVE = "Cannot be negative or zero."
NO_DRUG = "Name the medicine (a name, brand, ATC or RxNorm code)."
NOT_CSV = "The file is not a readable CSV: {problem}."
MISSING_COLUMNS = "The CSV lacks the columns {columns}: its first row must name {expected}."
TOO_LARGE = "The file is larger than {limit} MB: split it and upload one patient's records."
NO_RECORDS = "The file holds no medication records."
UNSUPPORTED_UNIT = "The dose unit {unit!r} is not mg: give doses in mg."


class ImportProblemError(Exception):
    """The upload cannot be read: every problem, each naming where and which field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.where} {p.field}: {p.message}" for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Problem:
    """One problem of the upload: where (entry index and resource id, or CSV row), field, why."""

    where: str
    field: str
    message: str


@dataclass(frozen=True)
class Dispensing:
    """One medication record: a dispensing, a prescription or a statement of a course."""

    source: str
    name: str
    molecule: str | None
    day: datetime.date
    dose_mg_per_day: Decimal | None = None
    strength_mg: Decimal | None = None
    quantity: Decimal | None = None
    days_supply: int | None = None
    # Statements only: a course as the record system already holds it.
    end: datetime.date | None = None
    weeks: Decimal | None = None
    kind: str = ""
    code: str = ""
    part_of: str = ""
    url: str = ""
    statement: bool = False
    # Statements only: the dose steps (a Dosage per step, in order), when there are two or more.
    steps: tuple[StepEntry, ...] = ()

    @property
    def daily_dose(self) -> Decimal | None:
        """Return the dose per day: the instruction's, else strength × quantity / days' supply."""
        if self.dose_mg_per_day is not None:
            return self.dose_mg_per_day
        if self.strength_mg and self.quantity and self.days_supply:
            return (self.strength_mg * self.quantity / self.days_supply).quantize(Decimal("0.01"))
        return None

    @property
    def supply_end(self) -> datetime.date:
        """Return the last day this record covers."""
        if self.end is not None:
            return self.end
        return self.day + datetime.timedelta(days=max((self.days_supply or 1) - 1, 0))


@dataclass(frozen=True)
class ProposedCourse:
    """A course proposed from medication records, for the clinician to accept, edit or drop."""

    key: str
    molecule: str
    name: str
    kind: str
    start: datetime.date
    end: datetime.date | None
    dose_mg_per_day: Decimal | None
    weeks: Decimal | None
    pdc: Decimal | None
    adherence: str
    # Two or more steps when the dose changed during the course (then no single dose or weeks),
    # else the one dose held.
    steps: tuple[StepEntry, ...]
    sources: tuple[str, ...]
    augments: str = ""
    code: str = ""
    url: str = ""
    from_statement: bool = False

    @property
    def known(self) -> bool:
        """Return whether the catalogue holds the medicine (else the clinician classifies it)."""
        return bool(self.molecule)

    @property
    def stepped(self) -> bool:
        """Return whether the dose changed during the course (saved as dose steps)."""
        return len(self.steps) > 1

    @property
    def pdc_percent(self) -> int | None:
        """Return the proportion of days covered as a whole percent, for display."""
        return None if self.pdc is None else int((self.pdc * 100).to_integral_value())


@dataclass(frozen=True)
class UnknownDrug:
    """A medicine the catalogue does not hold: listed for the clinician, never guessed."""

    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    """What an upload proposes: courses, unknown medicines, and what the records leave out."""

    courses: tuple[ProposedCourse, ...]
    unknown: tuple[UnknownDrug, ...] = field(default=())


def molecule_for(name: str) -> str | None:
    """Return the catalogued molecule a drug name, brand, ATC or RxNorm code names, or None."""
    text = " ".join(name.split())
    if not text:
        return None
    if codes.atc_valid(text.upper()):
        return codes.molecule_for_code(codes.ATC_SYSTEM, text.upper())
    if text.isdigit():
        return codes.molecule_for_code(codes.RXNORM_SYSTEM, text)
    words = text.lower().split()
    # "Sertraline 50 mg tablets": the name is the words before the strength.
    for count in range(len(words), 0, -1):
        candidate = " ".join(words[:count])
        agent = lookup_agent(candidate) or lookup_agent(generic_for_brand(candidate) or "")
        if agent is not None:
            return agent.molecule or agent.name
    return None


def _decimal(value: object, problems: list[Problem], where: str, name: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower().removesuffix("mg").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        problems.append(Problem(where, name, BAD_NUMBER.format(value=str(value)[:40])))
        return None
    if not number.is_finite() or number <= 0:
        problems.append(Problem(where, name, NEGATIVE))
        return None
    if number > Decimal(10) ** 7:
        problems.append(Problem(where, name, BAD_NUMBER.format(value=str(value)[:40])))
        return None
    return number


def _date(
    value: object, problems: list[Problem], where: str, name: str, today: datetime.date
) -> datetime.date | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(where, name, NO_DATE))
        return None
    try:
        day = datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        problems.append(Problem(where, name, BAD_DATE))
        return None
    if day > today:
        problems.append(Problem(where, name, FUTURE_DATE.format(day=day.isoformat())))
        return None
    return day


def parse_csv(text: str, *, today: datetime.date) -> list[Dispensing]:
    """Read a CSV of dispensings (date, drug, strength, quantity, days_supply), all or nothing."""
    try:
        return _parse_csv(text, today=today)
    except csv.Error as error:
        raise ImportProblemError([Problem("The file", "", NOT_CSV.format(problem=error))]) from None


def _parse_csv(text: str, *, today: datetime.date) -> list[Dispensing]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        message = MISSING_COLUMNS.format(
            columns=", ".join(missing), expected=", ".join(CSV_COLUMNS)
        )
        raise ImportProblemError([Problem("Row 1", "", message)])
    problems: list[Problem] = []
    records: list[Dispensing] = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "") for key, value in raw.items() if key}
        if not any(str(value).strip() for value in row.values()):
            continue
        where = f"Row {number}"
        before = len(problems)
        day = _date(row.get("date"), problems, where, "date", today)
        name = " ".join(str(row.get("drug", "")).split())
        if not name:
            problems.append(Problem(where, "drug", NO_DRUG))
        strength = _decimal(row.get("strength"), problems, where, "strength")
        quantity = _decimal(row.get("quantity"), problems, where, "quantity")
        supply = _decimal(row.get("days_supply"), problems, where, "days_supply")
        if supply is not None and supply != supply.to_integral_value():
            problems.append(Problem(where, "days_supply", BAD_NUMBER.format(value=str(supply))))
        if len(problems) > before or day is None:
            continue
        records.append(
            Dispensing(
                source=where,
                name=name,
                molecule=molecule_for(name),
                day=day,
                strength_mg=strength,
                quantity=quantity,
                days_supply=int(supply) if supply is not None else None,
            )
        )
    if problems:
        raise ImportProblemError(problems)
    if not records:
        raise ImportProblemError([Problem("The file", "", NO_RECORDS)])
    return records


def _model_problems(kind: str, resource: Mapping[str, Any], where: str) -> list[Problem]:
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except PydanticValidationError as error:
        return [
            Problem(
                where,
                ".".join(str(part) for part in detail["loc"]) or "resource",
                NOT_VALID_FHIR.format(message=detail["msg"]),
            )
            for detail in error.errors()[:5]
        ]
    except (TypeError, ValueError) as error:
        return [Problem(where, "resource", NOT_VALID_FHIR.format(message=str(error)[:200]))]
    return []


def _references(value: object) -> Iterable[tuple[str, str]]:
    """Yield (path, reference) for every reference inside a resource."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield key, item
            else:
                for path, reference in _references(item):
                    yield f"{key}.{path}", reference
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for path, reference in _references(item):
                yield f"[{index}].{path}".replace(".[", "["), reference


def _concept_name(concept: Mapping[str, Any]) -> tuple[str, str | None]:
    """Return a medication concept's name and the catalogued molecule its codes or text name."""
    codings = concept.get("coding") or []
    text = str(concept.get("text") or "")
    for coding in codings:
        system, code = coding.get("system"), str(coding.get("code") or "")
        if system in (codes.ATC_SYSTEM, codes.RXNORM_SYSTEM) and code:
            molecule = codes.molecule_for_code(system, code)
            if molecule is not None:
                return text or molecule, molecule
    names = [text] + [str(c.get("display") or "") for c in codings]
    for name in names:
        if name and (molecule := molecule_for(name)) is not None:
            return name, molecule
    return next((name for name in names if name), ""), None


def _daily_dose(
    dosage: Mapping[str, Any], problems: list[Problem], where: str, name: str
) -> Decimal | None:
    """Return one Dosage's dose per day in mg; None when it gives none (or a problem)."""
    for rate in dosage.get("doseAndRate") or []:
        quantity = rate.get("doseQuantity")
        if not quantity:
            continue
        unit = str(quantity.get("code") or quantity.get("unit") or "mg")
        if unit.lower() != "mg":
            problems.append(
                Problem(where, f"{name}.doseQuantity.unit", UNSUPPORTED_UNIT.format(unit=unit))
            )
            return None
        dose = _decimal(quantity.get("value"), problems, where, f"{name}.doseQuantity.value")
        if dose is None:
            return None
        repeat = (dosage.get("timing") or {}).get("repeat") or {}
        frequency = Decimal(str(repeat.get("frequency") or 1))
        period = Decimal(str(repeat.get("period") or 1))
        per_day = {"d": Decimal(1), "wk": Decimal(7), "h": Decimal(1) / 24}.get(
            str(repeat.get("periodUnit") or "d"), Decimal(1)
        )
        return (dose * frequency / (period * per_day)).normalize()
    return None


def _dose_per_day(
    dosages: list[Mapping[str, Any]], problems: list[Problem], where: str, name: str
) -> Decimal | None:
    for index, dosage in enumerate(dosages):
        dose = _daily_dose(dosage, problems, where, f"{name}[{index}]")
        if dose is not None:
            return dose
    return None


def _statement_steps(
    dosages: list[Mapping[str, Any]],
    start: datetime.date,
    problems: list[Problem],
    where: str,
) -> tuple[StepEntry, ...]:
    """Return a statement's dose steps: one per Dosage with a dose, in `sequence` order.

    A step's weeks are its Dosage's duration; a step without one starts where the weeks of the
    steps before it end, so its weeks come from the dates (the first starts with the course).
    """
    ordered = sorted(enumerate(dosages), key=lambda pair: (pair[1].get("sequence") or 0, pair[0]))
    steps: list[StepEntry] = []
    elapsed: Decimal | None = Decimal(0)
    for index, dosage in ordered:
        dose = _daily_dose(dosage, problems, where, f"dosage[{index}]")
        if dose is None:
            continue
        weeks = _weeks([dosage])
        step_start = None
        if weeks is None and elapsed is not None:
            step_start = start + datetime.timedelta(days=round(elapsed * DAYS_PER_WEEK))
        steps.append(StepEntry(dose_mg_per_day=dose, start_date=step_start, weeks=weeks))
        elapsed = None if weeks is None or elapsed is None else elapsed + weeks
    return tuple(steps) if len(steps) > 1 else ()


def _weeks(dosages: list[Mapping[str, Any]]) -> Decimal | None:
    for dosage in dosages:
        bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsDuration") or {}
        if (
            bounds.get("value") is not None
            and str(bounds.get("code") or bounds.get("unit")) == "wk"
        ):
            try:
                return Decimal(str(bounds["value"]))
            except InvalidOperation:
                return None
    return None


def _category(resource: Mapping[str, Any]) -> str:
    categories = resource.get("category") or []
    if isinstance(categories, Mapping):
        categories = [categories]
    for category in categories:
        for coding in category.get("coding") or []:
            if coding.get("system") == TRIAL_KIND_SYSTEM:
                return str(coding.get("code") or "")
    return ""


def _record(
    kind: str,
    resource: Mapping[str, Any],
    where: str,
    url: str,
    problems: list[Problem],
    today: datetime.date,
) -> Dispensing | None:
    before = len(problems)
    concept = resource.get("medicationCodeableConcept") or {}
    name, molecule = _concept_name(concept)
    if not name and not concept:
        problems.append(Problem(where, "medicationCodeableConcept", NO_DRUG))
    end = None
    weeks = None
    quantity = supply = None
    steps: tuple[StepEntry, ...] = ()
    if kind == "MedicationStatement":
        dosages = resource.get("dosage") or []
        period = resource.get("effectivePeriod") or {}
        start_text = period.get("start") or resource.get("effectiveDateTime")
        day = _date(start_text, problems, where, "effectivePeriod.start", today)
        if period.get("end"):
            end = _date(period["end"], problems, where, "effectivePeriod.end", today)
        weeks = _weeks(dosages)
        if day is not None:
            steps = _statement_steps(list(dosages), day, problems, where)
    elif kind == "MedicationRequest":
        dosages = resource.get("dosageInstruction") or []
        day = _date(resource.get("authoredOn"), problems, where, "authoredOn", today)
        request = resource.get("dispenseRequest") or {}
        quantity = _decimal(
            (request.get("quantity") or {}).get("value"),
            problems,
            where,
            "dispenseRequest.quantity.value",
        )
        supply = _decimal(
            (request.get("expectedSupplyDuration") or {}).get("value"),
            problems,
            where,
            "dispenseRequest.expectedSupplyDuration.value",
        )
    else:
        dosages = resource.get("dosageInstruction") or []
        handed = resource.get("whenHandedOver") or resource.get("whenPrepared")
        day = _date(handed, problems, where, "whenHandedOver", today)
        quantity = _decimal(
            (resource.get("quantity") or {}).get("value"), problems, where, "quantity.value"
        )
        supply = _decimal(
            (resource.get("daysSupply") or {}).get("value"), problems, where, "daysSupply.value"
        )
    dose_field = "dosage" if kind == "MedicationStatement" else "dosageInstruction"
    dose = None if steps else _dose_per_day(list(dosages), problems, where, dose_field)
    if day is not None and end is not None and end < day:
        problems.append(
            Problem(where, "effectivePeriod.end", END_BEFORE_START.format(end=end, start=day))
        )
    if len(problems) > before or day is None:
        return None
    identifiers = resource.get("identifier") or []
    code = next(
        (str(i.get("value") or "") for i in identifiers if i.get("system") == TRIAL_ID_SYSTEM), ""
    )
    part_of = next((str(p.get("reference") or "") for p in resource.get("partOf") or []), "")
    return Dispensing(
        source=where,
        name=name,
        molecule=molecule,
        day=day,
        dose_mg_per_day=dose,
        quantity=quantity,
        days_supply=int(supply) if supply is not None else None,
        end=end,
        weeks=weeks,
        kind=_category(resource),
        code=code,
        part_of=part_of,
        url=url,
        statement=kind == "MedicationStatement",
        steps=steps,
    )


def parse_bundle(data: object, *, today: datetime.date) -> list[Dispensing]:
    """Read a FHIR Bundle of medication records, all or nothing; problems name entry and field."""
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise ImportProblemError([Problem("The file", "resourceType", NOT_A_BUNDLE)])
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise ImportProblemError([Problem("The file", "entry", NO_ENTRIES)])
    problems: list[Problem] = []
    known: set[str] = set()
    for entry in entries:
        if isinstance(entry, Mapping):
            found = entry.get("resource")
            resource: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            if entry.get("fullUrl"):
                known.add(str(entry["fullUrl"]))
            if resource.get("resourceType") and resource.get("id"):
                known.add(f"{resource['resourceType']}/{resource['id']}")
    records: list[Dispensing] = []
    for index, entry in enumerate(entries):
        item = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(item, Mapping):
            problems.append(
                Problem(f"Entry {index}", "resource", NOT_VALID_FHIR.format(message="no resource"))
            )
            continue
        resource = item
        kind = str(resource.get("resourceType") or "")
        ident = resource.get("id")
        where = f"Entry {index}" + (f" (id {str(ident)[:64]})" if ident else "")
        if kind not in MEDICATION_TYPES | CONTEXT_TYPES:
            problems.append(
                Problem(
                    where,
                    "resourceType",
                    UNKNOWN_TYPE.format(kind=kind[:64] or "A resource without a type"),
                )
            )
            continue
        model_problems = _model_problems(kind, resource, where)
        if model_problems:
            problems.extend(model_problems)
            continue
        if kind in CONTEXT_TYPES:
            continue
        for path, reference in _references(resource):
            if reference not in known and not reference.startswith("#"):
                problems.append(
                    Problem(where, path, OUTSIDE_REFERENCE.format(reference=reference[:100]))
                )
        record = _record(kind, resource, where, str(entry.get("fullUrl") or ""), problems, today)
        if record is not None:
            records.append(record)
    if problems:
        raise ImportProblemError(problems)
    if not records:
        raise ImportProblemError([Problem("The file", "entry", NO_RECORDS)])
    return records


def _pdc(records: Sequence[Dispensing], start: datetime.date, end: datetime.date) -> Decimal:
    """Return the proportion of days covered, supplies carried forward past an early refill."""
    days = (end - start).days + 1
    covered = 0
    cursor = start
    for record in sorted(records, key=lambda r: r.day):
        cursor = max(cursor, record.day)
        supply = record.days_supply or 1
        last = min(cursor + datetime.timedelta(days=supply - 1), end)
        if last >= cursor:
            covered += (last - cursor).days + 1
        cursor = cursor + datetime.timedelta(days=supply)
    return (Decimal(covered) / Decimal(days)).quantize(Decimal("0.001"))


def _steps(records: Sequence[Dispensing]) -> tuple[StepEntry, ...]:
    """Return the doses supplied, a step from each date the dose per day changed."""
    steps: list[StepEntry] = []
    for record in records:
        dose = record.daily_dose
        if dose is not None and (not steps or steps[-1].dose_mg_per_day != dose):
            steps.append(StepEntry(dose_mg_per_day=dose, start_date=record.day))
    return tuple(steps)


def _course_weeks(start: datetime.date, end: datetime.date) -> Decimal:
    """Return the weeks a course's supplies cover, its first and last day included."""
    return (Decimal((end - start).days + 1) / DAYS_PER_WEEK).quantize(Decimal("0.1"))


def _course_from_dispensings(
    molecule: str, run: Sequence[Dispensing], number: int
) -> ProposedCourse:
    start = run[0].day
    end = max(record.supply_end for record in run)
    steps = _steps(run)
    # One dose held: the course's dose for the weeks its supplies cover. A changed dose: the steps
    # say the doses, and their weeks come from the dates.
    dose = steps[0].dose_mg_per_day if len(steps) == 1 else None
    weeks = _course_weeks(start, end) if len(steps) == 1 else None
    pdc = _pdc(run, start, end) if all(r.days_supply for r in run) else None
    adherence = "" if pdc is None else ("good" if pdc >= GOOD_ADHERENCE_PDC else "poor")
    return ProposedCourse(
        key=f"C{number}",
        molecule=molecule,
        name=run[0].name,
        kind="",
        start=start,
        end=end,
        dose_mg_per_day=dose,
        weeks=weeks,
        pdc=pdc,
        adherence=adherence,
        steps=steps,
        sources=tuple(record.source for record in run),
    )


def _course_from_statement(record: Dispensing, number: int) -> ProposedCourse:
    dose = record.daily_dose
    steps = record.steps or ((StepEntry(dose, record.day),) if dose is not None else ())
    weeks = record.weeks
    if weeks is None and record.end is not None and dose is not None and not record.steps:
        weeks = _course_weeks(record.day, record.end)
    return ProposedCourse(
        key=f"C{number}",
        molecule=record.molecule or "",
        name=record.name,
        kind=record.kind,
        start=record.day,
        end=record.end,
        dose_mg_per_day=None if record.steps else dose,
        weeks=None if record.steps else weeks,
        pdc=None,
        adherence="",
        steps=steps,
        sources=(record.source,),
        code=record.code,
        url=record.url,
        augments=record.part_of,
        from_statement=True,
    )


def _overlap_days(first: ProposedCourse, second: ProposedCourse) -> int:
    if first.end is None and second.end is None:
        return 10**6
    end = min(day for day in (first.end, second.end) if day is not None)
    return (end - max(first.start, second.start)).days + 1


def _kinds(courses: list[ProposedCourse]) -> list[ProposedCourse]:
    """Give each dispensed course its kind and, for an addition, the course it was added to."""
    roles = {agent.molecule or agent.name: agent.role for agent in AGENTS.values()}
    done: list[ProposedCourse] = []
    for course in courses:
        if not course.molecule:
            done.append(replace(course, kind=course.kind or "antidepressant", augments=""))
            continue
        if course.from_statement:
            if not course.kind:
                role = roles.get(course.molecule)
                course = replace(
                    course, kind="augmentation" if role is Role.AUGMENTER else "antidepressant"
                )
            done.append(course)
            continue
        antidepressants = [
            other
            for other in done
            if roles.get(other.molecule) is Role.ANTIDEPRESSANT
            and other.kind in ("antidepressant", "combination")
            and other.start <= course.start
            and _overlap_days(other, course) > COMBINATION_OVERLAP_DAYS
        ]
        base = antidepressants[-1] if antidepressants else None
        if roles.get(course.molecule) is Role.AUGMENTER:
            course = replace(course, kind="augmentation", augments=base.key if base else "")
        elif base is not None:
            course = replace(course, kind="combination", augments=base.key)
        else:
            course = replace(course, kind="antidepressant")
        done.append(course)
    return done


def propose_courses(records: Sequence[Dispensing], *, max_gap_days: int) -> Proposal:
    """Join dispensings of one ingredient into courses; statements stay as given.

    Supplies are one course while the next starts no more than `max_gap_days` after the previous
    ran out (the clinic's setting, Clinic.supply_gap_days).
    """
    by_molecule: dict[str, list[Dispensing]] = defaultdict(list)
    unknown: dict[str, list[str]] = defaultdict(list)
    statements: list[Dispensing] = []
    for record in records:
        if record.molecule is None:
            unknown[record.name or "?"].append(record.source)
        if record.statement:
            statements.append(record)
        else:
            # An unknown medicine is still joined into courses, for the clinician to classify.
            key = record.molecule or f"{UNKNOWN_GROUP}{record.name.lower()}"
            by_molecule[key].append(record)
    runs: list[tuple[str, list[Dispensing]]] = []
    for molecule, supplies in by_molecule.items():
        supplies.sort(key=lambda supply: supply.day)
        run = [supplies[0]]
        for supply in supplies[1:]:
            covered_to = max(r.supply_end for r in run)
            if (supply.day - covered_to).days - 1 <= max_gap_days:
                run.append(supply)
            else:
                runs.append((molecule, run))
                run = [supply]
        runs.append((molecule, run))
    items: list[tuple[datetime.date, int, Any]] = [
        (run[0].day, 0, (molecule, run)) for molecule, run in runs
    ] + [(record.day, 1, record) for record in statements]
    items.sort(key=lambda item: (item[0], item[1]))
    courses = []
    for number, (_, is_statement, item) in enumerate(items, start=1):
        if is_statement:
            courses.append(_course_from_statement(item, number))
        else:
            molecule = "" if item[0].startswith(UNKNOWN_GROUP) else item[0]
            courses.append(_course_from_dispensings(molecule, item[1], number))
    by_url = {course.url: course.key for course in courses if course.url}
    courses = [
        replace(course, augments=by_url.get(course.augments, ""))
        if course.from_statement
        else course
        for course in courses
    ]
    return Proposal(
        courses=tuple(_kinds(courses)),
        unknown=tuple(UnknownDrug(name, tuple(sources)) for name, sources in unknown.items()),
    )


def read_upload(content: bytes, *, today: datetime.date) -> list[Dispensing]:
    """Read an uploaded file: a FHIR Bundle (JSON) or a CSV of dispensings."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportProblemError(
            [Problem("The file", "", TOO_LARGE.format(limit=MAX_UPLOAD_BYTES // 1_000_000))]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblemError(
            [Problem("The file", "", NOT_JSON.format(columns=", ".join(CSV_COLUMNS)))]
        ) from None
    if "\x00" in text:
        raise ImportProblemError(
            [Problem("The file", "", NOT_JSON.format(columns=", ".join(CSV_COLUMNS)))]
        )
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped, parse_constant=lambda name: None)
        except (ValueError, RecursionError):
            raise ImportProblemError(
                [Problem("The file", "", NOT_JSON.format(columns=", ".join(CSV_COLUMNS)))]
            ) from None
        return parse_bundle(data, today=today)
    return parse_csv(text, today=today)
