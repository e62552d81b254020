"""Medication records proposed as courses: joining, dose, weeks, PDC; bad input named; fuzzed."""

import datetime
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from records.dose_steps import steps_with_weeks
from records.fhir.medications import (
    MAX_UPLOAD_BYTES,
    ImportProblemError,
    molecule_for,
    parse_bundle,
    parse_csv,
    propose_courses,
    read_upload,
)
from records.models.clinic import SUPPLY_GAP_DEFAULT

TODAY = datetime.date(2026, 1, 1)
BASE = datetime.date(2022, 1, 3)


def dispensing_rows() -> list[tuple[int, str, str, int, int]]:
    """300 dispensings over more than 3 years: two switches, one augmentation, one 45-day gap
    and one course taken on about two days in three."""
    rows = []
    # Sertraline: 50 mg/day for 80 days, then 100 mg/day, continuous supply (days 0-359).
    for n in range(90):
        rows.append((n * 4, "Sertraline", "25 mg" if n < 20 else "50 mg", 8, 4))
    # Switch 1: venlafaxine 150 mg/day (days 360-479), 45 days without, again (525-764).
    rows += [(360 + n * 4, "Effexor XR", "75", 8, 4) for n in range(30)]
    rows += [(525 + n * 4, "N06AX16", "75", 8, 4) for n in range(60)]
    # Augmentation: aripiprazole 5 mg/day added to the second venlafaxine course (553-712).
    rows += [(553 + n * 4, "aripiprazole", "5", 4, 4) for n in range(40)]
    # Switch 2: mirtazapine 30 mg/day, a 4-day supply every 6 days (from day 765).
    rows += [(765 + n * 6, "Remeron", "30", 4, 4) for n in range(80)]
    return rows


def dispensing_csv(rows=None) -> str:
    lines = ["date,drug,strength,quantity,days_supply"]
    for offset, drug, strength, quantity, supply in rows or dispensing_rows():
        day = BASE + datetime.timedelta(days=offset)
        lines.append(f"{day.isoformat()},{drug},{strength},{quantity},{supply}")
    return "\n".join(lines) + "\n"


def day(offset: int) -> datetime.date:
    return BASE + datetime.timedelta(days=offset)


def test_three_hundred_dispensings_become_the_expected_courses():
    assert len(dispensing_rows()) == 300
    proposal = propose_courses(
        parse_csv(dispensing_csv(), today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
    )
    assert proposal.unknown == ()
    summary = [
        (c.molecule, c.kind, c.start, c.end, c.dose_mg_per_day, c.adherence, c.augments)
        for c in proposal.courses
    ]
    assert summary == [
        ("sertraline", "antidepressant", day(0), day(359), None, "good", ""),
        ("venlafaxine", "antidepressant", day(360), day(479), Decimal(150), "good", ""),
        ("venlafaxine", "antidepressant", day(525), day(764), Decimal(150), "good", ""),
        ("aripiprazole", "augmentation", day(553), day(712), Decimal(5), "good", "C3"),
        ("mirtazapine", "antidepressant", day(765), day(1242), Decimal(30), "poor", ""),
    ]
    sertraline, *_, mirtazapine = proposal.courses
    # The titration is kept as dose steps: their weeks come from the dates when saved.
    assert sertraline.stepped
    assert [(s.start_date, s.dose_mg_per_day) for s in sertraline.steps] == [
        (day(0), Decimal(50)),
        (day(80), Decimal(100)),
    ]
    assert sertraline.weeks is None
    assert sertraline.pdc == Decimal(1)
    # 80 supplies of 4 days over 478 days.
    assert mirtazapine.pdc == (Decimal(320) / Decimal(478)).quantize(Decimal("0.001"))
    assert mirtazapine.pdc_percent == 67
    assert len(sertraline.sources) == 90
    assert sertraline.sources[0] == "Row 2"


def test_a_gap_of_thirty_days_joins_and_thirty_one_splits():
    rows = [(0, "sertraline", "50", 30, 30), (60, "sertraline", "50", 30, 30)]
    assert (
        len(
            propose_courses(
                parse_csv(dispensing_csv(rows), today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
            ).courses
        )
        == 1
    )
    rows = [(0, "sertraline", "50", 30, 30), (61, "sertraline", "50", 30, 30)]
    assert (
        len(
            propose_courses(
                parse_csv(dispensing_csv(rows), today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
            ).courses
        )
        == 2
    )


def test_an_unknown_drug_is_listed_never_guessed():
    rows = [(0, "Sertraline", "50", 30, 30), (0, "Hypericum extract", "300", 30, 30)]
    proposal = propose_courses(
        parse_csv(dispensing_csv(rows), today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
    )
    assert [(c.molecule, c.name, c.known) for c in proposal.courses] == [
        ("sertraline", "Sertraline", True),
        ("", "Hypericum extract", False),
    ]
    assert [(u.name, u.sources) for u in proposal.unknown] == [("Hypericum extract", ("Row 3",))]


@pytest.mark.parametrize(
    ("name", "molecule"),
    [
        ("N06AB06", "sertraline"),
        ("36437", "sertraline"),
        ("Zoloft", "sertraline"),
        ("sertraline 50 mg tablets", "sertraline"),
        ("Seroquel XL", "quetiapine"),
        ("123456789", None),
        ("", None),
    ],
)
def test_codes_first_then_names_and_brands(name, molecule):
    assert molecule_for(name) == molecule


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ("2031-01-01,sertraline,50,30,30", "date", "future"),
        ("01/02/2023,sertraline,50,30,30", "date", "YYYY-MM-DD"),
        ("2023-01-01,sertraline,50,-30,30", "quantity", "negative"),
        ("2023-01-01,sertraline,fifty,30,30", "strength", "Not a number"),
        ("2023-01-01,,50,30,30", "drug", "Name the medicine"),
    ],
)
def test_bad_csv_rows_are_named_by_row_and_field(row, field, fragment):
    text = "date,drug,strength,quantity,days_supply\n2023-01-01,sertraline,50,30,30\n" + row
    with pytest.raises(ImportProblemError) as error:
        parse_csv(text, today=TODAY)
    (problem,) = error.value.problems
    assert (problem.where, problem.field) == ("Row 3", field)
    assert fragment.lower() in problem.message.lower()


def test_a_csv_without_the_columns_names_them():
    with pytest.raises(ImportProblemError) as error:
        parse_csv("when,what\n2023-01-01,sertraline\n", today=TODAY)
    assert "date" in error.value.problems[0].message


def dispense(ident: str, **fields) -> dict:
    resource = {
        "resourceType": "MedicationDispense",
        "id": ident,
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "N06AB06"}]
        },
        "whenHandedOver": "2023-01-01",
        "quantity": {"value": 30},
        "daysSupply": {"value": 30},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 100, "unit": "mg", "code": "mg"}}],
            }
        ],
    }
    resource.update(fields)
    return resource


