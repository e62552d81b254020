"""Per-trial adequacy, adequacy level, outcome and failure, shared by every engine and the web app.

Rules: staging-models.md 1.3.2-1.3.5 and 1.3.7, tables 8.1-8.4, clarifications 12.1, 12.3,
12.5-12.8, 12.10 and 12.14. The 0-5 level is the spec's design proposal in 8.5, compatible with
both ATHF forms; it is neither form's own level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from staging.catalogue import (
    ATHF_MIN_MEDICATION_WEEKS,
    ESKETAMINE_MIN_MG_PER_SESSION,
    ESKETAMINE_MIN_SESSIONS,
    ESKETAMINE_MIN_WEEKS,
    KETAMINE_MIN_INFUSIONS,
    Agent,
    Role,
    Unit,
    is_antipsychotic,
    lookup_agent,
    psychotherapy_school,
)
from staging.history import (
    CHRONOLOGICAL,
    DRUG_KINDS,
    INTENSIFIED_KINDS,
    STRENGTHENING_KINDS,
    Adherence,
    History,
    NonresponseRule,
    Params,
    Trial,
    TrialKind,
    is_current,
)


class OutcomeCategory(StrEnum):
    NON_RESPONSE = "non_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    NOT_RECORDED = "not_recorded"


# 1.3.7: non-response < 25 %, partial response 25-49 %, response >= 50 % [M].
PARTIAL_RESPONSE_FROM = 25
RESPONSE_FROM = 50
RULE_TEXT = {NonresponseRule.LT50: "< 50 %", NonresponseRule.LE25: "≤ 25 %"}
OUTCOME_TEXT = {
    OutcomeCategory.NON_RESPONSE: "non-response (< 25 %)",
    OutcomeCategory.PARTIAL_RESPONSE: "partial response (25-49 %)",
    OutcomeCategory.RESPONSE: "response (≥ 50 %)",
    OutcomeCategory.NOT_RECORDED: "outcome not recorded (data gap)",
}
# The one-line verdict of an adequate trial, by (failed, outcome, rule).
ADEQUATE_SUMMARY = {
    (failed, outcome, rule): "adequate, failed" if failed else f"adequate, {text}: not a failure"
    for failed in (True, False)
    for outcome, text in OUTCOME_TEXT.items()
    for rule in NonresponseRule
}
# 1.3.3: under the strict ATRQ rule a partial response is not a failure; say which rule decided.
ADEQUATE_SUMMARY[False, OutcomeCategory.PARTIAL_RESPONSE, NonresponseRule.LE25] = (
    "adequate, partial response (25-49 %): not a failure under the strict ≤ 25 % rule"
)


class TrialIndex(NamedTuple):
    """What a trial's adequacy needs from the rest of its history."""

    psychotic: bool
    strengtheners: Mapping[str, tuple[Trial, ...]]


class TrialAssessment(NamedTuple):
    """One trial's adequacy verdict; a NamedTuple because engines build one per trial."""

    trial_id: str
    adequate: bool
    level: int
    outcome: OutcomeCategory
    failed: bool
    reasons: tuple[str, ...]
    summary: str
    agent: Agent | None = None
    dose_optimised: bool = False
    duration_extended: bool = False

    @property
    def adequate_failure(self) -> bool:
        """Return whether the trial is adequate and failed: what the models count."""
        return self.adequate and self.failed


def index_history(history: History, current: Iterable[Trial] | None = None) -> TrialIndex:
    """Index the augmentations and combinations naming each trial of their own episode.

    `current` (the current-episode trials) saves recomputing them when the caller knows them.
    """
    links = [
        trial
        for trial in history.trials
        if trial.augments_trial is not None and trial.kind in STRENGTHENING_KINDS
    ]
    strengtheners: dict[str, tuple[Trial, ...]] = {}
    if links:
        onset = history.episode_onset_date
        if current is None:
            current = (trial for trial in history.trials if is_current(trial, onset))
        ids = {trial.id for trial in current}
        for trial in sorted(links, key=CHRONOLOGICAL):
            target = trial.augments_trial
            # A treatment strengthens a trial of its own episode only (1.3.1).
            if target is not None and (target in ids) is (trial.id in ids):
                strengtheners[target] = (*strengtheners.get(target, ()), trial)
    return TrialIndex(history.baseline_severity.psychotic_features, strengtheners)


