"""What a change's listeners read of each episode, assessed from compact rows (issue 18).

The impasse flags and the staging snapshots (restage's whole work) need an episode's staging
results, the checklist status and the criteria, not the checklist page's rows: this module makes
them from `values_list` rows (records/history_rows.py) and the checklist answers as tuples, with
the adapter, rules and status `selectors.episode_assessment` uses for the pages.
tests/integration/pseudoresistance/test_change_assessments.py holds the two equal, field by field.
"""

import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from django.utils import timezone

from pseudoresistance import checklist_data as data
from pseudoresistance.criteria import CriteriaFacts, FlagRules, automatic_criteria
from pseudoresistance.derived import (
    RulesFired,
    answers_of,
    episode_pre_answers,
    trial_rules_fired,
)
from pseudoresistance.models import ChecklistAnswer, ChecklistReview, ChecklistVersion
from pseudoresistance.selectors import (
    _version_items,
    _without,
    clinics_flag_rules,
    current_checklist_version,
)
from pseudoresistance.status import (
    Answered,
    Effective,
    KindItems,
    StatusReport,
    TrialFacts,
    grouped_status_report,
    kind_items,
)
from records.extensions import EpisodeChange
from records.history import build_history, default_params, stage
from records.history_rows import EpisodeRow, HistoryRows, PatientRow, TrialRow, any_of
from records.models import Episode
from records.models.staging_defaults import with_own_parameters
from records.statements import Statement
from staging.adequacy import Assessed, OutcomeCategory, assess_history
from staging.history import DRUG_KINDS, History, Params, is_current
from staging.result import ModelResult

if TYPE_CHECKING:
    from records.models import Patient, TreatmentTrial

# An episode's latest review: its checklist version and its answers, by (item code, trial pk or
# None), as (answer, escalated).
Answers = Mapping[tuple[str, int | None], tuple[str, bool]]
NO_ANSWERS: Answers = {}


@dataclass(frozen=True)
class ChangeAssessment:
    """One episode as the change listeners read it: staging, the checklist status, criteria."""

    episode: EpisodeRow
    patient: PatientRow
    assessment_date: datetime.date
    params: Params
    history: History
    # The trials' verdicts, made once for the checklist and both staging runs.
    assessed: Assessed
    status: StatusReport
    # The outcomes of the episode's current trials (the long-episode criterion).
    outcomes: tuple[OutcomeCategory, ...]
    flag_rules: FlagRules

    @cached_property
    def results(self) -> Mapping[str, ModelResult]:
        """Return every model's result on the episode as recorded."""
        return stage(self.history, self.params, self.assessed)

    @cached_property
    def results_after_checklist(self) -> Mapping[str, ModelResult]:
        """Return every model's result without the trials a RED concern removes."""
        excluded = set(self.status.excluded)
        if not excluded:
            return self.results
        return stage(_without(self.history, excluded), self.params, self.assessed)

    @cached_property
    def criteria(self) -> tuple[str, ...]:
        """Return the codes of the automatic criteria met under the clinic's flag rules."""
        facts = CriteriaFacts(
            results=self.results,
            outcomes=self.outcomes,
            red_concern=any(not finding.derived for finding in self.status.red_concerns),
            onset=self.episode.onset_date,
            assessment_date=self.assessment_date,
            episode_current=self.episode.end_date is None,
        )
        return automatic_criteria(facts, self.flag_rules)

    @property
    def msm_score(self) -> int | None:
        score = self.results.get("msm")
        if score is None or score.score is None:
            return None
        return int(score.score)


_REVIEWS = Statement(
    lambda ids: (
        ChecklistReview.objects.filter(any_of("episode_id", ids))
        .order_by("episode_id", "-created_at", "-pk")
        .values_list("episode_id", "pk", "version_id")
    )
)
_VERSIONS = Statement(lambda ids: ChecklistVersion.objects.filter(any_of("pk", ids)))
_ANSWERS = Statement(
    lambda ids: ChecklistAnswer.objects.filter(any_of("review_id", ids)).values_list(
        "review_id", "item__code", "trial_id", "answer", "escalated"
    )
)
_PATIENT_IDS = Statement(
    lambda ids: Episode.objects.filter(any_of("pk", ids)).values_list("patient_id", flat=True)
)


