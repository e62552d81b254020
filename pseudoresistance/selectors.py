"""Selectors read: an episode's checklist and status, the impasse queue, the patient panel.

`episode_assessment` is the one place that puts an episode's records, staging, the checklist
answers and the impasse case together for the pages and the patient panel, in a fixed number of
queries whatever the number of trials. The change listeners (impasse flags, snapshots, restage)
read the same assessment made from compact rows (change_assessments.py; a test holds them equal).
"""

import dataclasses
import datetime
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, NamedTuple

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from pseudoresistance import checklist_data as data
from pseudoresistance.confirmation import Confirmation, status_confirmation
from pseudoresistance.criteria import (
    DEFAULT_FLAG_RULES,
    LONG_EPISODE_12_MONTHS,
    MSM_CODE_PREFIX,
    CriteriaFacts,
    Criterion,
    CriterionKind,
    FlagRules,
    automatic_criteria,
    criteria_labels,
    criterion_kind,
    criterion_short_label,
)
from pseudoresistance.derived import (
    DerivedAnswer,
    episode_pre_answers,
    pre_answers_by_trial,
    stopped_for_adverse_effects,
)
from pseudoresistance.models import (
    CaseOrigin,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    CssrsScreen,
    ImpasseCase,
    ImpasseCaseEvent,
    ImpasseFlagRules,
    ImpasseReview,
)
from pseudoresistance.not_yet_tried import (
    UNIPOLAR_NON_PSYCHOTIC,
    DiagnosisContext,
    OptionGroupRows,
    TriedTrial,
)
from pseudoresistance.not_yet_tried import not_yet_tried as untried_options
from pseudoresistance.options_data import LIST_HEADING, LIST_NOTE
from pseudoresistance.states import ACTIVE_STATES, CaseState
from pseudoresistance.status import (
    Effective,
    StatusReport,
    TrialFacts,
    case_status_report,
    kind_items,
)
from records import extensions, scales
from records import selectors as records_selectors
from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.history import (
    assess_trials,
    build_history,
    episode_params,
    patient_trials,
    stage,
)
from records.history_rows import any_of
from records.models import Diagnosis, Episode, Patient, ScaleAdministration, TreatmentTrial
from records.statements import Statement
from staging.adequacy import TrialAssessment, num
from staging.history import DRUG_KINDS, History, Params, TrialOutcome, is_current
from staging.history import Trial as StagingTrial
from staging.registry import ENGINES
from staging.result import ModelResult

EPISODE_NOT_FOUND = "No such episode in your clinic."
CASE_NOT_FOUND = "No such impasse case in your clinic."
CHECKLIST_NOT_LOADED = "Checklist version {version} is not loaded: run the migrations."
NOT_APPLICABLE = "not applicable"
DAYS_PER_WEEK = 7
CONCERN_TEXT = {
    data.ConcernAnswer.YES: "Yes",
    data.ConcernAnswer.NO: "No",
    data.ConcernAnswer.YES_OR_UNKNOWN: "Yes or Unknown",
}


_CURRENT_VERSION = Statement(
    lambda _ids: ChecklistVersion.objects.filter(label=data.CHECKLIST_VERSION)[:1]
)


def current_checklist_version() -> ChecklistVersion:
    """Return the checklist version new reviews are answered on (checklist_data's)."""
    version = next(iter(_CURRENT_VERSION.rows()), None)
    if version is None:
        raise LookupError(CHECKLIST_NOT_LOADED.format(version=data.CHECKLIST_VERSION))
    return version


@dataclass(frozen=True)
class ItemRow:
    """One checklist item for the episode or one trial: what stands and where it comes from."""

    item: data.ChecklistItem
    trial: TreatmentTrial | None
    stored: ChecklistAnswer | None
    derived: DerivedAnswer | None
    effective: Effective

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def concern_text(self) -> str:
        """Return which answer raises the item's flag, with the spec's qualifier."""
        return self.item.concern_note or CONCERN_TEXT[self.item.concern_answer]

    @property
    def red(self) -> bool:
        return self.item.flag is data.FlagLevel.RED or (
            self.effective.escalated and self.item.can_escalate
        )

    @property
    def raises_concern(self) -> bool:
        """Return whether the answer that stands is the one that raises the item's flag."""
        answer = self.effective.answer
        return answer is not None and self.item.raises_concern(answer)

    @property
    def source_text(self) -> str:
        return data.in_words(self.item.source)

    @property
    def question_text(self) -> str:
        return data.in_words(self.item.question)

    @property
    def why_text(self) -> str:
        return data.in_words(self.item.why_it_matters)

    @property
    def screen_text(self) -> str:
        return data.in_words(self.item.screen)

    @property
    def flag_as_published_text(self) -> str:
        return data.in_words(self.item.flag_as_published)

    @property
    def records_now_differ(self) -> bool:
        """Return whether the records now give another answer than when the clinician answered."""
        stored, derived = self.stored, self.derived
        if stored is None or derived is None:
            return False
        return stored.derived_answer != derived.answer.value


_UNANSWERED = Effective()


def _effective(stored: ChecklistAnswer | None, derived: DerivedAnswer | None) -> Effective:
    if stored is not None:
        return Effective(data.Answer(stored.answer), stored.escalated, derived=False)
    if derived is not None:
        return Effective(derived.answer, derived.escalate, derived=True)
    return _UNANSWERED


def _item_rows(
    items: Iterable[data.ChecklistItem],
    trial: TreatmentTrial | None,
    stored: Mapping[str, ChecklistAnswer],
    derived: Mapping[str, DerivedAnswer],
) -> tuple[ItemRow, ...]:
    rows = []
    for item in items:
        answer, pre_answer = stored.get(item.code), derived.get(item.code)
        rows.append(ItemRow(item, trial, answer, pre_answer, _effective(answer, pre_answer)))
    return tuple(rows)


@dataclass(frozen=True)
class TrialSection:
    """Domain A for one trial of the episode, with staging's verdict on the trial.

    Its rows are made when a page shows them (the status, the snapshot and the patient panel
    read the compact answers): `restage` builds no object per item (issue 18).
    """

    trial: TreatmentTrial
    assessment: TrialAssessment
    current: bool
    claimed_failure: bool
    items: tuple[data.ChecklistItem, ...] = field(repr=False)
    stored: Mapping[str, ChecklistAnswer] = field(repr=False)
    derived: Mapping[str, DerivedAnswer] = field(repr=False)

    @cached_property
    def rows(self) -> tuple[ItemRow, ...]:
        """Return the items that concern this trial's kind, each with the answer that stands."""
        return _item_rows(self.items, self.trial, self.stored, self.derived)

    @property
    def adequate(self) -> bool:
        """Return the adequacy to act on: the clinician's override where there is one."""
        override = self.trial.override_adequate
        return self.assessment.adequate if override is None else override