@dataclass(frozen=True, slots=True)
class Assessed:
    """Default verdicts (`explain=False`) already made of a history's trials, to be reused.

    A verdict reads the trial, the parameters, the psychotic features and the strengtheners of
    the trial and of the trial it augments (nothing else of the history), so it holds for the same
    trial object in another history (the same one without some trials, issue 18) whenever those
    are unchanged: `verdict` checks exactly that and returns None otherwise.
    """

    history: History
    index: TrialIndex
    params: Params
    verdicts: Mapping[str, TrialAssessment]
    trials: Mapping[str, Trial] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trials", {trial.id: trial for trial in self.history.trials})

    def verdict(self, trial: Trial, index: TrialIndex, params: Params) -> TrialAssessment | None:
        """Return the trial's verdict made before if it holds under `index` and `params`."""
        if (
            params is not self.params
            or self.trials.get(trial.id) is not trial
            or index.psychotic != self.index.psychotic
        ):
            return None
        mine, theirs = index.strengtheners, self.index.strengtheners
        if mine.get(trial.id) != theirs.get(trial.id):
            return None
        target = trial.augments_trial
        if target is not None and mine.get(target) != theirs.get(target):
            return None
        return self.verdicts.get(trial.id)


@lru_cache(maxsize=1024)
def num(value: float) -> str:
    """Format a number for clinic text: 100 not 100.0, 0.025 as is."""
    return f"{value:g}"


def outcome_category(percent: float | None) -> OutcomeCategory:
    """Classify a percent reduction (1.3.7); remission needs the end score, not a percent."""
    if percent is None:
        return OutcomeCategory.NOT_RECORDED
    if percent >= RESPONSE_FROM:
        return OutcomeCategory.RESPONSE
    if percent >= PARTIAL_RESPONSE_FROM:
        return OutcomeCategory.PARTIAL_RESPONSE
    return OutcomeCategory.NON_RESPONSE


def is_nonresponse(percent: float | None, rule: NonresponseRule) -> bool:
    """Return whether a reduction is a failure under the rule (1.3.3); null is none (12.1)."""
    if percent is None:
        return False
    if rule is NonresponseRule.LE25:
        return percent <= PARTIAL_RESPONSE_FROM
    return percent < RESPONSE_FROM


def is_dose_optimised(trial: Trial, minimum: float, params: Params) -> bool:
    """Return the MGH-s dose-optimisation flag, or its fallback when null (section 3, 12.11)."""
    if trial.dose_optimised is not None:
        return trial.dose_optimised
    dose = trial.dose_mg_per_day
    return dose is not None and dose >= params.dose_optimised_factor * minimum


def is_duration_extended(trial: Trial, params: Params) -> bool:
    """Return the MGH-s duration-extension flag, or its fallback when null (section 3, 12.11)."""
    if trial.duration_extended is not None:
        return trial.duration_extended
    return trial.weeks is not None and trial.weeks >= params.duration_extended_weeks