def _latest_answers(
    episode_ids: Collection[int],
) -> dict[int, tuple[ChecklistVersion, dict[tuple[str, int | None], tuple[str, bool]]]]:
    """Return the latest review's version and answers of the episodes that have one (3 queries)."""
    latest: dict[int, tuple[int, int]] = {}
    for episode_id, review_id, version_id in _REVIEWS.rows(episode_ids):
        latest.setdefault(episode_id, (review_id, version_id))
    if not latest:
        return {}
    versions = _VERSIONS.by_pk({version for _, version in latest.values()})
    answers: dict[int, dict[tuple[str, int | None], tuple[str, bool]]] = {
        review: {} for review, _ in latest.values()
    }
    for review_id, code, trial_id, answer, escalated in _ANSWERS.rows(answers):
        answers[review_id][(code, trial_id)] = (answer, escalated)
    return {
        episode_id: (versions[version_id], answers[review_id])
        for episode_id, (review_id, version_id) in latest.items()
    }


# The few answers that can stand, made once: (answer, escalated, derived) → Effective.
_EFFECTIVE = {
    (answer, escalated, derived): Effective(answer, escalated, derived)
    for answer in data.Answer
    for escalated in (False, True)
    for derived in (False, True)
}


def _stood(stored: tuple[str, bool] | None, derived: tuple[data.Answer, bool] | None) -> Effective:
    """Return the answer that stands: the clinician's, else the records' (as `_effective`)."""
    if stored is not None:
        return _EFFECTIVE[(data.Answer(stored[0]), stored[1], False)]
    if derived is not None:
        return _EFFECTIVE[(derived[0], derived[1], True)]
    return Effective()


# The answers that stand of a trial with no stored answers, by its kind's items and its rules'
# decisions: most trials share one (restage, issue 18). Kept until this many, then dropped.
_STANDING: dict[tuple[int, RulesFired], tuple[KindItems, Answered]] = {}
_STANDING_KEPT = 4096


def _derived_standing(applicable: KindItems, fired: RulesFired) -> Answered:
    """Return the pre-answers that stand on the kind's items for the rules' decisions."""
    key = (id(applicable), fired)
    found = _STANDING.get(key)
    if found is not None and found[0] is applicable:
        return found[1]
    position = applicable.position
    answered = Answered(
        {
            code: _EFFECTIVE[(pre_answer, red, True)]
            for code, (pre_answer, red) in answers_of(fired).items()
            if code in position
        }
    )
    if len(_STANDING) >= _STANDING_KEPT:
        _STANDING.clear()
    _STANDING[key] = (applicable, answered)
    return answered


