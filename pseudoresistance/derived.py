"""Pre-answers from the treatment records: the derived rules of checklist_data.py.

Each rule reads the trial as staging/ sees it (records/history.py builds it) and, where the rule
needs a judgement, staging's own verdict on the trial (staging.adequacy): the catalogue minimum
of the agent, the session-course rating. A rule whose inputs are not recorded gives nothing, so
the clinician answers the item.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pseudoresistance.checklist_data import (
    DERIVED_RULES_BY_KEY,
    NEUROMODULATION_KINDS,
    NOT_A_FAILURE_WEEKS,
    PSYCHOTHERAPY_MIN_SESSIONS,
    SHORT_TRIAL_WEEKS,
    Answer,
    DerivedRuleKey,
)
from staging.adequacy import TrialAssessment, num
from staging.catalogue import Unit
from staging.history import (
    DRUG_KINDS,
    Adherence,
    Diagnosis,
    History,
    PersonalityDisorder,
    Presence,
    Trial,
    TrialKind,
    is_current,
)

MEDICATION_KINDS = DRUG_KINDS | {TrialKind.AUGMENTATION}
# staging.adequacy rates a session course below its minimum (or with none attended) at level 0-1.
SHORT_COURSE_MAX_LEVEL = 1
BIPOLAR_DIAGNOSES = frozenset({Diagnosis.MDD_BIPOLARITY_SUSPECTED, Diagnosis.BIPOLAR})
PERSONALITY_TEXT = {
    PersonalityDisorder.NONE: "no personality disorder",
    PersonalityDisorder.TRAITS: "personality traits",
    PersonalityDisorder.DISORDER: "personality disorder",
}
DIAGNOSIS_TEXT = {
    Diagnosis.MDD_BIPOLARITY_SUSPECTED: "MDD with bipolarity suspected",
    Diagnosis.BIPOLAR: "bipolar disorder",
}


class Entity(StrEnum):
    PATIENT = "patient"
    EPISODE = "episode"
    TRIAL = "trial"


@dataclass(frozen=True, slots=True)
class RecordField:
    """The record field a pre-answer reads, where a clinician checks or corrects it."""

    entity: Entity
    name: str
    # The trial's code when the field is a trial's.
    trial: str | None = None


@dataclass(frozen=True, slots=True)
class DerivedAnswer:
    """What the records answer for one item, why, and whether the rule proposes RED."""

    rule: DerivedRuleKey
    answer: Answer
    reason: str
    escalation_reason: str = ""
    field: RecordField | None = None

    @property
    def escalate(self) -> bool:
        return bool(self.escalation_reason)


def _answer(
    key: DerivedRuleKey,
    fired: bool,
    reason: str,
    escalation_reason: str = "",
    *,
    field: RecordField | None = None,
) -> DerivedAnswer | None:
    rule = DERIVED_RULES_BY_KEY[key]
    if fired:
        return DerivedAnswer(key, rule.pre_answer, reason, escalation_reason, field)
    if rule.pre_answer_otherwise is None:
        return None
    return DerivedAnswer(key, rule.pre_answer_otherwise, reason, field=field)


def _trial_field(trial: Trial, name: str) -> RecordField:
    return RecordField(Entity.TRIAL, name, trial.id)


def _episode_field(name: str) -> RecordField:
    return RecordField(Entity.EPISODE, name)


# Each trial rule's decision, apart from its words: whether it fires (None: its inputs are not
# recorded). `trial_answers` reads only these (restage, issue 18); the pre-answers add the words.


def _is_dose_below_minimum(trial: Trial, assessment: TrialAssessment) -> bool | None:
    agent = assessment.agent
    if trial.kind not in MEDICATION_KINDS or agent is None:
        return None
    by_level = agent.unit is Unit.MMOL_PER_L
    value = trial.serum_level_mmol_per_l if by_level else trial.dose_mg_per_day
    return None if value is None else value < agent.minimum


def _is_duration_short(trial: Trial) -> bool | None:
    weeks = trial.weeks
    return None if trial.kind not in DRUG_KINDS or weeks is None else weeks < SHORT_TRIAL_WEEKS


def _proposes_red_for_duration(trial: Trial) -> bool:
    """A course under the weeks that make a failure at all proposes RED (DURATION_SHORT)."""
    return trial.weeks is not None and trial.weeks < NOT_A_FAILURE_WEEKS


def _is_adherence_poor(trial: Trial) -> bool | None:
    return None if trial.adherence is None else trial.adherence is Adherence.POOR


def _is_previous_episode(trial: Trial, onset: datetime.date) -> bool:
    return not is_current(trial, onset)


def _is_psychotherapy_too_few(trial: Trial) -> bool | None:
    sessions = trial.sessions
    if trial.kind is not TrialKind.PSYCHOTHERAPY or sessions is None:
        return None
    return sessions < PSYCHOTHERAPY_MIN_SESSIONS


def _is_neuromodulation_short(trial: Trial, assessment: TrialAssessment) -> bool | None:
    if trial.kind not in NEUROMODULATION_KINDS or trial.sessions is None:
        return None
    return assessment.level <= SHORT_COURSE_MAX_LEVEL


def _is_stopped_for_adverse_effects(
    reason_stopped: str, assessment: TrialAssessment
) -> bool | None:
    if assessment.adequate:
        return False
    return None if not reason_stopped else reason_stopped == STOPPED_FOR_ADVERSE_EFFECTS


def _dose_below_minimum(trial: Trial, assessment: TrialAssessment) -> DerivedAnswer | None:
    below = _is_dose_below_minimum(trial, assessment)
    agent = assessment.agent
    if below is None or agent is None:
        return None
    by_level = agent.unit is Unit.MMOL_PER_L
    value = trial.serum_level_mmol_per_l if by_level else trial.dose_mg_per_day
    what = "Serum level" if by_level else "Dose"
    verb = "is below" if below else "meets"
    reason = (
        f"{what} {num(value)} {agent.unit} {verb} the minimum adequate {num(agent.minimum)} "
        f"{agent.unit} for {agent.name} ({agent.source})."
    )
    field = _trial_field(trial, "serum_level_mmol_per_l" if by_level else "dose_mg_per_day")
    return _answer(DerivedRuleKey.DOSE_BELOW_MINIMUM, below, reason, field=field)


def _duration_short(trial: Trial) -> DerivedAnswer | None:
    short = _is_duration_short(trial)
    weeks = trial.weeks
    if short is None or weeks is None:
        return None
    if not short:
        return _answer(
            DerivedRuleKey.DURATION_SHORT,
            False,
            f"{num(weeks)} weeks at dose: not under {SHORT_TRIAL_WEEKS} weeks.",
            field=_trial_field(trial, "weeks"),
        )
    escalation = ""
    if _proposes_red_for_duration(trial):
        rule = DERIVED_RULES_BY_KEY[DerivedRuleKey.DURATION_SHORT]
        escalation = f"From the records: {rule.proposes_escalation_when}."
    return _answer(
        DerivedRuleKey.DURATION_SHORT,
        True,
        f"{num(weeks)} weeks at dose: under {SHORT_TRIAL_WEEKS} weeks.",
        escalation,
        field=_trial_field(trial, "weeks"),
    )


def _adherence_poor(trial: Trial) -> DerivedAnswer | None:
    poor = _is_adherence_poor(trial)
    if poor is None:
        return None
    reason = "Adherence recorded as poor." if poor else "Adherence recorded as good."
    return _answer(
        DerivedRuleKey.ADHERENCE_POOR, poor, reason, field=_trial_field(trial, "adherence")
    )


def _previous_episode(trial: Trial, onset: datetime.date) -> DerivedAnswer | None:
    field = _trial_field(trial, "in_previous_episode")
    if not _is_previous_episode(trial, onset):
        reason = "Recorded in this episode; answer Yes if it was given for another indication."
        return _answer(DerivedRuleKey.PREVIOUS_EPISODE, False, reason, field=field)
    reason = (
        "Recorded as given in an earlier episode."
        if trial.episode is not None
        else f"Started before the episode's onset ({onset.isoformat()})."
    )
    return _answer(DerivedRuleKey.PREVIOUS_EPISODE, True, reason, field=field)


def _psychotherapy_too_few_sessions(trial: Trial) -> DerivedAnswer | None:
    few = _is_psychotherapy_too_few(trial)
    if few is None:
        return None
    sessions = trial.sessions
    reason = f"{sessions} sessions attended (fewer than {PSYCHOTHERAPY_MIN_SESSIONS})."
    field = _trial_field(trial, "sessions")
    return _answer(DerivedRuleKey.PSYCHOTHERAPY_TOO_FEW_SESSIONS, few, reason, field=field)


def _neuromodulation_course_short(
    trial: Trial, assessment: TrialAssessment
) -> DerivedAnswer | None:
    short = _is_neuromodulation_short(trial, assessment)
    if short is None:
        return None
    reason = f"{trial.sessions} sessions; staging rates the course: {assessment.summary}."
    field = _trial_field(trial, "sessions")
    return _answer(DerivedRuleKey.NEUROMODULATION_COURSE_SHORT, short, reason, field=field)


# records.ReasonStopped's code for a trial stopped because of adverse effects.
STOPPED_FOR_ADVERSE_EFFECTS = "adverse_effects"


def stopped_for_adverse_effects(
    reason_stopped: str, assessment: TrialAssessment
) -> DerivedAnswer | None:
    """A4 from the recorded reason for stopping and staging's verdict on the trial.

    A trial staging rates adequate reached adequate dose and duration, so it cannot have been
    stopped before them: A4 is No whatever the reason recorded (or none).
    """
    field = RecordField(Entity.TRIAL, "reason_stopped")
    fired = _is_stopped_for_adverse_effects(reason_stopped, assessment)
    if fired is None:
        return None
    if assessment.adequate:
        reason = "Staging rates the trial adequate: it reached adequate dose and duration."
        return _answer(DerivedRuleKey.STOPPED_FOR_ADVERSE_EFFECTS, False, reason, field=field)
    reason = (
        "Recorded as stopped for adverse effects before an adequate trial."
        if fired
        else "The recorded reason for stopping is not adverse effects."
    )
    return _answer(DerivedRuleKey.STOPPED_FOR_ADVERSE_EFFECTS, fired, reason, field=field)


def trial_pre_answers(
    trial: Trial, assessment: TrialAssessment, *, onset: datetime.date
) -> dict[str, DerivedAnswer]:
    """Return the domain A pre-answers of one trial, by item code."""
    candidates = (
        _dose_below_minimum(trial, assessment),
        _duration_short(trial),
        _adherence_poor(trial),
        _previous_episode(trial, onset),
        _psychotherapy_too_few_sessions(trial),
        _neuromodulation_course_short(trial, assessment),
    )
    return {
        DERIVED_RULES_BY_KEY[answer.rule].item_code: answer
        for answer in candidates
        if answer is not None
    }


# Item code, answer when fired, answer otherwise (None: none), by rule: `trial_answers`' table.
_RULE_ANSWERS = {
    rule.key: (rule.item_code, rule.pre_answer, rule.pre_answer_otherwise)
    for rule in DERIVED_RULES_BY_KEY.values()
}


def _put(
    answers: dict[str, tuple[Answer, bool]],
    key: DerivedRuleKey,
    fired: bool | None,
    red: bool = False,
) -> None:
    if fired is None:
        return
    code, when_fired, otherwise = _RULE_ANSWERS[key]
    if fired:
        answers[code] = (when_fired, red)
    elif otherwise is not None:
        answers[code] = (otherwise, False)


# Each trial rule's decision, in `answers_of`'s order: dose, duration, duration's RED, adherence,
# previous episode, psychotherapy sessions, neuromodulation course, stopped for adverse effects.
RulesFired = tuple[
    bool | None, bool | None, bool, bool | None, bool, bool | None, bool | None, bool | None
]


def trial_rules_fired(
    trial: Trial, assessment: TrialAssessment, *, onset: datetime.date, reason_stopped: str
) -> RulesFired:
    """Return each trial rule's decision: all `trial_answers` reads of the trial."""
    short = _is_duration_short(trial)
    return (
        _is_dose_below_minimum(trial, assessment),
        short,
        bool(short) and _proposes_red_for_duration(trial),
        _is_adherence_poor(trial),
        _is_previous_episode(trial, onset),
        _is_psychotherapy_too_few(trial),
        _is_neuromodulation_short(trial, assessment),
        _is_stopped_for_adverse_effects(reason_stopped, assessment),
    )