@dataclass(frozen=True)
class DomainSection:
    domain: data.Domain
    items: tuple[data.ChecklistItem, ...] = field(repr=False)
    stored: Mapping[str, ChecklistAnswer] = field(repr=False)
    derived: Mapping[str, DerivedAnswer] = field(repr=False)

    @cached_property
    def rows(self) -> tuple[ItemRow, ...]:
        return _item_rows(self.items, None, self.stored, self.derived)

    @property
    def title(self) -> str:
        return self.domain.label

    @property
    def note(self) -> str | None:
        return data.DOMAIN_NOTES.get(self.domain)


@dataclass(frozen=True)
class StagingRow:
    """One model's result as recorded and after the checklist removed the trials it flags."""

    key: str
    label: str
    as_recorded: str
    after_checklist: str
    counted_as_recorded: tuple[str, ...]
    counted_after_checklist: tuple[str, ...]
    explanation: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return (self.as_recorded, self.counted_as_recorded) != (
            self.after_checklist,
            self.counted_after_checklist,
        )


@dataclass(frozen=True)
class Exclusion:
    """A trial removed from the counts after the checklist, and the RED concerns that remove it."""

    trial: TreatmentTrial
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class EpisodeAssessment:
    """Everything the checklist, review page and patient panel show for one episode."""

    patient: Patient
    episode: Episode
    assessment_date: datetime.date
    params: Params
    version: ChecklistVersion
    review: ChecklistReview | None
    items: tuple[data.ChecklistItem, ...]
    trial_sections: tuple[TrialSection, ...]
    domain_sections: tuple[DomainSection, ...]
    status: StatusReport
    # What staging read: the models are run when results, criteria or exclusions are read,
    # which the patient page's panel never does (issue 18).
    history: History = field(repr=False)
    diagnosis: DiagnosisContext = UNIPOLAR_NON_PSYCHOTIC
    # The clinic's flag rules when the caller loaded them; else read when the criteria are.
    flag_rules: FlagRules | None = None
    list_heading: str = LIST_HEADING
    list_note: str = LIST_NOTE

    @cached_property
    def results(self) -> Mapping[str, ModelResult]:
        """Return every model's result on the episode as recorded."""
        return stage(self.history, self.params)

    @cached_property
    def results_after_checklist(self) -> Mapping[str, ModelResult]:
        """Return every model's result without the trials a RED concern removes."""
        excluded = set(self.status.excluded)
        if not excluded:
            return self.results
        return stage(_without(self.history, excluded), self.params)

    @cached_property
    def exclusions(self) -> tuple[Exclusion, ...]:
        """Return the trials a RED concern removes from the counts, with the concerns."""
        by_code = {section.trial.code: section.trial for section in self.trial_sections}
        return tuple(
            Exclusion(
                by_code[code],
                tuple(
                    f"{finding.item.code} "
                    f"({'from the records' if finding.derived else 'answered'}): "
                    f"{finding.item.question}"
                    for finding in findings
                ),
            )
            for code, findings in self.status.excluded.items()
        )

    @cached_property
    def tried(self) -> tuple[TriedTrial, ...]:
        """Return the episode's current trials as the not-yet-tried list matches them."""
        staged = {trial.id: trial for trial in self.history.trials}
        excluded = set(self.status.excluded)
        return tuple(
            _tried_trial(section, staged[section.trial.code], section.trial.code in excluded)
            for section in self.trial_sections
            if section.current
        )

    @cached_property
    def criteria_facts(self) -> CriteriaFacts:
        """Return what the flagging criteria are judged on (staging runs when first read)."""
        return CriteriaFacts(
            results=self.results,
            outcomes=tuple(s.assessment.outcome for s in self.trial_sections if s.current),
            red_concern=any(not finding.derived for finding in self.status.red_concerns),
            onset=self.episode.onset_date,
            assessment_date=self.assessment_date,
            episode_current=self.episode.end_date is None,
        )

    @cached_property
    def criteria(self) -> tuple[str, ...]:
        """Return the codes of the automatic criteria met under the clinic's flag rules."""
        rules = self.flag_rules or clinic_flag_rules(clinic_id=self.patient.clinic_id)
        return automatic_criteria(self.criteria_facts, rules)

    # Computed when a page shows them: the patient page and the flag refresh never do.
    @cached_property
    def staging_rows(self) -> tuple[StagingRow, ...]:
        return _staging_rows(self.results, self.results_after_checklist)

    @cached_property
    def not_yet_tried(self) -> tuple[OptionGroupRows, ...]:
        return untried_options(self.tried, self.diagnosis)

    @property
    def msm_score(self) -> int | None:
        score = self.results.get("msm")
        if score is None or score.score is None:
            return None
        return int(score.score)

    @property
    def failures_as_recorded(self) -> int:
        return self.status.n_claimed

    @property
    def failures_after_checklist(self) -> int:
        return self.status.n_valid + self.status.n_unverified

    def rows_for(self, trial_id: int) -> TrialSection | None:
        """Return the domain A section of one trial of the episode."""
        return next((s for s in self.trial_sections if s.trial.pk == trial_id), None)

    def domain(self, domain: data.Domain) -> DomainSection | None:
        """Return the section of one episode-level domain."""
        return next((s for s in self.domain_sections if s.domain is domain), None)


def result_summary(result: ModelResult) -> str:
    """Describe a model's result in a few words (no explanation lines)."""
    if not result.applicable:
        return NOT_APPLICABLE
    parts: list[str] = []
    if result.stage is not None:
        parts.append(f"stage {result.stage}")
    if result.score is not None:
        band = f" ({result.band})" if result.band else ""
        parts.append(f"score {num(result.score)}{band}")
    if result.met is not None:
        parts.append("met" if result.met else "not met")
    if result.prd:
        parts.append("partial response")
    if result.trd_minimal_improvement:
        parts.append("minimal improvement (< 25 %) on ≥ 2 adequate trials")
    if result.chronic or result.chronic_resistant:
        parts.append("chronic")
    return "; ".join(parts) or "no result"


