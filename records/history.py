"""The adapter: the one place that turns an episode's records into a staging `History`.

Every page, report, export and import that stages or judges adequacy goes through here, so the
engines in staging/ see the same history whoever asks. Nothing clinical is decided here: the
adapter only translates (Decimal to float, codes to staging enums, catalogue names and classes).

- The trials of the episode are `current` unless marked as given in an earlier episode; trials of
  the patient's earlier episodes (by onset) come along as `previous`; later episodes' trials are
  left out.
- A catalogued agent is passed by its catalogue name and class (staging-models.md 12.5); an
  uncatalogued one by the typed name and class, which staging treats per 12.6. A clinic's own
  agents count as uncatalogued for staging, whose catalogue is the published one.
- A percent reduction derived from baseline and end scores is passed as the percent.
- Weeks at dose left empty are counted from the start and end dates.
- A course with dose steps is passed as the (dose, weeks) pair of its steps that rates best
  (records/dose_steps.py, docs/clinical-rules.md), so every path judges the same pair.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from records import scales
from records.dose_steps import DosePair, best_dose_pair, course_text, longest_run
from records.models import (
    Clinic,
    ClinicStagingDefaults,
    Episode,
    Patient,
    ReasonStopped,
    TreatmentTrial,
)
from records.models.staging_defaults import with_own_parameters
from staging import history as staging
from staging.adequacy import (
    Assessed,
    TrialAssessment,
    TrialIndex,
    assess_trial,
    index_history,
)
from staging.registry import stage_all
from staging.result import ModelResult

E = TypeVar("E", bound=StrEnum)

# A step pair is rated on its own: an added treatment or psychotic features move every pair's
# level alike, so they cannot change which pair is best.
_ALONE = TrialIndex(psychotic=False, strengtheners={})
STOPPED_FOR_ADVERSE_EFFECTS = "stopped because of adverse effects (not tolerated)"


def default_params(clinic: Clinic | None = None) -> staging.Params:
    """Return a clinic's default staging parameters: the spec's until its admins change them."""
    if clinic is None:
        return staging.Params()
    # Through the clinic's cached relation, so a clinic loaded with its defaults costs no query;
    # a clinic without saved defaults raises an AttributeError subclass, hence getattr.
    defaults: ClinicStagingDefaults | None = getattr(clinic, "staging_defaults", None)
    return staging.Params() if defaults is None else defaults.params()


def episode_params(episode: Episode, clinic: Clinic | None = None) -> staging.Params:
    """Return the parameters an episode is staged with: its own over its clinic's defaults.

    Every page, report, export, flag and snapshot that stages an episode resolves them here.
    Pass the episode's clinic when it is loaded already (no query).
    """
    base = default_params(clinic if clinic is not None else episode.patient.clinic)
    return with_own_parameters(base, episode.staging_parameters)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _enum(enum: type[E], value: str) -> E | None:
    return enum(value) if value else None


def _lookup(members: dict[str, E | None], enum: type[E], value: str) -> E | None:
    """Return `_enum(enum, value)` from its table; an unknown value raises as `_enum` does."""
    try:
        return members[value]
    except KeyError:
        return enum(value)


def _members(enum: type[E]) -> dict[str, E | None]:
    """Return an enum's members by value, and None for a blank value: `_enum` as a lookup."""
    members: dict[str, E | None] = {member.value: member for member in enum}
    members[""] = None
    return members


# `_enum` of each trial field as a dict lookup: restage reads about 20,000 trials (issue 18).
_KINDS = _members(staging.TrialKind)
_PLACEMENTS = _members(staging.Placement)
_ADHERENCE = _members(staging.Adherence)
_OUTCOMES = _members(staging.TrialOutcome)


def staging_scale_name(code: str) -> str | None:
    """Return a scale code's published name (HAM-D17, MADRS …), as staging and exports use it."""
    return scales.SCALES[scales.ScaleCode(code)].name if code else None


def scale_code_for_name(name: str) -> scales.ScaleCode | None:
    """Return the scale code of a published name (HAM-D17) or a code (HAMD17), else None."""
    wanted = name.strip().upper()
    for code, definition in scales.SCALES.items():
        if wanted in {definition.name.upper(), code.value}:
            return code
    return None


def baseline_severity(episode: Episode) -> staging.BaselineSeverity:
    """Return the episode's baseline severity; staging derives a missing category (8.6)."""
    return staging.BaselineSeverity(
        scale=staging_scale_name(episode.baseline_scale),
        score=_float(episode.baseline_score),
        psychotic_features=episode.psychotic_features,
        category=_enum(staging.SeverityCategory, episode.baseline_severity_category),
    )


def staging_trial(
    trial: TreatmentTrial,
    *,
    episode: Episode,
    codes: Mapping[int, str],
    params: staging.Params | None = None,
) -> staging.Trial:
    """Return one trial as staging reads it; `codes` maps trial pks to their ids.

    `params` rate the pairs of a course with dose steps; left out, the episode's are used.
    """
    previous = trial.in_previous_episode or trial.episode_id != episode.pk
    agent = trial.agent
    dose = trial.dose_mg_per_day
    per_session = trial.dose_mg_per_session
    serum = trial.serum_level_mmol_per_l
    weeks = trial.counted_weeks
    # Positional, in `staging.Trial`'s field order: the cheapest way to build one.
    staged = staging.Trial(
        trial.code,
        trial.seq,
        trial.start_date,
        _KINDS.get(trial.kind) or staging.TrialKind(trial.kind),
        staging.Episode.PREVIOUS if previous else staging.Episode.CURRENT,
        agent.name if agent is not None else (trial.agent_name or None),
        agent.drug_class if agent is not None else (trial.drug_class or None),
        None if dose is None else float(dose),
        None if per_session is None else float(per_session),
        None if serum is None else float(serum),
        None if weeks is None else float(weeks),
        trial.sessions,
        _lookup(_PLACEMENTS, staging.Placement, trial.electrode_placement),
        trial.therapy_type or None,
        trial.therapist_trained,
        _lookup(_ADHERENCE, staging.Adherence, trial.adherence),
        trial.percent_reduction,
        _lookup(_OUTCOMES, staging.TrialOutcome, trial.outcome),
        trial.dose_optimised,
        trial.duration_extended,
        None if trial.augments_id is None else codes.get(trial.augments_id),
        trial.prospective,
    )
    if not trial.dose_steps:
        return staged
    pair = step_pair(trial, staged, params or episode_params(episode))
    if pair is None:
        return staged
    return dataclasses.replace(
        staged, dose_mg_per_day=float(pair.dose_mg_per_day), weeks=_float(pair.weeks)
    )