def bundle(*resources) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)],
    }


def test_a_dispense_bundle_gives_the_dose_from_the_instruction():
    records = parse_bundle(bundle(dispense("d1")), today=TODAY)
    (course,) = propose_courses(records, max_gap_days=SUPPLY_GAP_DEFAULT).courses
    assert (course.molecule, course.dose_mg_per_day, course.start) == (
        "sertraline",
        Decimal(100),
        datetime.date(2023, 1, 1),
    )
    assert course.sources == ("Entry 0 (id d1)",)


@pytest.mark.parametrize(
    ("resource", "field", "fragment"),
    [
        (
            {"resourceType": "Observation", "id": "o1", "status": "final"},
            "resourceType",
            "not a medication",
        ),
        (dispense("d2", whenHandedOver="2023-13-45"), "whenHandedOver", ""),
        (dispense("d3", quantity={"value": -5}), "quantity.value", "negative"),
        (
            dispense("d4", subject={"reference": "Patient/elsewhere"}),
            "subject.reference",
            "not in the bundle",
        ),
        (dispense("d5", whenHandedOver="2031-01-01"), "whenHandedOver", "future"),
        (dispense("d6", status=12), "status", "valid FHIR"),
    ],
)
def test_bad_bundle_entries_are_named_by_index_id_and_field(resource, field, fragment):
    with pytest.raises(ImportProblemError) as error:
        parse_bundle(bundle(dispense("ok"), resource), today=TODAY)
    problem = error.value.problems[0]
    assert problem.where.startswith("Entry 1 (id ")
    assert problem.field.startswith(field)
    assert fragment.lower() in problem.message.lower()