def _staging_rows(
    results: Mapping[str, ModelResult], after: Mapping[str, ModelResult]
) -> tuple[StagingRow, ...]:
    rows = []
    for engine in ENGINES:
        recorded = results[engine.key]
        checked = after[engine.key]
        rows.append(
            StagingRow(
                key=engine.key,
                label=recorded.label,
                as_recorded=result_summary(recorded),
                after_checklist=result_summary(checked),
                counted_as_recorded=recorded.counted_trials,
                counted_after_checklist=checked.counted_trials,
                explanation=tuple(recorded.explanation),
            )
        )
    return tuple(rows)


def _trial_end(trial: TreatmentTrial) -> datetime.date | None:
    if trial.end_date is not None:
        return trial.end_date
    if trial.weeks is not None:
        return trial.start_date + datetime.timedelta(days=float(trial.weeks) * DAYS_PER_WEEK)
    return None


def _tried_trial(section: TrialSection, staged: StagingTrial, excluded: bool) -> TriedTrial:
    agent = section.assessment.agent
    return TriedTrial(
        code=staged.id,
        kind=staged.kind.value,
        adequate=section.adequate and not excluded,
        start=staged.start_date,
        end=_trial_end(section.trial),
        drug_class=agent.drug_class if agent is not None else staged.drug_class,
        agent=staged.agent,
        molecule=agent.molecule if agent is not None else staged.agent,
        therapy_type=staged.therapy_type,
        dose_optimised=section.assessment.dose_optimised,
    )


def _latest_review(episode: Episode) -> ChecklistReview | None:
    return (
        ChecklistReview.objects.filter(episode=episode)
        .select_related("version")
        .order_by("-created_at", "-pk")
        .first()
    )


def _version_items(version: ChecklistVersion) -> tuple[data.ChecklistItem, ...]:
    # The current version's rows are checklist_data's own items, loaded by the data migration
    # (tests/integration/pseudoresistance/test_checklist_rows.py pins that), so they need no query.
    if version.label == data.CHECKLIST_VERSION:
        return data.ITEMS
    return tuple(item.as_data() for item in ChecklistItem.objects.filter(version=version))


def _stored_answers(
    review: ChecklistReview | None,
) -> dict[tuple[str, int | None], ChecklistAnswer]:
    if review is None:
        return {}
    answers = ChecklistAnswer.objects.filter(review=review).select_related("item", "answered_by")
    return {(answer.item.code, answer.trial_id): answer for answer in answers}


@dataclass(frozen=True)
class EpisodeChecklist:
    """An episode's latest checklist review (None: not started), its version and answers."""

    review: ChecklistReview | None
    version: ChecklistVersion
    stored: Mapping[tuple[str, int | None], ChecklistAnswer]


def _episode_checklist(episode: Episode) -> EpisodeChecklist:
    review = _latest_review(episode)
    version = review.version if review is not None else current_checklist_version()
    return EpisodeChecklist(review, version, _stored_answers(review))


# The trial outcomes that are evidence of bipolarity, in any episode (docs/clinical-rules.md).
SWITCH_OUTCOMES = frozenset({TrialOutcome.SWITCH_TO_HYPOMANIA, TrialOutcome.SWITCH_TO_MANIA})
BIPOLAR_DIAGNOSES = frozenset({Diagnosis.BIPOLAR, Diagnosis.MDD_BIPOLARITY_SUSPECTED})


def _diagnosis_context(
    patient: Patient,
    episode: Episode,
    trials: Iterable[TreatmentTrial],
    effective: Mapping[tuple[str, str | None], Effective],
) -> DiagnosisContext:
    """Say whether bipolar or psychotic depression is recorded, suspected or answered."""

    def answered_yes(code: str) -> bool:
        found = effective.get((code, None))
        return found is not None and found.answer is data.Answer.YES

    switched = any(trial.outcome in SWITCH_OUTCOMES for trial in trials)
    return DiagnosisContext(
        bipolar=patient.diagnosis in BIPOLAR_DIAGNOSES or answered_yes("B1") or switched,
        psychotic=episode.psychotic_features or answered_yes("B3"),
    )


def episode_assessment(
    episode: Episode,
    *,
    assessment_date: datetime.date | None = None,
    trials: Sequence[TreatmentTrial] | None = None,
    params: Params | None = None,
    checklist: EpisodeChecklist | None = None,
    history: History | None = None,
    trial_assessments: Mapping[str, TrialAssessment] | None = None,
    flag_rules: FlagRules | None = None,
) -> EpisodeAssessment:
    """Assess an episode already scoped to the user: staging, checklist, status, criteria.

    The assessment date defaults to today, or to the episode's end once it has ended. Five
    queries at most whatever the number of trials: the episode's staging parameters (records),
    trials, review, the answers (or the current version when no review exists yet), and the items
    of an earlier checklist version (the current version's come from checklist_data). A caller
    that already holds the patient's trials (with episode and agent loaded) and the clinic's
    parameters passes them and saves two; one that loaded the checklist saves the rest. One
    that built the history of these trials on this date with these parameters, and assessed its
    trials, passes both (the patient page). The models are run only when their results are read.
    """
    patient = episode.patient
    day = assessment_date or episode.end_date or timezone.localdate()
    if params is None:
        params = episode_params(episode, patient.clinic)
    all_trials = patient_trials(patient.pk) if trials is None else trials
    if history is None:
        history = build_history(
            patient=patient, episode=episode, trials=all_trials, assessment_date=day
        )
    assessments = assess_trials(history, params) if trial_assessments is None else trial_assessments
    if checklist is None:
        checklist = _episode_checklist(episode)
    review, version, stored = checklist.review, checklist.version, checklist.stored
    items = _version_items(version)
    own_trials = sorted(
        (trial for trial in all_trials if trial.episode_id == episode.pk),
        key=lambda trial: (trial.start_date, trial.seq, trial.code),
    )
    staged = {trial.id: trial for trial in history.trials}
    derived_by_trial = pre_answers_by_trial(
        history, assessments, {trial.code for trial in own_trials}
    )
    episode_derived = episode_pre_answers(history)
    stored_by_trial: dict[int | None, dict[str, ChecklistAnswer]] = {}
    for (code, trial_pk), answer in stored.items():
        stored_by_trial.setdefault(trial_pk, {})[code] = answer
    effective: dict[tuple[str, str | None], Effective] = {}
    sections = []
    facts = []
    no_answers: dict[str, ChecklistAnswer] = {}
    for trial in own_trials:
        staged_trial = staged[trial.code]
        assessment = assessments[trial.code]
        derived = derived_by_trial.get(trial.code, {})
        # The reason for stopping is a record field that staging's history does not carry.
        if stopped := stopped_for_adverse_effects(trial.reason_stopped, assessment):
            derived = {**derived, data.DERIVED_RULES_BY_KEY[stopped.rule].item_code: stopped}
        trial_stored = stored_by_trial.get(trial.pk, no_answers)
        applicable = kind_items(items, staged_trial.kind)
        for code in derived.keys() | trial_stored.keys():
            if code in applicable.position:
                effective[(code, trial.code)] = _effective(
                    trial_stored.get(code), derived.get(code)
                )
        current = is_current(staged_trial, history.episode_onset_date)
        claimed = current and staged_trial.kind in DRUG_KINDS and assessment.failed
        sections.append(
            TrialSection(
                trial, assessment, current, claimed, applicable.items, trial_stored, derived
            )
        )
        facts.append(TrialFacts(trial.code, claimed, staged_trial.kind))
    episode_stored = stored_by_trial.get(None, no_answers)
    for code in episode_derived.keys() | episode_stored.keys():
        effective[(code, None)] = _effective(episode_stored.get(code), episode_derived.get(code))
    domain_sections = [
        DomainSection(
            domain,
            tuple(item for item in items if item.domain is domain),
            episode_stored,
            episode_derived,
        )
        for domain in data.Domain
        if domain is not data.Domain.A
    ]
    status = case_status_report(items=items, trials=facts, answers=effective)
    diagnosis = _diagnosis_context(patient, episode, all_trials, effective)
    return EpisodeAssessment(
        patient=patient,
        episode=episode,
        assessment_date=day,
        params=params,
        version=version,
        review=review,
        items=items,
        trial_sections=tuple(sections),
        domain_sections=tuple(domain_sections),
        status=status,
        history=history,
        diagnosis=diagnosis,
        flag_rules=flag_rules,
    )