def step_pair(
    trial: TreatmentTrial, staged: staging.Trial, params: staging.Params
) -> DosePair | None:
    """Return the (dose, weeks) pair of a course's dose steps that staging rates best."""

    def level(dose: Decimal, weeks: Decimal | None) -> int:
        candidate = dataclasses.replace(staged, dose_mg_per_day=float(dose), weeks=_float(weeks))
        return assess_trial(candidate, _ALONE, params, explain=False).level

    return best_dose_pair(trial.steps(), level)


def course_line(trial: TreatmentTrial, staged: staging.Trial) -> str | None:
    """Return a stepped course in the clinic's words, at the pair staging was given."""
    if not trial.dose_steps or staged.dose_mg_per_day is None:
        return None
    steps = trial.steps()
    return course_text(steps, longest_run(steps, Decimal(repr(staged.dose_mg_per_day))))


def course_reasons(trial: TreatmentTrial, staged: staging.Trial) -> tuple[str, ...]:
    """Return the lines a trial's reasons open with that staging cannot know (steps, tolerance)."""
    lines = []
    course = course_line(trial, staged)
    if course is not None:
        lines.append(course)
    if trial.reason_stopped == ReasonStopped.ADVERSE_EFFECTS:
        lines.append(STOPPED_FOR_ADVERSE_EFFECTS)
    return tuple(lines)


def history_trials(episode: Episode, trials: Iterable[TreatmentTrial]) -> list[TreatmentTrial]:
    """Return the trials an episode's history holds, in date order: its own and earlier ones."""
    kept = [
        trial
        for trial in trials
        if trial.episode_id == episode.pk or trial.episode.onset_date < episode.onset_date
    ]
    return sorted(kept, key=lambda trial: (trial.start_date, trial.seq, trial.code))


def build_history(
    *,
    patient: Patient,
    episode: Episode,
    trials: Iterable[TreatmentTrial],
    assessment_date: datetime.date,
    params: staging.Params | None = None,
) -> staging.History:
    """Build an episode's staging history from the patient's loaded trials (no queries).

    `params` rate courses with dose steps; left out, the episode's are resolved when needed.
    """
    # `trials` need `episode` and `agent` loaded; those of later episodes are left out.
    kept = history_trials(episode, trials)
    codes = {trial.pk: trial.code for trial in kept}
    if params is None and any(trial.dose_steps for trial in kept):
        params = episode_params(episode, patient.clinic)
    return staging.History(
        diagnosis=staging.Diagnosis(patient.diagnosis),
        episode_onset_date=episode.onset_date,
        assessment_date=assessment_date,
        baseline_severity=baseline_severity(episode),
        trials=tuple(
            staging_trial(trial, episode=episode, codes=codes, params=params) for trial in kept
        ),
        functional_impairment=_enum(staging.FunctionalImpairment, episode.functional_impairment),
        comorbid_anxiety=_enum(staging.Presence, episode.comorbid_anxiety),
        personality_disorder=_enum(staging.PersonalityDisorder, episode.personality_disorder),
        psychosocial_stressors=_enum(staging.Presence, episode.psychosocial_stressors),
    )


def patient_trials(patient_id: int) -> list[TreatmentTrial]:
    """Load every trial of a patient with what the adapter reads, in one query."""
    return list(
        TreatmentTrial.objects.filter(episode__patient_id=patient_id).select_related(
            "episode", "agent", "override_by"
        )
    )


def episode_history(episode: Episode, *, assessment_date: datetime.date) -> staging.History:
    """Load and build the staging history of an episode (one query for the trials)."""
    return build_history(
        patient=episode.patient,
        episode=episode,
        trials=patient_trials(episode.patient_id),
        assessment_date=assessment_date,
    )


def assess_trials(
    history: staging.History,
    params: staging.Params,
    trials: Iterable[TreatmentTrial] = (),
    *,
    explain: bool = True,
) -> dict[str, TrialAssessment]:
    """Judge every trial of the history (both episodes) with staging's adequacy rules.

    The reasons of the `trials` given open with their dose steps and intolerance. With
    `explain=False` the verdicts are the same, without reasons (staging.adequacy.assess_trial).
    """
    index = index_history(history)
    assessments = {
        trial.id: assess_trial(trial, index, params, explain=explain) for trial in history.trials
    }
    staged = {trial.id: trial for trial in history.trials}
    for trial in trials:
        if trial.code not in assessments:
            continue
        lines = course_reasons(trial, staged[trial.code])
        if lines:
            assessment = assessments[trial.code]
            assessments[trial.code] = assessment._replace(reasons=lines + assessment.reasons)
    return assessments


def stage(
    history: staging.History, params: staging.Params, assessed: Assessed | None = None
) -> dict[str, ModelResult]:
    """Stage the history with every registered model, reusing `assessed` verdicts that hold."""
    return stage_all(history, params, assessed)