# The answers of each combination of decisions, made once: there are at most a few thousand.
_ANSWERS_OF: dict[RulesFired, Mapping[str, tuple[Answer, bool]]] = {}


def answers_of(fired: RulesFired) -> Mapping[str, tuple[Answer, bool]]:
    """Return the answers of the trial rules' decisions (shared: never change it)."""
    found = _ANSWERS_OF.get(fired)
    if found is not None:
        return found
    dose, short, red, adherence, previous, few, course, stopped = fired
    answers: dict[str, tuple[Answer, bool]] = {}
    _put(answers, DerivedRuleKey.DOSE_BELOW_MINIMUM, dose)
    _put(answers, DerivedRuleKey.DURATION_SHORT, short, red)
    _put(answers, DerivedRuleKey.ADHERENCE_POOR, adherence)
    _put(answers, DerivedRuleKey.PREVIOUS_EPISODE, previous)
    _put(answers, DerivedRuleKey.PSYCHOTHERAPY_TOO_FEW_SESSIONS, few)
    _put(answers, DerivedRuleKey.NEUROMODULATION_COURSE_SHORT, course)
    _put(answers, DerivedRuleKey.STOPPED_FOR_ADVERSE_EFFECTS, stopped)
    _ANSWERS_OF[fired] = answers
    return answers