def change_assessment(
    episode: EpisodeRow,
    patient: PatientRow,
    trials: Sequence[TrialRow],
    *,
    params: Params,
    version: ChecklistVersion,
    answers: Answers,
    flag_rules: FlagRules,
    today: datetime.date,
) -> ChangeAssessment:
    """Assess one episode from its patient's rows as `selectors.episode_assessment` does."""
    day = episode.end_date or today
    # The rows read as the models do (records/history_rows.py): the adapter takes either.
    history = build_history(
        patient=cast("Patient", patient),
        episode=cast(Episode, episode),
        trials=cast("Sequence[TreatmentTrial]", trials),
        assessment_date=day,
        params=params,
    )
    # The listeners read the verdicts, never the reasons.
    assessed = assess_history(history, params)
    assessments = assessed.verdicts
    items = _version_items(version)
    staged = assessed.trials
    onset = history.episode_onset_date
    by_trial: dict[int | None, dict[str, tuple[str, bool]]] = {}
    for (code, trial_pk), answer in answers.items():
        by_trial.setdefault(trial_pk, {})[code] = answer
    # The answers that stand, by trial code (None: the episode's), as the status reads them.
    effective: dict[str | None, dict[str, Effective]] = {}
    facts = []
    outcomes = []
    own = sorted(
        (trial for trial in trials if trial.episode_id == episode.pk),
        key=lambda trial: (trial.start_date, trial.seq, trial.code),
    )
    kinds: dict[str | None, KindItems] = {}
    for trial in own:
        staged_trial = staged[trial.code]
        assessment = assessments[trial.code]
        fired = trial_rules_fired(
            staged_trial, assessment, onset=onset, reason_stopped=trial.reason_stopped
        )
        stored = by_trial.get(trial.pk)
        applicable = kinds.get(staged_trial.kind)
        if applicable is None:
            applicable = kinds[staged_trial.kind] = kind_items(items, staged_trial.kind)
        earlier = effective.get(trial.code)
        if stored is None and earlier is None:
            effective[trial.code] = _derived_standing(applicable, fired)
        else:
            derived = answers_of(fired)
            position = applicable.position
            standing = dict(earlier or {})
            for code in derived.keys() | (stored or {}).keys():
                if code in position:
                    standing[code] = _stood(
                        None if stored is None else stored.get(code), derived.get(code)
                    )
            effective[trial.code] = standing
        current = is_current(staged_trial, onset)
        claimed = current and staged_trial.kind in DRUG_KINDS and assessment.failed
        facts.append(TrialFacts(trial.code, claimed, staged_trial.kind))
        if current:
            outcomes.append(assessment.outcome)
    episode_stored = by_trial.get(None, {})
    episode_derived = episode_pre_answers(history)
    standing = effective.setdefault(None, {})
    for code in episode_derived.keys() | episode_stored.keys():
        found = episode_derived.get(code)
        standing[code] = _stood(
            episode_stored.get(code), None if found is None else (found.answer, found.escalate)
        )
    return ChangeAssessment(
        episode=episode,
        patient=patient,
        assessment_date=day,
        params=params,
        history=history,
        assessed=assessed,
        status=grouped_status_report(items=items, trials=facts, by_trial=effective),
        outcomes=tuple(outcomes),
        flag_rules=flag_rules,
    )


def change_assessments_of(
    episode_ids: Collection[int], patient_ids: Collection[int] | None = None
) -> dict[int, ChangeAssessment]:
    """Assess episodes from compact rows, their patients' loaded once (nine queries at most).

    `patient_ids` are the episodes' patients when the caller knows them (a change does).
    """
    wanted = set(episode_ids)
    if not wanted:
        return {}
    if patient_ids is None:
        patient_ids = _PATIENT_IDS.rows(wanted)
    rows = HistoryRows(patient_ids)
    checklists = _latest_answers(wanted)
    current: ChecklistVersion | None = None
    rules = clinics_flag_rules(clinic_ids=rows.clinics.keys())
    # Each clinic's defaults made into parameters once: most episodes have none of their own.
    defaults = {pk: default_params(clinic) for pk, clinic in rows.clinics.items()}
    today = timezone.localdate()
    assessed = {}
    for pk, episode in rows.episodes.items():
        if pk not in wanted:
            continue
        patient = rows.patients[episode.patient_id]
        checklist = checklists.get(pk)
        if checklist is None:
            current = current or current_checklist_version()
            version, answers = current, NO_ANSWERS
        else:
            version, answers = checklist
        assessed[pk] = change_assessment(
            episode,
            patient,
            rows.trials[episode.patient_id],
            params=with_own_parameters(defaults[patient.clinic_id], episode.staging_parameters),
            version=version,
            answers=answers,
            flag_rules=rules[patient.clinic_id],
            today=today,
        )
    return assessed


def change_assessments(change: EpisodeChange) -> dict[int, ChangeAssessment]:
    """Return the assessments of a change's episodes, made once for all its listeners."""
    memo = change.memo
    if change_assessments not in memo:
        memo[change_assessments] = change_assessments_of(change.episode_ids, change.patient_ids)
    assessments: dict[int, ChangeAssessment] = memo[change_assessments]
    return assessments
