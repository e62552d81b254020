"""Treatment-history types: what every staging engine reads (staging-models.md sections 1.1-1.4)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from operator import attrgetter


class Diagnosis(StrEnum):
    MDD = "MDD"
    MDD_BIPOLARITY_SUSPECTED = "MDD_bipolarity_suspected"
    BIPOLAR = "bipolar"


class Episode(StrEnum):
    CURRENT = "current"
    PREVIOUS = "previous"


class TrialKind(StrEnum):
    ANTIDEPRESSANT = "antidepressant"
    COMBINATION = "combination"
    AUGMENTATION = "augmentation"
    PSYCHOTHERAPY = "psychotherapy"
    ECT = "ECT"
    RTMS = "rTMS"
    ESKETAMINE = "esketamine"
    KETAMINE = "ketamine"
    INPATIENT_ADMISSION = "inpatient_admission"
    DAY_TREATMENT = "day_treatment"


class Adherence(StrEnum):
    GOOD = "good"
    POOR = "poor"


class Placement(StrEnum):
    BITEMPORAL = "bitemporal"
    BIFRONTAL = "bifrontal"
    RUL = "RUL"


class TrialOutcome(StrEnum):
    SWITCH_TO_HYPOMANIA = "switch_to_hypomania"
    SWITCH_TO_MANIA = "switch_to_mania"


class NonresponseRule(StrEnum):
    LT50 = "lt50"
    LE25 = "le25"


class SeverityCategory(StrEnum):
    SUBSYNDROMAL = "subsyndromal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class FunctionalImpairment(StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Presence(StrEnum):
    NONE = "none"
    PRESENT = "present"


class PersonalityDisorder(StrEnum):
    NONE = "none"
    TRAITS = "traits"
    DISORDER = "disorder"


DRUG_KINDS = frozenset({TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION})
STRENGTHENING_KINDS = frozenset({TrialKind.AUGMENTATION, TrialKind.COMBINATION})
INTENSIFIED_KINDS = frozenset({TrialKind.INPATIENT_ADMISSION, TrialKind.DAY_TREATMENT})


@dataclass(frozen=True, slots=True)
class BaselineSeverity:
    scale: str | None = None
    score: float | None = None
    psychotic_features: bool = False
    category: SeverityCategory | None = None


@dataclass(frozen=True, slots=True)
class Trial:
    id: str
    seq: int
    start_date: date
    kind: TrialKind
    episode: Episode | None = None
    agent: str | None = None
    drug_class: str | None = None
    dose_mg_per_day: float | None = None
    dose_mg_per_session: float | None = None
    serum_level_mmol_per_l: float | None = None
    weeks: float | None = None
    sessions: int | None = None
    electrode_placement: Placement | None = None
    therapy_type: str | None = None
    therapist_trained: bool | None = None
    adherence: Adherence | None = None
    percent_symptom_reduction: float | None = None
    outcome: TrialOutcome | None = None
    dose_optimised: bool | None = None
    duration_extended: bool | None = None
    augments_trial: str | None = None
    prospective: bool | None = None


@dataclass(frozen=True, slots=True)
class History:
    diagnosis: Diagnosis
    episode_onset_date: date
    assessment_date: date
    baseline_severity: BaselineSeverity
    trials: tuple[Trial, ...] = ()
    functional_impairment: FunctionalImpairment | None = None
    comorbid_anxiety: Presence | None = None
    personality_disorder: PersonalityDisorder | None = None
    psychosocial_stressors: Presence | None = None


@dataclass(frozen=True, slots=True)
class Params:
    """Every configurable reading of the spec; defaults are section 1.4 (the vignettes' values)."""

    nonresponse_rule: NonresponseRule = NonresponseRule.LT50
    ad_min_weeks: float = 6
    canadian_min_weeks: float = 4
    aug_min_weeks: float = 4
    ect_min_sessions: int = 7
    chronic_months: int = 24
    accept_rul_for_stage_V: bool = False
    trsm_order_based: bool = False
    msm_used_means_any_use: bool = False
    conway_psychotherapy_schools_distinct: bool = False
    markowitz_prospective_only: bool = False
    markowitz_require_combined: bool = False
    psychotic_requires_antipsychotic: bool = False
    rtms_min_sessions: int = 20
    conway_psychotherapy_min_sessions: int = 8
    markowitz_psychotherapy_min_sessions: int = 9
    dmtrd_psychotherapy_min_sessions: int = 8
    dose_optimised_factor: float = 1.5
    duration_extended_weeks: float = 12


# 12.15: trials in order of (start_date, seq); the id breaks ties so any input order gives one.
CHRONOLOGICAL = attrgetter("start_date", "seq", "id")


def is_current(trial: Trial, onset: date) -> bool:
    """Return whether a trial is of the current episode (1.3.1; an explicit value wins, 12.17)."""
    if trial.episode is None:
        return trial.start_date >= onset
    return trial.episode is Episode.CURRENT


def add_months(day: date, months: int) -> date:
    """Return the same day of the month `months` later, clipped to the month's end (1.3.6)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    # Every month has at least 28 days, so only later days need the month's length.
    if day.day > 28:
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return date(year, month, day.day)


def duration_points(onset: date, assessment: date) -> int:
    """Score the current episode's duration: acute 1, subacute 2, chronic 3 (1.3.6, MSM table)."""
    if assessment <= add_months(onset, 12):
        return 1
    if assessment <= add_months(onset, 24):
        return 2
    return 3


# Lower bounds of mild, moderate and severe per scale (staging-models.md 8.6; HAM-D17 Zimmerman
# 2013, MADRS Snaith 1986, QIDS-SR16 Rush 2003, PHQ-9 Kroenke 2001, CGI-S [I]); below mild is
# subsyndromal (12.18).
SEVERITY_LOWER_BOUNDS: dict[str, tuple[float, float, float]] = {
    "HAM-D17": (8, 17, 24),
    "MADRS": (7, 20, 35),
    "QIDS-SR16": (6, 11, 16),
    "PHQ-9": (5, 10, 20),
    "CGI-S": (3, 4, 5),
}
_CATEGORY_POINTS = {
    SeverityCategory.SUBSYNDROMAL: 1,
    SeverityCategory.MILD: 2,
    SeverityCategory.MODERATE: 3,
    SeverityCategory.SEVERE: 4,
}
PSYCHOTIC_SEVERITY_POINTS = 5


def known_scale(scale: str | None) -> str | None:
    """Return the canonical name of a scale of section 8.6, or None for an unknown scale."""
    if scale is None:
        return None
    name = scale.strip().upper()
    return name if name in SEVERITY_LOWER_BOUNDS else None


def severity_category(scale: str | None, score: float | None) -> SeverityCategory | None:
    """Return the category a score of a scale of 8.6 falls in; None for another scale or none."""
    name = known_scale(scale)
    if name is None or score is None:
        return None
    mild, moderate, severe = SEVERITY_LOWER_BOUNDS[name]
    if score >= severe:
        return SeverityCategory.SEVERE
    if score >= moderate:
        return SeverityCategory.MODERATE
    return SeverityCategory.MILD if score >= mild else SeverityCategory.SUBSYNDROMAL


def severity_points(severity: BaselineSeverity) -> int | None:
    """Score baseline severity 1-5 (8.6, 12.18); None when the record cannot decide it."""
    if severity.psychotic_features:
        return PSYCHOTIC_SEVERITY_POINTS
    category = severity.category or severity_category(severity.scale, severity.score)
    return None if category is None else _CATEGORY_POINTS[category]


# Treatments whose amount is a count of sessions (psychotherapy 12.7; readings 3 of
# docs/clinical-rules.md): before their end only the sessions held by then count.
SESSION_KINDS = frozenset(
    {
        TrialKind.PSYCHOTHERAPY,
        TrialKind.ECT,
        TrialKind.RTMS,
        TrialKind.ESKETAMINE,
        TrialKind.KETAMINE,
    }
)
DAYS_PER_WEEK = 7


def trial_end(trial: Trial, recorded: date | None = None) -> date:
    """Return when a trial ended: its recorded end, else its start plus its weeks at dose."""
    if recorded is not None:
        return recorded
    return trial.start_date + timedelta(weeks=trial.weeks or 0)


def trial_as_of(trial: Trial, day: date, end: date) -> Trial:
    """Return a trial as known on `day`, given its end: cut to the weeks and sessions held by then.

    From its end on a trial is as recorded. Before, it has only the weeks elapsed (at most its
    recorded weeks), the sessions held pro rata over [start, end), and no outcome yet.
    """
    if day >= end:
        return trial
    elapsed = (day - trial.start_date).days
    weeks = None if trial.weeks is None else min(trial.weeks, elapsed / DAYS_PER_WEEK)
    sessions = trial.sessions
    if sessions is not None and trial.kind in SESSION_KINDS:
        # Sessions are not dated: held evenly over the course, whole sessions only.
        sessions = sessions * elapsed // (end - trial.start_date).days
    return replace(
        trial, weeks=weeks, sessions=sessions, percent_symptom_reduction=None, outcome=None
    )


def history_as_of(history: History, day: date, ends: Mapping[str, date] | None = None) -> History:
    """Return the history as it was known on `day`, assessed that day (docs/clinical-rules.md).

    Only trials started by then, each cut by `trial_as_of` at its end: its recorded end date
    from `ends` (by trial id), else its start plus its weeks.
    """
    if day < history.episode_onset_date:
        raise ValueError(f"{day.isoformat()} is before the episode onset")
    recorded = ends or {}
    trials = tuple(
        trial_as_of(trial, day, trial_end(trial, recorded.get(trial.id)))
        for trial in history.trials
        if trial.start_date <= day
    )
    return replace(history, trials=trials, assessment_date=day)