def test_not_a_bundle_and_oversized_uploads_are_refused():
    with pytest.raises(ImportProblemError, match="Bundle"):
        read_upload(json.dumps({"resourceType": "Patient"}).encode(), today=TODAY)
    with pytest.raises(ImportProblemError, match="larger than"):
        read_upload(b"x" * (MAX_UPLOAD_BYTES + 1), today=TODAY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
@example(b"\r\x01")  # a carriage return inside a field once escaped as a csv.Error
@example(b'date,drug,strength,quantity,days_supply\n"2023-01-01\r\n')
def test_fuzzed_bytes_are_read_or_refused_with_problems(content):
    try:
        records = read_upload(content, today=TODAY)
    except ImportProblemError as error:
        problems = error.problems
    else:
        problems = ()
        propose_courses(records, max_gap_days=SUPPLY_GAP_DEFAULT)
    assert all(problem.where and problem.message for problem in problems)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "resourceType": st.sampled_from(
                    ["MedicationDispense", "MedicationStatement", "MedicationRequest", "Patient"]
                ),
            },
            optional={
                "id": st.text(max_size=8),
                "status": st.sampled_from(["completed", "active", "x"]),
                "whenHandedOver": st.text(max_size=12),
                "authoredOn": st.text(max_size=12),
                "effectivePeriod": JSON_VALUES,
                "quantity": JSON_VALUES,
                "daysSupply": JSON_VALUES,
                "dosageInstruction": JSON_VALUES,
                "medicationCodeableConcept": JSON_VALUES,
                "subject": JSON_VALUES,
            },
        ),
        max_size=4,
    )
)
def test_fuzzed_bundles_are_read_or_refused_with_problems(resources):
    try:
        records = parse_bundle(bundle(*resources), today=TODAY)
    except ImportProblemError as error:
        problems = error.problems
    else:
        problems = ()
        propose_courses(records, max_gap_days=SUPPLY_GAP_DEFAULT)
    assert all(problem.where and problem.message for problem in problems)


def test_the_documented_example_reads_as_documented():
    text = (
        "date,drug,strength,quantity,days_supply\n"
        "2023-01-02,Sertraline,50,30,30\n"
        "2023-02-01,Sertraline,100,30,30\n"
        "2023-03-20,Zoloft,100,30,30\n"
        "2023-06-01,N06AX16,75,60,30\n"
    )
    sertraline, venlafaxine = propose_courses(
        parse_csv(text, today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
    ).courses
    assert (sertraline.end, sertraline.dose_mg_per_day, sertraline.weeks) == (
        datetime.date(2023, 4, 18),
        None,
        None,
    )
    steps = steps_with_weeks(sertraline.steps, end_date=sertraline.end)
    assert [(step.dose_mg_per_day, step.weeks) for step in steps] == [
        (Decimal(50), Decimal("4.3")),
        (Decimal(100), Decimal("10.9")),
    ]
    assert (sertraline.pdc_percent, sertraline.adherence) == (84, "good")
    assert (venlafaxine.molecule, venlafaxine.kind, venlafaxine.dose_mg_per_day) == (
        "venlafaxine",
        "antidepressant",
        Decimal(150),
    )


def test_prescriptions_join_like_dispensings_with_the_instruction_dose():
    def request(ident, authored, dose):
        return {
            "resourceType": "MedicationRequest",
            "id": ident,
            "status": "completed",
            "intent": "order",
            "subject": {"reference": "urn:uuid:0"},
            "medicationCodeableConcept": {"text": "Cymbalta 60 mg capsules"},
            "authoredOn": authored,
            "dosageInstruction": [
                {
                    "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg"}}],
                }
            ],
            "dispenseRequest": {
                "quantity": {"value": 56},
                "expectedSupplyDuration": {"value": 28, "unit": "days"},
            },
        }

    patient = {"resourceType": "Patient", "id": "p"}
    records = parse_bundle(
        bundle(patient, request("r1", "2023-01-01", 30), request("r2", "2023-02-10", 60)),
        today=TODAY,
    )
    (course,) = propose_courses(records, max_gap_days=SUPPLY_GAP_DEFAULT).courses
    assert course.molecule == "duloxetine"
    assert [(s.start_date, s.dose_mg_per_day) for s in course.steps] == [
        (datetime.date(2023, 1, 1), Decimal(60)),
        (datetime.date(2023, 2, 10), Decimal(120)),
    ]
    assert course.end == datetime.date(2023, 3, 9)


def test_a_statement_is_a_course_as_given():
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s1",
        "status": "completed",
        "subject": {"reference": "urn:uuid:0"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6448"}]
        },
        "effectivePeriod": {"start": "2023-03-01", "end": "2023-02-01"},
    }
    patient = {"resourceType": "Patient", "id": "p"}
    with pytest.raises(ImportProblemError) as error:
        parse_bundle(bundle(patient, statement), today=TODAY)
    assert error.value.problems[0].field == "effectivePeriod.end"
    statement["effectivePeriod"] = {"start": "2023-03-01", "end": "2023-06-01"}
    (course,) = propose_courses(
        parse_bundle(bundle(patient, statement), today=TODAY), max_gap_days=SUPPLY_GAP_DEFAULT
    ).courses
    assert (course.molecule, course.kind, course.start, course.end) == (
        "lithium",
        "augmentation",
        datetime.date(2023, 3, 1),
        datetime.date(2023, 6, 1),
    )