def assess_trial(
    trial: Trial,
    index: TrialIndex,
    params: Params,
    *,
    min_weeks: float | None = None,
    min_sessions: int | None = None,
    trained_therapist_required: bool = False,
    explain: bool = True,
) -> TrialAssessment:
    """Rate one trial: adequacy, level 0-5, outcome category, failure and the reasons.

    `min_weeks` overrides `ad_min_weeks` (the Canadian definition); `min_sessions` and
    `trained_therapist_required` set one model's psychotherapy standard (8.3). With
    `explain=False` the verdict is the same but no reasons are formatted, and an inadequate
    trial's summary is left empty (bulk staging).
    """
    notes = _Notes() if explain else None
    kind = trial.kind
    if kind in DRUG_KINDS:
        weeks = params.ad_min_weeks if min_weeks is None else min_weeks
        verdict = _assess_antidepressant(trial, index, params, weeks, notes)
    elif kind is TrialKind.AUGMENTATION:
        verdict = _assess_augmentation(trial, params, notes)
    elif kind in INTENSIFIED_KINDS:
        if notes is not None:
            notes.problem("adequacy is not rated for intensified treatment")
        verdict = _LEVEL_0
    else:
        verdict = _assess_sessions(trial, params, min_sessions, trained_therapist_required, notes)
    adequate, level, agent, optimised, extended = verdict
    percent = trial.percent_symptom_reduction
    outcome = outcome_category(percent)
    # Every recorded trial outcome is a switch into (hypo)mania (TrialOutcome).
    if trial.outcome is None:
        failed = is_nonresponse(percent, params.nonresponse_rule)
    else:
        adequate = False
        level = min(level, 2)
        failed = False
        if notes is not None:
            notes.problem(f"ended by a {trial.outcome.replace('_', ' ')}: not a failure (12.8)")
    if notes is None:
        summary = ADEQUATE_SUMMARY[failed, outcome, params.nonresponse_rule] if adequate else ""
        return TrialAssessment(
            trial.id, adequate, level, outcome, failed, (), summary, agent, optimised, extended
        )
    if percent is None:
        notes.reasons.append("outcome not recorded (data gap): not a failure (12.1)")
    else:
        verb = "failed" if failed else "not a failure"
        rule = RULE_TEXT[params.nonresponse_rule]
        notes.reasons.append(
            f"{num(percent)} % reduction, {OUTCOME_TEXT[outcome]}: {verb} ({rule})"
        )
    summary = (
        ADEQUATE_SUMMARY[failed, outcome, params.nonresponse_rule]
        if adequate
        else "not adequate: " + "; ".join(notes.problems)
    )
    return TrialAssessment(
        trial.id,
        adequate,
        level,
        outcome,
        failed,
        tuple(notes.reasons),
        summary,
        agent,
        optimised,
        extended,
    )


def assess_history(history: History, params: Params) -> Assessed:
    """Return every trial's default verdict (no reasons), for staging to reuse."""
    index = index_history(history)
    verdicts = {
        trial.id: assess_trial(trial, index, params, explain=False) for trial in history.trials
    }
    return Assessed(history, index, params, verdicts)


@dataclass(slots=True)
class _Notes:
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, text: str) -> None:
        self.reasons.append(text)
        if not ok:
            self.problems.append(text)

    def problem(self, text: str) -> None:
        self.check(False, text)


# adequate, level, agent, dose optimised, duration extended
_Verdict = tuple[bool, int, Agent | None, bool, bool]
# Not adequate at level 0: nothing was given, or the kind is not rated.
_LEVEL_0: _Verdict = (False, 0, None, False, False)


def _exposed(trial: Trial) -> bool:
    return trial.weeks != 0 and trial.dose_mg_per_day != 0


def _catalogued(trial: Trial, role: Role, notes: _Notes | None) -> Agent | None:
    """Return the trial's agent if the catalogue lists it in `role`, else note why not."""
    agent = lookup_agent(trial.agent) if trial.agent else None
    if agent is not None and agent.role is role:
        return agent
    if notes is None:
        return None
    if agent is not None:
        other = "an augmentation" if role is Role.ANTIDEPRESSANT else "a combination"
        notes.problem(f"{agent.name} is an {agent.role}: record it as {other}")
    elif trial.agent:
        # 12.6: no minimum dose is known for an agent outside the catalogue.
        notes.problem(f"{trial.agent} is not in the catalogue: no minimum adequate dose is known")
    else:
        notes.problem("agent not recorded")
    return None


def _check_drug(
    trial: Trial, agent: Agent, needed_weeks: float, notes: _Notes | None
) -> tuple[bool, bool]:
    """Check the minimum (dose or serum level), weeks and adherence; return dose_ok and all_ok."""
    by_level = agent.unit is Unit.MMOL_PER_L
    value = trial.serum_level_mmol_per_l if by_level else trial.dose_mg_per_day
    dose_ok = value is not None and value >= agent.minimum
    weeks = trial.weeks
    weeks_ok = weeks is not None and weeks >= needed_weeks
    adherent = trial.adherence is Adherence.GOOD
    if notes is not None:
        _note_minimum(agent, value, dose_ok, by_level, notes)
        _note_weeks(weeks, needed_weeks, weeks_ok, notes)
        if trial.adherence is Adherence.POOR:
            notes.problem("adherence poor (< 80 % of doses)")
        elif not adherent:
            notes.problem("adherence not recorded")
    return dose_ok, dose_ok and weeks_ok and adherent


