"""The dose-step rule (docs/clinical-rules.md, "Dose steps within one course"), table-driven."""

import datetime
from decimal import Decimal

import pytest

from records.dose_steps import (
    Step,
    StepEntry,
    best_dose_pair,
    course_text,
    steps_with_weeks,
    weeks_between,
    weeks_beyond_dates,
    weeks_short_of_dates,
)

D = Decimal


def sertraline_level(dose: Decimal, weeks: Decimal | None) -> int:
    """A stand-in for the engines: 50 mg minimum, 6 weeks adequate, 4 weeks partial, 75 mg ×1.5."""
    if weeks is None or dose < 50:
        return 1
    if weeks < 4:
        return 1
    if weeks < 6:
        return 2
    return 4 if dose >= 75 or weeks >= 12 else 3


def steps(*pairs: tuple[str, str | None]) -> list[Step]:
    return [Step(D(dose), None if weeks is None else D(weeks)) for dose, weeks in pairs]


@pytest.mark.parametrize(
    ("case", "given", "dose", "weeks", "text"),
    [
        (
            "titration up: the worked example",
            steps(("50", "4"), ("150", "8")),
            "150",
            "8",
            "150 mg/day for 8 weeks, after 4 weeks at 50 mg",
        ),
        (
            "the lower dose over the whole course rates higher than a short high dose",
            steps(("50", "4"), ("150", "2")),
            "50",
            "6",
            "at least 50 mg/day for 6 weeks (4 weeks at 50 mg, then 2 weeks at 150 mg)",
        ),
        (
            "equal levels: ties go to the higher dose",
            steps(("75", "6"), ("100", "6")),
            "100",
            "6",
            "100 mg/day for 6 weeks, after 6 weeks at 75 mg",
        ),
        (
            "a reduction after the run is told after it",
            steps(("100", "8"), ("50", "2")),
            "100",
            "8",
            "100 mg/day for 8 weeks; then 2 weeks at 50 mg",
        ),
        (
            "the longest run of a dose counts, not the sum of separate runs",
            steps(("100", "3"), ("25", "1"), ("100", "4")),
            "100",
            "4",
            "100 mg/day for 4 weeks, after 3 weeks at 100 mg, then 1 week at 25 mg",
        ),
        ("one step is the plain course", steps(("50", "6")), "50", "6", "50 mg/day for 6 weeks"),
        (
            "a step of unknown length counts no weeks",
            steps(("50", "4"), ("150", None)),
            "50",
            "4",
            "at least 50 mg/day for 4 weeks (4 weeks at 50 mg, then weeks not known at 150 mg)",
        ),
    ],
)
def test_best_dose_pair_cases(
    case: str, given: list[Step], dose: str, weeks: str, text: str
) -> None:
    pair = best_dose_pair(given, sertraline_level)
    assert pair is not None, case
    assert (pair.dose_mg_per_day, pair.weeks) == (D(dose), D(weeks)), case
    assert course_text(given, pair) == text, case


def test_best_dose_pair_without_steps_is_none() -> None:
    assert best_dose_pair([], sertraline_level) is None


def test_best_dose_pair_level_zero_everywhere_takes_the_highest_dose() -> None:
    pair = best_dose_pair(steps(("25", "2"), ("40", "1")), lambda dose, weeks: 0)
    assert pair is not None
    assert (pair.dose_mg_per_day, pair.weeks) == (D(40), D(1))


@pytest.mark.parametrize(
    ("entries", "end", "expected"),
    [
        (
            [
                StepEntry(D(50), datetime.date(2025, 1, 6)),
                StepEntry(D(150), datetime.date(2025, 2, 3)),
            ],
            datetime.date(2025, 3, 31),
            [D(4), D(8)],
        ),
        (
            [
                StepEntry(D(50), datetime.date(2025, 1, 6)),
                StepEntry(D(150), datetime.date(2025, 2, 3)),
            ],
            None,
            [D(4), None],
        ),
        (
            [StepEntry(D(50), weeks=D(3)), StepEntry(D(150), weeks=D("9.5"))],
            datetime.date(2025, 3, 31),
            [D(3), D("9.5")],
        ),
        (
            # Stated weeks win over the dates (a gap in treatment).
            [
                StepEntry(D(50), datetime.date(2025, 1, 6), weeks=D(2)),
                StepEntry(D(150), datetime.date(2025, 2, 3)),
            ],
            datetime.date(2025, 2, 13),
            [D(2), D("1.4")],
        ),
    ],
)
def test_steps_with_weeks(
    entries: list[StepEntry], end: datetime.date | None, expected: list[Decimal | None]
) -> None:
    assert [step.weeks for step in steps_with_weeks(entries, end_date=end)] == expected


def test_weeks_between_rounds_to_a_tenth() -> None:
    assert weeks_between(datetime.date(2025, 1, 1), datetime.date(2025, 1, 11)) == D("1.4")


START = datetime.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("weeks", "end", "short", "beyond"),
    [
        # 84 days: 12 weeks; a week of slack either way.
        (D(12), START + datetime.timedelta(days=84), False, False),
        (D(11), START + datetime.timedelta(days=84), False, False),
        (D("10.9"), START + datetime.timedelta(days=84), True, False),
        (D(13), START + datetime.timedelta(days=84), False, False),
        (D("13.1"), START + datetime.timedelta(days=84), False, True),
        # An open course, or no weeks, is never short or beyond its dates.
        (D(1), None, False, False),
        (None, START + datetime.timedelta(days=84), False, False),
        # Dates in the wrong order are the end date's own error, not the weeks'.
        (D(1), START - datetime.timedelta(days=30), False, False),
    ],
)
def test_weeks_are_judged_against_the_dates_with_a_week_of_slack(weeks, end, short, beyond):
    assert weeks_short_of_dates(weeks, START, end) is short
    assert weeks_beyond_dates(weeks, START, end) is beyond