_FLAG_RULES = Statement(lambda ids: ImpasseFlagRules.objects.filter(any_of("clinic_id", ids)))


def clinics_flag_rules(*, clinic_ids: Iterable[int]) -> dict[int, FlagRules]:
    """Return each clinic's impasse flag rules (the defaults where none are saved); one query."""
    ids = set(clinic_ids)
    rules = dict.fromkeys(ids, DEFAULT_FLAG_RULES)
    for saved in _FLAG_RULES.rows(ids):
        rules[saved.clinic_id] = saved.rules()
    return rules


def clinic_flag_rules(*, clinic_id: int) -> FlagRules:
    """Return a clinic's impasse flag rules (the defaults when none are saved)."""
    return clinics_flag_rules(clinic_ids=[clinic_id])[clinic_id]


def flag_rules_for(access: ClinicAccess) -> ImpasseFlagRules:
    """Return the active clinic's saved flag rules, or an unsaved row holding the defaults."""
    access.require(Permission.MANAGE_CLINIC)
    saved = ImpasseFlagRules.objects.filter(clinic=access.clinic).first()
    return saved if saved is not None else ImpasseFlagRules(clinic=access.clinic)


def _without(history: History, codes: set[str]) -> History:
    """Return the history without the trials the checklist removes from the counts."""
    return dataclasses.replace(
        history, trials=tuple(trial for trial in history.trials if trial.id not in codes)
    )


def scoped_episodes(access: ClinicAccess) -> QuerySet[Episode]:
    """Return the episodes of the active clinic's patients."""
    return Episode.objects.filter(patient__in=access.patients()).select_related(
        "patient__psychiatrist", "patient__clinic"
    )


def episode_for_user(*, access: ClinicAccess, episode_id: int) -> Episode:
    """Return an episode of the active clinic; 404 for any other."""
    episode = scoped_episodes(access).filter(pk=episode_id).first()
    if episode is None:
        raise Http404(EPISODE_NOT_FOUND)
    return episode


@dataclass(frozen=True)
class CaseSummary:
    """An episode's impasse case in progress (or its last one) and its latest signed review."""

    case: ImpasseCase | None
    latest_review: ImpasseReview | None
    review_in_progress: ImpasseReview | None
    events: tuple[ImpasseCaseEvent, ...]

    @property
    def active(self) -> bool:
        return self.case is not None and self.case.current_state in ACTIVE_STATES

    @property
    def criteria_labels(self) -> tuple[str, ...]:
        return criteria_labels(self.case.criteria) if self.case is not None else ()


def case_summary(episode: Episode, case: ImpasseCase | None = None) -> CaseSummary:
    """Return an episode's case (default: the one in progress, else the latest) and reviews.

    At most four queries: cases, reviews with their factors, events.
    """
    if case is None:
        case = _episode_case(episode)
    reviews = list(
        ImpasseReview.objects.filter(case__episode=episode)
        .select_related("reviewer", "cssrs_screen__recorded_by")
        .prefetch_related("factors")
        .order_by("-started_at", "-pk")
    )
    signed = next((r for r in reviews if r.signed_off_at is not None), None)
    in_progress = next(
        (r for r in reviews if case is not None and r.case_id == case.pk and r.in_progress), None
    )
    events: tuple[ImpasseCaseEvent, ...] = ()
    if case is not None:
        events = tuple(ImpasseCaseEvent.objects.filter(case=case).select_related("by", "case"))
    return CaseSummary(case, signed, in_progress, events)


def _episode_case(episode: Episode) -> ImpasseCase | None:
    cases = list(ImpasseCase.objects.filter(episode=episode).order_by("-flagged_at", "-pk"))
    active = (c for c in cases if c.current_state in ACTIVE_STATES)
    return next(active, cases[0] if cases else None)


def panel_case_summary(episode: Episode) -> CaseSummary:
    """Return what the patient page's panel shows of case_summary: the case and the latest
    signed review (one query without a case, three with a review's factors); no events, no
    review in progress.

    The review's C-SSRS screen and its recorder are loaded: its safety line reads them.
    """
    case = _episode_case(episode)
    if case is None:
        # A review belongs to a case of the episode: none without one.
        return CaseSummary(None, None, None, ())
    return CaseSummary(case, _latest_signed_review(episode), None, ())