def _note_minimum(
    agent: Agent, value: float | None, ok: bool, by_level: bool, notes: _Notes
) -> None:
    if value is None and by_level:
        notes.problem(
            f"no serum {agent.name} level recorded: adequacy is not inferred from the dose "
            f"({agent.source})"
        )
    elif value is None:
        notes.problem("dose not recorded")
    else:
        what = "serum level" if by_level else "dose"
        verb = "meets" if ok else "is below"
        notes.check(
            ok,
            f"{what} {num(value)} {agent.unit} {verb} the minimum adequate {num(agent.minimum)} "
            f"{agent.unit} for {agent.name} ({agent.source})",
        )


def _note_weeks(weeks: float | None, needed: float, ok: bool, notes: _Notes) -> None:
    if weeks is None:
        notes.problem("weeks at dose not recorded")
    else:
        verb = "meets" if ok else "is below"
        notes.check(ok, f"{num(weeks)} weeks at dose {verb} the {num(needed)}-week minimum")


def _partial_level(trial: Trial, dose_ok: bool, needed_weeks: float) -> int:
    """Level of an inadequate medication trial: 2 if the dose and 4 weeks were reached, else 1."""
    if not _exposed(trial):
        return 0
    weeks = trial.weeks
    reached = weeks is not None and weeks >= min(ATHF_MIN_MEDICATION_WEEKS, needed_weeks)
    return 2 if dose_ok and reached else 1


def _assess_antidepressant(
    trial: Trial, index: TrialIndex, params: Params, needed_weeks: float, notes: _Notes | None
) -> _Verdict:
    agent = _catalogued(trial, Role.ANTIDEPRESSANT, notes)
    if agent is None:
        return False, 1 if _exposed(trial) else 0, None, False, False
    dose_ok, adequate = _check_drug(trial, agent, needed_weeks, notes)
    if not adequate:
        return False, _partial_level(trial, dose_ok, needed_weeks), agent, False, False
    # The MGH-s strategies (and level 4) concern adequate trials only.
    optimised = is_dose_optimised(trial, agent.minimum, params)
    extended = is_duration_extended(trial, params)
    level = 3
    if optimised or extended:
        level = 4
        if notes is not None:
            notes.reasons.append(_optimisation_reason(optimised, extended, params))
        if _strengthened(trial, index, params, needed_weeks):
            level = 5
            if notes is not None:
                notes.reasons.append("an adequate augmentation or combination was added (level 5)")
    if (
        index.psychotic
        and params.psychotic_requires_antipsychotic
        and not _has_antipsychotic(trial, index, params)
    ):
        # 12.14 and 8.5: monotherapy in psychotic depression is rated one level lower.
        adequate = False
        level -= 1
        if notes is not None:
            notes.problem(
                "psychotic features and no adequate antipsychotic augmentation "
                "(required with psychotic features, 12.14)"
            )
    return adequate, level, agent, optimised, extended


def _optimisation_reason(optimised: bool, extended: bool, params: Params) -> str:
    parts = []
    if optimised:
        parts.append(f"dose optimised (≥ {num(params.dose_optimised_factor)} × minimum)")
    if extended:
        parts.append(f"duration extended (≥ {num(params.duration_extended_weeks)} weeks)")
    return " and ".join(parts) + " (level 4)"


def _strengthened(trial: Trial, index: TrialIndex, params: Params, needed_weeks: float) -> bool:
    for other in index.strengtheners.get(trial.id, ()):
        # Only the added treatment's own adequacy, so a chain of additions cannot recurse.
        if other.kind is TrialKind.AUGMENTATION:
            adequate = _assess_augmentation(other, params, None)[0]
        else:
            agent = _catalogued(other, Role.ANTIDEPRESSANT, None)
            adequate = agent is not None and _check_drug(other, agent, needed_weeks, None)[1]
        if adequate:
            return True
    return False


def _has_antipsychotic(trial: Trial, index: TrialIndex, params: Params) -> bool:
    # 12.14: the antipsychotic names the trial or, for a combination, its base trial.
    targets = (trial.id,) if trial.augments_trial is None else (trial.id, trial.augments_trial)
    for target in targets:
        for other in index.strengtheners.get(target, ()):
            adequate, _, agent, _, _ = _assess_augmentation(other, params, None)
            if adequate and is_antipsychotic(agent):
                return True
    return False