def trial_answers(
    trial: Trial, assessment: TrialAssessment, *, onset: datetime.date, reason_stopped: str
) -> dict[str, tuple[Answer, bool]]:
    """Return what `trial_pre_answers` and `stopped_for_adverse_effects` answer, without words.

    By item code: the answer and whether the rule proposes RED (tests/unit/pseudoresistance/
    test_trial_answers.py holds the two equal).
    """
    fired = trial_rules_fired(trial, assessment, onset=onset, reason_stopped=reason_stopped)
    return dict(answers_of(fired))


def _bipolarity_suspected(history: History) -> DerivedAnswer | None:
    if history.diagnosis in BIPOLAR_DIAGNOSES:
        reason = f"Diagnosis recorded as {DIAGNOSIS_TEXT[history.diagnosis]}."
        field = RecordField(Entity.PATIENT, "diagnosis")
        return _answer(DerivedRuleKey.BIPOLARITY_SUSPECTED, True, reason, field=field)
    switched = [trial for trial in history.trials if trial.outcome is not None]
    if not switched:
        return None
    reason = "; ".join(
        f"{trial.id} ended in a {str(trial.outcome).replace('_', ' ')}" for trial in switched
    )
    field = _trial_field(switched[0], "outcome")
    return _answer(DerivedRuleKey.BIPOLARITY_SUSPECTED, True, f"{reason}.", field=field)