def _latest_signed_review(episode: Episode) -> ImpasseReview | None:
    return (
        ImpasseReview.objects.filter(case__episode=episode, signed_off_at__isnull=False)
        .select_related("reviewer", "cssrs_screen__recorded_by")
        .prefetch_related("factors")
        .order_by("-started_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class EpisodePage:
    assessment: EpisodeAssessment
    cases: CaseSummary


def episode_checklist(
    *, access: ClinicAccess, episode_id: int, assessment_date: datetime.date | None = None
) -> EpisodePage:
    """Return the checklist page of an episode of the active clinic."""
    episode = episode_for_user(access=access, episode_id=episode_id)
    return EpisodePage(
        episode_assessment(episode, assessment_date=assessment_date), case_summary(episode)
    )


@dataclass(frozen=True)
class PatientPanel:
    """What the patient page shows of the impasse work: status, case, latest review."""

    # Records' page includes it by this name, so records' templates name no other app's.
    template_name: ClassVar[str] = "pseudoresistance/_patient_panel.html"

    patient: Patient
    episode: Episode | None
    assessment: EpisodeAssessment | None
    cases: CaseSummary | None
    confirmation: Confirmation | None = None

    # The template reads these names, as it reads the patient page's panel (PatientPagePanel).
    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None and self.confirmation.current

    @property
    def case_state(self) -> str:
        case = self.cases.case if self.cases is not None else None
        return case.get_state_display() if case is not None else ""

    @property
    def latest_review(self) -> ImpasseReview | None:
        return self.cases.latest_review if self.cases is not None else None


def patient_impasse_panel(*, access: ClinicAccess, patient_id: int) -> PatientPanel:
    """Return the impasse panel of a patient: their current (else latest) episode's status."""
    patient = (
        access.patients().select_related("psychiatrist", "clinic").filter(pk=patient_id).first()
    )
    if patient is None:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    episodes = list(Episode.objects.filter(patient=patient).order_by("-onset_date"))
    episode = next((e for e in episodes if e.end_date is None), episodes[0] if episodes else None)
    if episode is None:
        return PatientPanel(patient, None, None, None)
    episode.patient = patient
    assessment = episode_assessment(episode)
    confirmation = status_confirmation(episode.pk, assessment.status)
    return PatientPanel(patient, episode, assessment, case_summary(episode), confirmation)


def impasse_panel_for(detail: records_selectors.PatientDetail) -> PatientPanel:
    """Return the impasse panel from the patient page's selector, without reading it again."""
    episode = detail.episode
    if episode is None:
        return PatientPanel(detail.patient, None, None, None)
    episode.patient = detail.patient
    assessment = episode_assessment(
        episode,
        assessment_date=detail.assessment_date,
        trials=[row.trial for row in detail.trials],
        params=detail.params,
        history=detail.history,
        trial_assessments={row.trial.code: row.assessment for row in detail.trials},
    )
    confirmation = status_confirmation(episode.pk, assessment.status)
    return PatientPanel(
        detail.patient, episode, assessment, panel_case_summary(episode), confirmation
    )


class PanelRow(NamedTuple):
    version_id: int
    version_label: str
    review_id: int | None
    # [item code, trial pk or None, answer, escalated] of each of the review's answers.
    answers: list[list[Any]] | None
    # [status, wording] of the latest confirmation.
    confirmation: list[str] | None
    case_state: str | None
    reviewer_id: int | None
    reviewer_first_name: str | None
    reviewer_last_name: str | None
    reviewer_username: str | None
    signed_off_at: datetime.datetime | None
    next_steps: str | None

    def signed_review(self, patient_id: int) -> extensions.SignedReview | None:
        """Return the patient's latest signed-off review as signed_reviews words it."""
        if self.reviewer_id is None or self.signed_off_at is None:
            return None
        full_name = f"{self.reviewer_first_name} {self.reviewer_last_name}".strip()
        return extensions.SignedReview(
            patient_id=patient_id,
            reviewer_id=self.reviewer_id,
            reviewer=full_name or self.reviewer_username or "",
            signed_off_at=self.signed_off_at,
            next_steps=self.next_steps or "",
        )


@dataclass(frozen=True)
class PatientPagePanel:
    """The impasse panel as the patient page shows it: the status, the case's state, whether the
    status is confirmed and the latest signed review (patient_page_panel)."""

    template_name: ClassVar[str] = PatientPanel.template_name

    patient: Patient
    episode: Episode | None
    assessment: EpisodeAssessment | None
    confirmed: bool = False
    # The state of the episode's case in progress (else its latest), in words; "" without one.
    case_state: str = ""
    latest_review: ImpasseReview | None = None
    # The patient's latest signed-off review in any episode, for the page's sign-off notice.
    signed_review: extensions.SignedReview | None = None


# What the panel reads beside the page's own records, in one statement: the latest checklist
# review's version and answers (the current version without a review), the latest confirmation's
# status and wording, the state of the case the panel names (_episode_case's choice: the case in
# progress, else the latest), and the patient's latest signed-off review in any episode (the
# page's sign-off notice, as signed_reviews reads it). Written out: the ORM took ~2 ms of CPU to
# build and compile the same statement from its subqueries, more than the queries it replaces.
PAGE_PANEL_SQL = """
WITH review AS (
    SELECT id, version_id FROM pseudoresistance_checklistreview
    WHERE episode_id = %(episode)s ORDER BY created_at DESC, id DESC LIMIT 1
)
SELECT
    version.id,
    version.label,
    (SELECT id FROM review),
    (
        SELECT json_agg(json_build_array(item.code, answer.trial_id, answer.answer,
                                         answer.escalated))
        FROM pseudoresistance_checklistanswer answer
        JOIN pseudoresistance_checklistitem item ON item.id = answer.item_id
        WHERE answer.review_id = (SELECT id FROM review)
    ),
    (
        SELECT json_build_array(status, status_text) FROM pseudoresistance_statusconfirmation
        WHERE episode_id = %(episode)s ORDER BY confirmed_at DESC, id DESC LIMIT 1
    ),
    (
        SELECT state FROM pseudoresistance_impassecase
        WHERE episode_id = %(episode)s
        ORDER BY state = ANY(%(active)s) DESC, flagged_at DESC, id DESC LIMIT 1
    ),
    signed.reviewer_id,
    signed.first_name,
    signed.last_name,
    signed.username,
    signed.signed_off_at,
    signed.next_steps
FROM pseudoresistance_checklistversion version
LEFT JOIN LATERAL (
    SELECT impasse.reviewer_id, reviewer.first_name, reviewer.last_name, reviewer.username,
           impasse.signed_off_at, impasse.next_steps
    FROM pseudoresistance_impassereview impasse
    JOIN pseudoresistance_impassecase ON pseudoresistance_impassecase.id = impasse.case_id
    JOIN auth_user reviewer ON reviewer.id = impasse.reviewer_id
    WHERE pseudoresistance_impassecase.patient_id = %(patient)s
        AND impasse.signed_off_at IS NOT NULL
    ORDER BY impasse.signed_off_at DESC, impasse.id DESC LIMIT 1
) signed ON true
WHERE version.id = COALESCE(
    (SELECT version_id FROM review),
    (SELECT id FROM pseudoresistance_checklistversion WHERE label = %(current)s)
)
"""
ACTIVE_STATE_VALUES = sorted(state.value for state in ACTIVE_STATES)


def _page_panel_row(episode_id: int, patient_id: int) -> PanelRow | None:
    """Return PAGE_PANEL_SQL's row; None when the episode has no review and the current
    checklist version is not loaded."""
    with connection.cursor() as cursor:
        cursor.execute(
            PAGE_PANEL_SQL,
            {
                "episode": episode_id,
                "patient": patient_id,
                "active": ACTIVE_STATE_VALUES,
                "current": data.CHECKLIST_VERSION,
            },
        )
        row = cursor.fetchone()
    return None if row is None else PanelRow(*row)


def patient_page_panel(detail: records_selectors.PatientDetail) -> PatientPagePanel:
    """Return the impasse panel of the patient page from its loaded detail: one query; with a
    case, its latest signed review and that review's factors too. The report reads the whole
    assessment (impasse_panel_for).
    """
    episode = detail.episode
    if episode is None:
        return PatientPagePanel(detail.patient, None, None)
    episode.patient = detail.patient
    row = _page_panel_row(episode.pk, detail.patient.pk)
    if row is None:
        raise LookupError(CHECKLIST_NOT_LOADED.format(version=data.CHECKLIST_VERSION))
    version = ChecklistVersion(pk=row.version_id, label=row.version_label)
    review = (
        None
        if row.review_id is None
        else ChecklistReview(pk=row.review_id, episode=episode, version=version)
    )
    # The status reads an answer and whether it was escalated, no more.
    stored = {
        (code, trial_id): ChecklistAnswer(
            review=review, trial_id=trial_id, answer=answer, escalated=escalated
        )
        for code, trial_id, answer, escalated in row.answers or ()
    }
    assessment = episode_assessment(
        episode,
        assessment_date=detail.assessment_date,
        trials=[trial_row.trial for trial_row in detail.trials],
        params=detail.params,
        checklist=EpisodeChecklist(review, version, stored),
        history=detail.history,
        trial_assessments={
            trial_row.trial.code: trial_row.assessment for trial_row in detail.trials
        },
    )
    status = assessment.status
    confirmed = row.confirmation == [status.status.value, status.text]
    state = row.case_state
    signed = row.signed_review(detail.patient.pk)
    if state is None:
        # A review belongs to a case of the episode: none without one.
        return PatientPagePanel(
            detail.patient, episode, assessment, confirmed, signed_review=signed
        )
    return PatientPagePanel(
        detail.patient,
        episode,
        assessment,
        confirmed,
        CaseState(state).label,
        _latest_signed_review(episode),
        signed,
    )


@dataclass(frozen=True)
class ScoreRow:
    administration: ScaleAdministration
    band: str | None
    in_remission: bool | None
    safety_alert: str | None


def score_trajectory(episode: Episode) -> tuple[ScoreRow, ...]:
    """Return the episode's rating-scale scores in date order, with bands and safety alerts."""
    administrations = ScaleAdministration.objects.filter(episode=episode).order_by(
        "administered_on", "pk"
    )
    rows = []
    for administration in administrations:
        alert = administration.safety_alert
        rows.append(
            ScoreRow(
                administration,
                administration.band,
                administration.in_remission,
                alert.message if alert is not None else None,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class ReviewPage:
    case: ImpasseCase
    assessment: EpisodeAssessment
    cases: CaseSummary
    scores: tuple[ScoreRow, ...]
    # Why the user may not review this case (their patient now or while it was open, their flag).
    review_conflict: str | None


def scoped_cases(access: ClinicAccess) -> QuerySet[ImpasseCase]:
    """Return the impasse cases of the active clinic's patients."""
    return ImpasseCase.objects.filter(patient__in=access.patients()).select_related(
        "patient__psychiatrist", "patient__clinic", "episode", "flagged_by"
    )


def case_review_page(*, access: ClinicAccess, case_id: int) -> ReviewPage:
    """Return the review page of a case of the active clinic, for a supervisor."""
    case = scoped_cases(access).filter(pk=case_id).first()
    if case is None:
        raise Http404(CASE_NOT_FOUND)
    access.require(Permission.REVIEW_IMPASSE)
    episode = case.episode
    episode.patient = case.patient
    return ReviewPage(
        case=case,
        assessment=episode_assessment(episode),
        cases=case_summary(episode, case),
        scores=score_trajectory(episode),
        review_conflict=case.review_conflict(access.user.pk),
    )


@dataclass(frozen=True)
class QueueRow:
    case: ImpasseCase
    safety_alerts: tuple[str, ...]
    days_waiting: int

    @property
    def severity(self) -> int | None:
        return self.case.msm_score

    @property
    def criteria_labels(self) -> tuple[str, ...]:
        return criteria_labels(self.case.criteria)

    @property
    def criteria_short_labels(self) -> tuple[str, ...]:
        return tuple(criterion_short_label(code) for code in self.case.criteria)

    @property
    def kinds(self) -> frozenset[CriterionKind]:
        """Why the case is in the queue: the kinds of its criteria, and a flag by hand."""
        return case_kinds(self.case.criteria, self.case.origin)


def case_kinds(criteria: Iterable[str], origin: str) -> frozenset[CriterionKind]:
    """Return why a case is in the queue: the kinds of its criteria, and a flag by hand."""
    kinds = {kind for code in criteria if (kind := criterion_kind(code))}
    if origin == CaseOrigin.MANUAL:
        kinds.add(CriterionKind.MANUAL)
    return frozenset(kinds)


# Issue 17: a suicide-item alert of the last 90 days must be addressed before a review is signed
# off (the same window as the report's, records/report.py STALE_DAYS).
RECENT_ALERT_DAYS = 90


def _open_alerting_scores(
    episode_ids: Iterable[int], *, since: datetime.date | None = None
) -> dict[int, list[tuple[datetime.date, str]]]:
    """Return, per episode, every open alert (latest first): each scale's latest score's alert."""
    latest: dict[tuple[int, str], ScaleAdministration] = {}
    administrations = ScaleAdministration.objects.filter(episode_id__in=list(episode_ids))
    for administration in administrations.order_by("administered_on", "pk"):
        latest[(administration.episode_id, administration.scale)] = administration
    alerts: dict[int, list[tuple[datetime.date, str]]] = {}
    for (episode_id, _scale), administration in sorted(
        latest.items(), key=lambda item: item[1].administered_on, reverse=True
    ):
        alert = administration.safety_alert
        if alert is not None and (since is None or administration.administered_on >= since):
            alerts.setdefault(episode_id, []).append(
                (administration.administered_on, alert.message)
            )
    return alerts


def _open_safety_alerts(
    episode_ids: Iterable[int], *, since: datetime.date | None = None
) -> dict[int, tuple[str, ...]]:
    """Return, per episode, the messages of every open alert, latest first."""
    alerts = _open_alerting_scores(episode_ids, since=since)
    return {episode_id: tuple(m for _day, m in found) for episode_id, found in alerts.items()}


def _recent_alerts(episode_id: int) -> list[tuple[datetime.date, str]]:
    since = timezone.localdate() - datetime.timedelta(days=RECENT_ALERT_DAYS)
    return _open_alerting_scores([episode_id], since=since).get(episode_id, [])


def episode_recent_safety_alerts(*, episode_id: int) -> tuple[str, ...]:
    """Return the episode's open suicide-item alerts rated in the last 90 days."""
    return tuple(message for _day, message in _recent_alerts(episode_id))


@dataclass(frozen=True)
class SafetyCheck:
    """An episode's open suicide-item alerts of the last 90 days and a C-SSRS screen since."""

    alerts: tuple[str, ...]
    # The latest screen dated on or after the latest alerting score (None: none since).
    screen: CssrsScreen | None

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.alerts)


def episode_safety_check(*, episode_id: int) -> SafetyCheck:
    """Return the episode's recent open alerts and the C-SSRS screen done since the latest."""
    alerts = _recent_alerts(episode_id)
    if not alerts:
        return SafetyCheck((), None)
    latest_alert = max(day for day, _message in alerts)
    screen = (
        CssrsScreen.objects.filter(episode_id=episode_id, screened_on__gte=latest_alert)
        .select_related("recorded_by")
        .order_by("-screened_on", "-recorded_at")
        .first()
    )
    return SafetyCheck(tuple(message for _day, message in alerts), screen)


def episode_cssrs_screens(*, episode_id: int) -> tuple[CssrsScreen, ...]:
    """Return the episode's C-SSRS screens, latest first."""
    return tuple(CssrsScreen.objects.filter(episode_id=episode_id).select_related("recorded_by"))


# Rows per page of the impasse queue: a page a supervisor can scan, and only these rows are
# loaded, rendered and logged as opened (issue 18: 500 open cases in one page took ~110 ms).
QUEUE_PAGE_SIZE = 50


def _open_alert_sql() -> tuple[str, tuple[Any, ...]]:
    # No input reaches the text: each scale's item, code and threshold are parameters.
    latest_item = (
        "(SELECT (jsonb_extract_path_text(s.items, %s))::double precision"
        " FROM records_scaleadministration s"
        " WHERE s.episode_id = pseudoresistance_impassecase.episode_id AND s.scale = %s"
        " ORDER BY s.administered_on DESC, s.id DESC LIMIT 1) >= %s"
    )
    alerting: list[str] = []
    params: list[Any] = []
    for code, scale in scales.SCALES.items():
        rule = scale.safety
        if rule is not None:
            # By key: the items' keys are numbers, which a JSON path would read as indexes.
            alerting.append(latest_item)
            params += [rule.item, code, float(rule.alert_at)]
    return "CASE WHEN " + " OR ".join(alerting) + " THEN true ELSE false END", tuple(params)


_OPEN_ALERT_SQL, _OPEN_ALERT_PARAMS = _open_alert_sql()


def _open_alert_in_sql() -> RawSQL:
    """Return, per case, whether its episode has an open suicide-item alert, as SQL.

    The same rule as `_open_alerting_scores`: a scale's latest score (by date, then entry)
    alerts when its suicide item reaches the scale's threshold (records/scales.py SafetyRule).
    Each scale's latest score is read through scale_admin_latest_idx. Written once as SQL
    (issue 18: the ORM built and compiled its five subqueries on every queue page, a third of
    the selector's time); it names the case table as a query of the cases themselves does.
    """
    return RawSQL(_OPEN_ALERT_SQL, _OPEN_ALERT_PARAMS, output_field=BooleanField())  # noqa: S611  # nosec B611


def _kind_in_sql(kind: CriterionKind) -> Q:
    """Return, as SQL, "the case is in the queue for this kind" (`case_kinds` in Python).

    The criteria are a JSON list of codes, matched by a JSON path (`criterion_kind`'s rules);
    tests/integration/pseudoresistance/test_queue_pages.py checks both agree on every code.
    """
    if kind == CriterionKind.MANUAL:
        return Q(origin=CaseOrigin.MANUAL)
    if kind == CriterionKind.MSM:
        test = f"@ starts with {json.dumps(MSM_CODE_PREFIX)}"
    else:
        codes = {
            CriterionKind.LONG_EPISODE: (Criterion.LONG_EPISODE.value, LONG_EPISODE_12_MONTHS),
        }.get(kind, (kind.value,))
        test = " || ".join(f"@ == {json.dumps(code)}" for code in codes)
    path = Func(
        F("criteria"),
        Value(f"$[*] ? ({test})"),
        arg_joiner=" @? ",
        template="(%(expressions)s::jsonpath)",
        output_field=BooleanField(),
    )
    return Q(path)


def _queue_cases(
    access: ClinicAccess, psychiatrist_id: int | None, state: str
) -> QuerySet[ImpasseCase]:
    """Return the clinic's cases the queue's filters (but the criterion kind) keep."""
    access.require(Permission.REVIEW_IMPASSE)
    cases = ImpasseCase.objects.filter(patient__in=access.patients())
    if state in CaseState.values:
        cases = cases.filter(state=state)
    else:
        cases = cases.filter(state__in=[CaseState.OPEN, CaseState.UNDER_REVIEW])
    if psychiatrist_id is not None:
        cases = cases.filter(patient__psychiatrist_id=psychiatrist_id)
    return cases


def _kind_filter(criterion: str) -> Q:
    return _kind_in_sql(CriterionKind(criterion)) if criterion in CriterionKind.values else Q()


def _ordered(cases: QuerySet[ImpasseCase]) -> QuerySet[ImpasseCase]:
    """Order cases as the queue does, in SQL: open safety alert, highest Maudsley score, wait."""
    return (
        cases.annotate(open_alert=_open_alert_in_sql())
        .select_related("patient__psychiatrist", "flagged_by")
        .order_by(
            F("open_alert").desc(),
            F("msm_score").desc(nulls_last=True),
            "flagged_at",
            "pk",
        )
    )


def _queue_rows(cases: Iterable[ImpasseCase]) -> list[QueueRow]:
    """Return the rows of these cases (in `_ordered`'s order), with their open alerts' messages."""
    cases = list(cases)
    alerts = _open_safety_alerts(
        case.episode_id for case in cases if getattr(case, "open_alert", False)
    )
    today = timezone.localdate()
    return [
        QueueRow(
            case,
            alerts.get(case.episode_id, ()),
            # Issue 17: from when the case opened, not from its last return to the queue.
            (today - timezone.localdate(case.flagged_at)).days,
        )
        for case in cases
    ]


def impasse_queue(
    *,
    access: ClinicAccess,
    psychiatrist_id: int | None = None,
    state: str = "",
    criterion: str = "",
) -> list[QueueRow]:
    """Return the clinic's impasse cases by urgency: safety alert, severity, days waiting.

    Without a state, the cases waiting for or under review; with a criterion kind, only the
    cases flagged for it (`CriterionKind`; any other value filters nothing); two queries.
    """
    cases = _queue_cases(access, psychiatrist_id, state).filter(_kind_filter(criterion))
    return _queue_rows(_ordered(cases))


@dataclass(frozen=True)
class QueuePage:
    """One page of the impasse queue, and how many cases each reason for flagging would leave."""

    rows: list[QueueRow]
    # A page of the positions of the matching cases (its numbers and links).
    page: Page[int]
    criterion_counts: dict[CriterionKind, int]


def impasse_queue_page(
    *,
    access: ClinicAccess,
    psychiatrist_id: int | None = None,
    state: str = "",
    criterion: str = "",
    page: str | int | None = None,
) -> QueuePage:
    """Return one page of `impasse_queue`'s rows (the first or last for an unusable number).

    Issue 18: PostgreSQL counts the cases of each reason and orders and cuts the page; only the
    page's cases are loaded, with their patients and alerts: two or three queries whatever the
    queue's length.
    """
    cases = _queue_cases(access, psychiatrist_id, state)
    kind = _kind_filter(criterion)
    counted = cases.aggregate(
        matching=Count("pk", filter=kind) if kind else Count("pk"),
        **{f"kind_{each}": Count("pk", filter=_kind_in_sql(each)) for each in CriterionKind},
    )
    counts = {each: counted[f"kind_{each}"] for each in CriterionKind}
    chosen = Paginator(range(counted["matching"]), QUEUE_PAGE_SIZE).get_page(page)
    first = (chosen.number - 1) * QUEUE_PAGE_SIZE
    ordered = _ordered(cases.filter(kind))
    rows = _queue_rows(ordered[first : first + QUEUE_PAGE_SIZE]) if counted["matching"] else []
    return QueuePage(rows, chosen, counts)


def impasse_queue_count(*, access: ClinicAccess) -> int:
    """Return how many of the clinic's cases wait for a reviewer; 0 for other roles, one query."""
    if not access.can(Permission.REVIEW_IMPASSE):
        return 0
    return ImpasseCase.objects.filter(patient__clinic=access.clinic, state=CaseState.OPEN).count()


def clinic_psychiatrists(*, access: ClinicAccess) -> list[tuple[int, str]]:
    """Return the active clinic's psychiatrists as (user id, name), for the queue filter."""
    people = {
        user.pk: user.get_full_name() or user.get_username()
        for user in records_selectors.clinic_psychiatrists(clinic=access.clinic)
    }
    return sorted(people.items(), key=lambda person: person[1])


def patients_with_active_impasse_case() -> Q:
    """Return the patient condition "has an impasse case in progress" (for patient_search)."""
    active = ImpasseCase.objects.filter(state__in=[state.value for state in ACTIVE_STATES])
    return Q(pk__in=active.values("patient_id"))


# The caseload's words for a case's state, and its order (a case waiting for a reviewer first).
CASELOAD_CASE_STATUS = {
    CaseState.OPEN: "waiting for a reviewer",
    CaseState.UNDER_REVIEW: "under review",
    CaseState.REVIEWED: "reviewed",
    CaseState.CLOSED: "closed",
}
CASE_STATE = "_caseload_case_state"


def caseload_case_annotations() -> dict[str, Any]:
    """Return, per patient, their case in progress (else latest) in words and its sign-off time."""
    cases = ImpasseCase.objects.filter(patient_id=OuterRef("pk")).order_by(
        Case(When(state__in=[state.value for state in ACTIVE_STATES], then=0), default=1),
        "-flagged_at",
        "-pk",
    )
    signed = ImpasseReview.objects.filter(
        case__patient_id=OuterRef("pk"), signed_off_at__isnull=False
    ).order_by("-signed_off_at", "-pk")
    return {
        CASE_STATE: Subquery(cases.values("state")[:1]),
        extensions.CASELOAD_CASE_STATUS: Case(
            *(
                When(**{CASE_STATE: state}, then=Value(words))
                for state, words in CASELOAD_CASE_STATUS.items()
            ),
            default=None,
            output_field=CharField(),
        ),
        extensions.CASELOAD_CASE_RANK: Case(
            *(
                When(**{CASE_STATE: state}, then=rank)
                for rank, state in enumerate(CASELOAD_CASE_STATUS)
            ),
            default=None,
            output_field=IntegerField(),
        ),
        extensions.CASELOAD_REVIEW_SIGNED_AT: Subquery(signed.values("signed_off_at")[:1]),
    }


def signed_reviews(patient_ids: Collection[int]) -> dict[int, extensions.SignedReview]:
    """Return the latest signed-off review of each of the patients that has one (one query)."""
    reviews = (
        ImpasseReview.objects.filter(
            case__patient_id__in=list(patient_ids), signed_off_at__isnull=False
        )
        .select_related("reviewer")
        .annotate(patient_id=F("case__patient_id"))
        .order_by("case__patient_id", "-signed_off_at", "-pk")
        .distinct("case__patient_id")
    )
    return {
        review.patient_id: extensions.SignedReview(
            patient_id=review.patient_id,
            reviewer_id=review.reviewer_id,
            reviewer=review.reviewer.get_full_name() or review.reviewer.get_username(),
            signed_off_at=review.signed_off_at,
            next_steps=review.next_steps,
        )
        for review in reviews
        if review.signed_off_at is not None
    }