def _assess_augmentation(trial: Trial, params: Params, notes: _Notes | None) -> _Verdict:
    agent = _catalogued(trial, Role.AUGMENTER, notes)
    if agent is None:
        return False, 1 if _exposed(trial) else 0, None, False, False
    needed_weeks = params.aug_min_weeks
    if agent.min_weeks is not None:
        # 12.10: olanzapine needs at least max(aug_min_weeks, 6) weeks.
        needed_weeks = max(needed_weeks, agent.min_weeks)
    dose_ok, adequate = _check_drug(trial, agent, needed_weeks, notes)
    if adequate:
        return True, 3, agent, False, False
    return False, _partial_level(trial, dose_ok, needed_weeks), agent, False, False


def _assess_sessions(
    trial: Trial,
    params: Params,
    min_sessions: int | None,
    trained_required: bool,
    notes: _Notes | None,
) -> _Verdict:
    """Rate a session-based treatment by attended sessions, never by adherence (12.7)."""
    kind = trial.kind
    if kind is TrialKind.PSYCHOTHERAPY:
        needed = params.conway_psychotherapy_min_sessions if min_sessions is None else min_sessions
    elif kind is TrialKind.ECT:
        needed = params.ect_min_sessions
    elif kind is TrialKind.RTMS:
        needed = params.rtms_min_sessions
    elif kind is TrialKind.ESKETAMINE:
        needed = ESKETAMINE_MIN_SESSIONS
    else:
        needed = KETAMINE_MIN_INFUSIONS
    sessions = trial.sessions
    sessions_ok = sessions is not None and sessions >= needed
    if notes is not None:
        if sessions is None:
            notes.problem("sessions not recorded")
        else:
            verb = "meets" if sessions_ok else "is below"
            notes.check(sessions_ok, f"{sessions} sessions {verb} the {needed}-session minimum")
    if kind is TrialKind.PSYCHOTHERAPY:
        other_ok = _check_psychotherapy(trial, trained_required, notes)
    elif kind is TrialKind.ESKETAMINE:
        other_ok = _check_esketamine(trial, notes)
    else:
        other_ok = True
        if notes is not None:
            _note_procedure(trial, notes)
    if sessions == 0:
        return _LEVEL_0
    if not sessions_ok:
        return False, 1, None, False, False
    return other_ok, 3 if other_ok else 2, None, False, False


def _note_procedure(trial: Trial, notes: _Notes) -> None:
    if trial.kind is TrialKind.ECT:
        placement = trial.electrode_placement
        notes.reasons.append(f"placement {placement}" if placement else "placement not recorded")
    elif trial.kind is TrialKind.KETAMINE:
        notes.reasons.append("the 0.5 mg/kg dose is not checked: rated on infusions only")


def _check_psychotherapy(trial: Trial, trained_required: bool, notes: _Notes | None) -> bool:
    therapy = trial.therapy_type or trial.agent
    evidence_based = psychotherapy_school(therapy) is not None
    trained = not trained_required or trial.therapist_trained is True
    if notes is not None:
        if evidence_based:
            notes.reasons.append(f"{therapy}: evidence-based psychotherapy (8.3)")
        else:
            notes.problem(
                f"{therapy or 'therapy type not recorded'}: not an evidence-based type (8.3)"
            )
        if trained_required:
            text = "trained therapist" if trained else "therapist not recorded as trained"
            notes.check(trained, text)
    return evidence_based and trained


def _check_esketamine(trial: Trial, notes: _Notes | None) -> bool:
    dose = trial.dose_mg_per_session
    dose_ok = dose is not None and dose >= ESKETAMINE_MIN_MG_PER_SESSION
    if notes is not None:
        if dose is None:
            notes.problem("dose per session not recorded")
        else:
            verb = "meets" if dose_ok else "is below"
            notes.check(
                dose_ok,
                f"{num(dose)} mg per session {verb} the {ESKETAMINE_MIN_MG_PER_SESSION} mg minimum",
            )
    weeks = trial.weeks
    weeks_ok = weeks is not None and weeks >= ESKETAMINE_MIN_WEEKS
    if notes is not None:
        _note_weeks(weeks, ESKETAMINE_MIN_WEEKS, weeks_ok, notes)
    return dose_ok and weeks_ok