def _personality_pathology(history: History) -> DerivedAnswer | None:
    recorded = history.personality_disorder
    if recorded is None:
        return None
    present = recorded is not PersonalityDisorder.NONE
    reason = f"The episode records personality: {PERSONALITY_TEXT[recorded]}."
    field = _episode_field("personality_disorder")
    return _answer(DerivedRuleKey.PERSONALITY_PATHOLOGY_RECORDED, present, reason, field=field)


def _ongoing_stressors(history: History) -> DerivedAnswer | None:
    recorded = history.psychosocial_stressors
    if recorded is None:
        return None
    present = recorded is Presence.PRESENT
    reason = (
        "The episode records psychosocial stressors as present."
        if present
        else "The episode records no psychosocial stressors."
    )
    field = _episode_field("psychosocial_stressors")
    return _answer(DerivedRuleKey.STRESSORS_RECORDED, present, reason, field=field)


def _psychotherapy_answers(current: list[Trial]) -> list[DerivedAnswer | None]:
    therapies = [trial for trial in current if trial.kind is TrialKind.PSYCHOTHERAPY]
    if therapies:
        never = _answer(
            DerivedRuleKey.PSYCHOTHERAPY_NEVER_TRIED,
            False,
            f"Psychotherapy recorded in this episode: {', '.join(t.id for t in therapies)}.",
        )
    else:
        never = _answer(
            DerivedRuleKey.PSYCHOTHERAPY_NEVER_TRIED,
            True,
            "No psychotherapy trial is recorded in this episode.",
        )
    few = [
        trial
        for trial in therapies
        if trial.sessions is not None and trial.sessions < PSYCHOTHERAPY_MIN_SESSIONS
    ]
    too_few = None
    if few:
        too_few = _answer(
            DerivedRuleKey.EPISODE_PSYCHOTHERAPY_TOO_FEW_SESSIONS,
            True,
            "Fewer than "
            f"{PSYCHOTHERAPY_MIN_SESSIONS} sessions: "
            + ", ".join(f"{trial.id} ({trial.sessions})" for trial in few)
            + ".",
            field=_trial_field(few[0], "sessions"),
        )
    return [never, too_few]


