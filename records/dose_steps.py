"""Dose steps within one course, and the (dose, weeks at dose) pair the engines are given.

Plain Python, no Django: the rule is docs/clinical-rules.md, "Dose steps within one course".
A titrated course (sertraline 50 mg for 4 weeks, then 150 mg for 8) is one trial with steps;
the engines judge one dose and its weeks, so the steps are reduced to the pair that rates best:
for each step's dose d, the weeks of the longest run of consecutive steps at d or more; the pair
with the highest adequacy level is used, ties to the higher dose.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DAYS_PER_WEEK = 7
# Weeks from dates are kept to a tenth of a week, as a clinician would state them.
WEEKS_QUANTUM = Decimal("0.1")
# A data-entry guard, not a clinical rule: weeks at dose are compared with the course's dates
# with one week of slack, for dates remembered to the nearest week.
WEEKS_SLACK_DAYS = 7


@dataclass(frozen=True, slots=True)
class StepEntry:
    """One step as entered: a daily dose from a start date, or for a number of weeks."""

    dose_mg_per_day: Decimal
    start_date: datetime.date | None = None
    weeks: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step with its weeks known (None when neither dates nor weeks say)."""

    dose_mg_per_day: Decimal
    weeks: Decimal | None


@dataclass(frozen=True, slots=True)
class DosePair:
    """The dose and weeks at that dose or more the engines judge, and the run they come from."""

    dose_mg_per_day: Decimal
    weeks: Decimal | None
    first: int
    last: int


def weeks_between(start: datetime.date, end: datetime.date) -> Decimal:
    """Return the weeks from one date to another, to a tenth of a week."""
    days = Decimal((end - start).days)
    return (days / DAYS_PER_WEEK).quantize(WEEKS_QUANTUM, rounding=ROUND_HALF_UP)


def _course_days(start: datetime.date | None, end: datetime.date | None) -> int | None:
    # An open course is left alone: its weeks may be counted up to a review date still to come.
    if start is None or end is None or end < start:
        return None
    return (end - start).days


def weeks_short_of_dates(
    weeks: Decimal | None, start: datetime.date | None, end: datetime.date | None
) -> bool:
    """Return whether the weeks at dose fall more than a week short of the course's dates."""
    days = _course_days(start, end)
    return (
        weeks is not None and days is not None and weeks * DAYS_PER_WEEK < days - WEEKS_SLACK_DAYS
    )


def weeks_beyond_dates(
    weeks: Decimal | None, start: datetime.date | None, end: datetime.date | None
) -> bool:
    """Return whether the weeks at dose exceed the course's dates by more than a week."""
    days = _course_days(start, end)
    return (
        weeks is not None and days is not None and weeks * DAYS_PER_WEEK > days + WEEKS_SLACK_DAYS
    )


def steps_with_weeks(entries: Sequence[StepEntry], *, end_date: datetime.date | None) -> list[Step]:
    """Return the steps with their weeks: stated weeks win, else up to the next start or the end."""
    steps = []
    for index, entry in enumerate(entries):
        weeks = entry.weeks
        if weeks is None and entry.start_date is not None:
            following = entries[index + 1].start_date if index + 1 < len(entries) else end_date
            if following is not None and following >= entry.start_date:
                weeks = weeks_between(entry.start_date, following)
        steps.append(Step(entry.dose_mg_per_day, weeks))
    return steps


def _run_weeks(steps: Sequence[Step], first: int, last: int) -> Decimal | None:
    known = [step.weeks for step in steps[first : last + 1] if step.weeks is not None]
    return sum(known, Decimal(0)) if known else None


def longest_run(steps: Sequence[Step], dose: Decimal) -> DosePair:
    """Return the longest run (in weeks) of consecutive steps at `dose` or more."""
    runs: list[DosePair] = []
    first: int | None = None
    for index, step in enumerate([*steps, None]):
        if step is not None and step.dose_mg_per_day >= dose:
            first = index if first is None else first
        elif first is not None:
            runs.append(DosePair(dose, _run_weeks(steps, first, index - 1), first, index - 1))
            first = None
    # `dose` is a step's own, so there is at least that step's run; the first longest wins.
    return max(runs, key=lambda run: run.weeks or 0)


def best_dose_pair(
    steps: Sequence[Step], level: Callable[[Decimal, Decimal | None], int]
) -> DosePair | None:
    """Return the (dose, weeks) pair of the steps that rates best; None without steps.

    `level` rates a dose held for some weeks (the engines' adequacy level); the highest level
    wins, ties to the higher dose.
    """
    pairs = [longest_run(steps, dose) for dose in sorted({s.dose_mg_per_day for s in steps})]
    if not pairs:
        return None
    return max(
        pairs, key=lambda pair: (level(pair.dose_mg_per_day, pair.weeks), pair.dose_mg_per_day)
    )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _weeks_text(weeks: Decimal | None) -> str:
    if weeks is None:
        return "weeks not known"
    return "1 week" if weeks == 1 else f"{_number(weeks)} weeks"


def _step_text(step: Step) -> str:
    return f"{_weeks_text(step.weeks)} at {_number(step.dose_mg_per_day)} mg"


def course_text(steps: Sequence[Step], pair: DosePair) -> str:
    """Return the course in the clinic's words: "150 mg/day for 8 weeks, after 4 weeks at 50 mg"."""
    run = steps[pair.first : pair.last + 1]
    above = any(step.dose_mg_per_day > pair.dose_mg_per_day for step in run)
    dose = f"{'at least ' if above else ''}{_number(pair.dose_mg_per_day)} mg/day"
    text = f"{dose} for {_weeks_text(pair.weeks)}"
    if above:
        text += " (" + ", then ".join(_step_text(step) for step in run) + ")"
    before = steps[: pair.first]
    after = steps[pair.last + 1 :]
    if before:
        text += ", after " + ", then ".join(_step_text(step) for step in before)
    if after:
        text += "; then " + ", then ".join(_step_text(step) for step in after)
    return text