def _no_scale_based_outcome(current: list[Trial]) -> DerivedAnswer | None:
    unmeasured = [trial.id for trial in current if trial.percent_symptom_reduction is None]
    if not unmeasured:
        return None
    reason = f"No rating-scale outcome recorded for {', '.join(unmeasured)}."
    field = RecordField(Entity.TRIAL, "percent_symptom_reduction", unmeasured[0])
    return _answer(DerivedRuleKey.NO_SCALE_BASED_OUTCOME, True, reason, field=field)


def _psychotic_features(history: History) -> DerivedAnswer | None:
    if not history.baseline_severity.psychotic_features:
        return None
    reason = "The episode records psychotic features."
    field = _episode_field("psychotic_features")
    return _answer(DerivedRuleKey.PSYCHOTIC_FEATURES_RECORDED, True, reason, field=field)


def episode_pre_answers(history: History) -> dict[str, DerivedAnswer]:
    """Return the pre-answers of the episode-level items (B1, B3, B6, E1, E8, E10, F4), by code."""
    onset = history.episode_onset_date
    current = [trial for trial in history.trials if is_current(trial, onset)]
    candidates = [
        _bipolarity_suspected(history),
        _psychotic_features(history),
        _personality_pathology(history),
        _ongoing_stressors(history),
        *_psychotherapy_answers(current),
        _no_scale_based_outcome(current),
    ]
    return {
        DERIVED_RULES_BY_KEY[answer.rule].item_code: answer
        for answer in candidates
        if answer is not None
    }


def pre_answers_by_trial(
    history: History, assessments: Mapping[str, TrialAssessment], trial_ids: set[str]
) -> dict[str, dict[str, DerivedAnswer]]:
    """Return the domain A pre-answers of the named trials of a history, by trial id."""
    onset = history.episode_onset_date
    return {
        trial.id: trial_pre_answers(trial, assessments[trial.id], onset=onset)
        for trial in history.trials
        if trial.id in trial_ids
    }
