"""Services write: checklist answers, impasse flags, case transitions and supervisors' reviews.

Every function is keyword-only, runs in one transaction, takes the acting user, authorises them
in the record's clinic (404 outside it, 403 for a role that may not act), locks the patient row
first (the order records' services use), validates, and writes its audit events in the same
transaction. Errors: `ValidationError` naming the field (form field names such as `answer_A4`
for checklist answers), `PermissionDenied`, `Http404`.

`impasse_flags_refresh` is for records' services too: call it after a trial or a rating-scale
score of the episode changes, inside the same transaction.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from pseudoresistance.change_assessments import ChangeAssessment, change_assessments
from pseudoresistance.checklist_data import Answer, Scope
from pseudoresistance.criteria import criteria_labels
from pseudoresistance.cssrs import ScreenAnswers, answer_errors, risk_level
from pseudoresistance.models import (
    CaseOrigin,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    CssrsScreen,
    EvidenceSource,
    ImpasseCase,
    ImpasseCaseEvent,
    ImpasseFlagRules,
    ImpasseReview,
    StatusConfirmation,
)
from pseudoresistance.models.case import (
    FLAG_NEEDS_REASON,
    SIGN_OFF_NEEDS_FINDINGS,
    SIGN_OFF_NEEDS_NEXT_STEPS,
    SIGN_OFF_NEEDS_SAFETY_NOTE,
)
from pseudoresistance.models.case import (
    OWN_PATIENT as OWN_PATIENT,
)
from pseudoresistance.models.checklist import ESCALATION_NEEDS_REASON
from pseudoresistance.models.flag_rules import FLAG_RULE_FIELDS
from pseudoresistance.selectors import (
    CASE_NOT_FOUND,
    EPISODE_NOT_FOUND,
    ItemRow,
    current_checklist_version,
    episode_assessment,
    episode_safety_check,
)
from pseudoresistance.states import (
    ACTIVE_STATES,
    CaseState,
    Transition,
    TransitionRefused,
    next_state,
)
from records.access import Permission
from records.audit import (
    audit_event,
    audit_events_write,
    created,
    display_value,
    field_changes,
    snapshot,
)
from records.extensions import EpisodeChange
from records.history_rows import any_of
from records.models import AuditAction, AuditEvent, Episode, Patient
from records.services.changes import episode_changed
from records.services.clinic_settings import SettingsRow, clinic_settings_save
from records.services.common import (
    Errors,
    add_error,
    authorise,
    episode_for_change,
    lock_patient,
    non_field,
    validate,
    when,
)
from records.statements import Statement

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    Actor = User | AnonymousUser

ITEM_NOT_IN_VERSION = "{code} is not an item of checklist version {version}, so nothing was saved."
ITEM_NEEDS_TRIAL = "{code} is answered per trial: say which trial, so nothing was saved."
ITEM_NOT_PER_TRIAL = "{code} is answered for the episode, not per trial, so nothing was saved."
TRIAL_NOT_IN_EPISODE = "That trial does not belong to this episode, so nothing was saved."
ANSWERED_TWICE = "{code} was answered twice in one submission, so nothing was saved."
ANSWER_REQUIRED = "Choose yes, no or unknown."
SOURCE_INVALID = "Choose record, interview, lab or collateral."
CANNOT_ESCALATE = "{code} has no RED condition to escalate to, so nothing was saved."
STALE_ANSWER = (
    "{where} was changed by {who} at {when} after you opened this page, so nothing was saved. "
    "Review the answer as it stands now and make your change again."
)
REASON_REQUIRED = "Say why."
CASE_IN_PROGRESS = "This episode already has an impasse case in progress ({state})."
NOT_THE_REVIEWER = (
    "{reviewer} is reviewing this case; only they can record or sign off this review."
)
REVIEW_NOT_IN_PROGRESS = "This case is {state}: take it for review before recording a review."
STALE_REVIEW = (
    "The review was saved elsewhere at {when} after you opened it, so nothing was saved. "
    "Reload the page and make your change again."
)
FOLLOW_UP_IN_PAST = "The follow-up date cannot be in the past."
FACTOR_NOT_IN_CHECKLIST = "{codes}: not items of checklist version {version}."
FLAGGED_AUTOMATICALLY = "Flagged automatically: {criteria}."
CRITERIA_NO_LONGER_MET = (
    "Closed automatically: none of the criteria that flagged it is met any longer."
)

ANSWER_FIELDS = (
    "item",
    "trial",
    "answer",
    "evidence",
    "source",
    "derived_answer",
    "escalated",
    "escalation_reason",
)
CASE_FIELDS = (
    "state",
    "origin",
    "flag_reason",
    "criteria",
    "msm_score",
    "responsible_psychiatrist_ids",
)
# The audit name of the users who may not review a case, having been its psychiatrist.
PSYCHIATRISTS_CHANGE = "responsible_psychiatrist_ids"
REVIEW_FIELDS = (
    "findings",
    "factors_note",
    "next_steps",
    "follow_up_date",
    "safety_note",
    "cssrs_screen",
    "signed_off_at",
)

ANSWER_VALUES = frozenset(answer.value for answer in Answer)
# What this app's audit events are about (records' ObjectType names records' own).
CHECKLIST_REVIEW_OBJECT = "checklist_review"
CHECKLIST_ANSWER_OBJECT = "checklist_answer"
IMPASSE_CASE_OBJECT = "impasse_case"
IMPASSE_REVIEW_OBJECT = "impasse_review"
FLAG_RULES_OBJECT = "impasse_flag_rules"
CSSRS_SCREEN_OBJECT = "cssrs_screen"
SCREEN_IN_FUTURE = "The date of the screen cannot be in the future."
SCREEN_BEFORE_EPISODE = "The screen cannot be dated before the episode began."
FLAG_RULES_THING = "The clinic's impasse flag rules"


@dataclass(frozen=True, kw_only=True)
class AnswerInput:
    """One checklist answer as the form gives it; blank text means not given.

    `expected_version` is the stored answer's version when the page was opened (0: none).
    """

    item_code: str
    trial_id: int | None = None
    answer: str = ""
    evidence: str = ""
    source: str = ""
    escalated: bool = False
    escalation_reason: str = ""
    expected_version: int = 0


@dataclass(frozen=True, kw_only=True)
class ReviewInput:
    """A supervisor's review as the form gives it; `factors` are checklist item codes."""

    findings: str = ""
    factors: Sequence[str] = field(default_factory=tuple)
    factors_note: str = ""
    next_steps: str = ""
    follow_up_date: datetime.date | None = None
    safety_note: str = ""


def _event(
    user: "User | None",
    patient: Patient,
    action: AuditAction,
    object_type: str,
    object_id: int,
    changes: dict[str, list[str | None]],
    version: int | None = None,
) -> AuditEvent:
    """Return one audit event of this app about a patient's record, not yet written."""
    return audit_event(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes=changes,
        object_version=version,
    )


def _audit(*events: AuditEvent) -> None:
    """Write audit events in the transaction of the change they record."""
    audit_events_write(events)


# ---------------------------------------------------------------------------------------------
# Checklist answers


@dataclass(frozen=True)
class _Pending:
    row: ItemRow
    answer: str
    evidence: str
    source: str
    escalated: bool
    escalation_reason: str


def _check_answer(
    data: AnswerInput,
    rows: dict[tuple[str, int | None], ItemRow],
    version: ChecklistVersion,
    per_trial: dict[str, bool],
    seen: set[tuple[str, int | None]],
    errors: Errors,
) -> _Pending | None:
    """Validate one answer; return it when it changes what is stored."""
    code = data.item_code.strip()
    key = (code, data.trial_id)
    row = rows.get(key)
    if row is None:
        if code not in per_trial:
            message = ITEM_NOT_IN_VERSION.format(code=code, version=version.label)
            add_error(errors, NON_FIELD_ERRORS, message, "item_not_in_version")
        elif data.trial_id is None:
            add_error(errors, NON_FIELD_ERRORS, ITEM_NEEDS_TRIAL.format(code=code), "needs_trial")
        elif not per_trial[code]:
            add_error(
                errors, NON_FIELD_ERRORS, ITEM_NOT_PER_TRIAL.format(code=code), "not_per_trial"
            )
        else:
            add_error(errors, NON_FIELD_ERRORS, TRIAL_NOT_IN_EPISODE, "trial_not_in_episode")
        return None
    if key in seen:
        add_error(errors, NON_FIELD_ERRORS, ANSWERED_TWICE.format(code=code), "answered_twice")
        return None
    seen.add(key)
    answer, evidence, source = data.answer.strip(), data.evidence.strip(), data.source.strip()
    reason = data.escalation_reason.strip()
    if not (answer or evidence or source or data.escalated or reason):
        return None
    item = row.item
    if answer not in ANSWER_VALUES:
        add_error(errors, f"answer_{code}", ANSWER_REQUIRED, "answer_required")
    if source and source not in EvidenceSource.values:
        add_error(errors, f"source_{code}", SOURCE_INVALID, "source_invalid")
    if data.escalated and not item.can_escalate:
        add_error(errors, NON_FIELD_ERRORS, CANNOT_ESCALATE.format(code=code), "cannot_escalate")
    elif data.escalated and not reason:
        add_error(errors, f"escalation_reason_{code}", ESCALATION_NEEDS_REASON, "escalation_reason")
    escalated = data.escalated and item.can_escalate
    pending = _Pending(row, answer, evidence, source, escalated, reason if escalated else "")
    stored = row.stored
    if stored is not None and (
        stored.answer,
        stored.evidence,
        stored.source,
        stored.escalated,
        stored.escalation_reason,
    ) == (answer, evidence, source, escalated, pending.escalation_reason):
        return None
    stored_version = stored.version if stored is not None else 0
    if stored is not None and stored_version != data.expected_version:
        where = f"{code} on {row.trial.code}" if row.trial is not None else code
        message = STALE_ANSWER.format(
            where=where,
            who=stored.answered_by.get_full_name() or stored.answered_by.get_username(),
            when=when(stored.answered_at),
        )
        add_error(errors, NON_FIELD_ERRORS, message, "stale_edit")
    return pending


def _write_answer(
    pending: _Pending,
    *,
    review: ChecklistReview,
    items: dict[str, ChecklistItem],
    user: "User",
    patient: Patient,
    now: datetime.datetime,
) -> None:
    row = pending.row
    derived = row.derived.answer.value if row.derived is not None else ""
    stored = row.stored
    answer = stored or ChecklistAnswer(review=review, item=items[row.code], trial=row.trial)
    before = snapshot(answer, ANSWER_FIELDS) if stored is not None else {}
    answer.answer = pending.answer
    answer.evidence = pending.evidence
    answer.source = pending.source
    answer.escalated = pending.escalated
    answer.escalation_reason = pending.escalation_reason
    answer.derived_answer = derived
    answer.answered_by = user
    answer.answered_at = now
    if stored is not None:
        answer.version += 1
    answer.full_clean(exclude=["review", "item", "trial", "answered_by"])
    after = snapshot(answer, ANSWER_FIELDS)
    if stored is None:
        answer.save()
        action, changes = AuditAction.CREATE, created(after)
    else:
        answer.save(
            update_fields=[
                "answer",
                "evidence",
                "source",
                "escalated",
                "escalation_reason",
                "derived_answer",
                "answered_by",
                "answered_at",
                "version",
            ]
        )
        action, changes = AuditAction.UPDATE, field_changes(before, after)
    _audit(
        _event(user, patient, action, CHECKLIST_ANSWER_OBJECT, answer.pk, changes, answer.version)
    )


def checklist_answers_record(
    *, acting_user: "Actor", episode_id: int, answers: Sequence[AnswerInput]
) -> ChecklistReview | None:
    """Record checklist answers for an episode, all or none; re-evaluate the impasse flags.

    An answer equal to the stored one changes nothing; a blank one is skipped. The first answer
    starts the episode's review on the current checklist version. Returns the review (None when
    nothing was answered yet).
    """
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user, episode_id, Permission.EDIT_CLINICAL_DATA, not_found=EPISODE_NOT_FOUND
        )
        patient = episode.patient
        assessment = episode_assessment(episode)
        rows: dict[tuple[str, int | None], ItemRow] = {}
        for section in assessment.trial_sections:
            rows.update({(row.code, section.trial.pk): row for row in section.rows})
        for domain_section in assessment.domain_sections:
            rows.update({(row.code, None): row for row in domain_section.rows})
        errors: Errors = {}
        seen: set[tuple[str, int | None]] = set()
        per_trial = {item.code: item.scope is Scope.TRIAL for item in assessment.items}
        pending = [
            checked
            for data in answers
            if (checked := _check_answer(data, rows, assessment.version, per_trial, seen, errors))
        ]
        if errors:
            raise ValidationError(errors)
        review = assessment.review
        if not pending:
            return review
        now = timezone.now()
        if review is None:
            review = ChecklistReview.objects.create(
                episode=episode, version=assessment.version, created_by=user, updated_by=user
            )
            _audit(
                _event(
                    user,
                    patient,
                    AuditAction.CREATE,
                    CHECKLIST_REVIEW_OBJECT,
                    review.pk,
                    {"episode": [None, str(episode)], "version": [None, review.version.label]},
                )
            )
        else:
            review.updated_by = user
            review.save(update_fields=["updated_by", "updated_at"])
        items = {item.code: item for item in ChecklistItem.objects.filter(version=review.version)}
        for answer in pending:
            _write_answer(answer, review=review, items=items, user=user, patient=patient, now=now)
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return review


# ---------------------------------------------------------------------------------------------
# Impasse cases


def _active_case(episode: Episode) -> ImpasseCase | None:
    return (
        ImpasseCase.objects.select_for_update()
        .filter(episode=episode, state__in=[state.value for state in ACTIVE_STATES])
        .first()
    )


@dataclass(frozen=True)
class _Flag:
    """A case to open: the episode and what flags it."""

    episode: Episode
    criteria: list[str]
    msm_score: int | None


def _cases_create(
    flags: Sequence[_Flag],
    *,
    user: "User | None",
    origin: CaseOrigin,
    reason: str,
    validate_constraints: bool,
) -> list[ImpasseCase]:
    """Open cases, each with its first event and audit event, in three statements."""
    # After a change the patients are locked and their cases read, so the one-case-in-progress
    # constraint holds without a query per case (the database still enforces it).
    now = timezone.now()
    cases = []
    for flag in flags:
        case = ImpasseCase(
            patient=flag.episode.patient,
            episode=flag.episode,
            state=CaseState.OPEN,
            origin=origin,
            flag_reason=reason,
            criteria=flag.criteria,
            msm_score=flag.msm_score,
            flagged_at=now,
            flagged_by=user,
            waiting_since=now,
        )
        case.psychiatrist_noted()
        case.full_clean(
            exclude=["patient", "episode", "flagged_by"], validate_constraints=validate_constraints
        )
        cases.append(case)
    ImpasseCase.objects.bulk_create(cases)
    ImpasseCaseEvent.objects.bulk_create(
        ImpasseCaseEvent(
            case=case,
            to_state=CaseState.OPEN,
            reason=reason
            or FLAGGED_AUTOMATICALLY.format(criteria="; ".join(criteria_labels(case.criteria))),
            by=user,
            at=now,
        )
        for case in cases
    )
    _audit(
        *(
            _event(
                user,
                case.patient,
                AuditAction.CREATE,
                IMPASSE_CASE_OBJECT,
                case.pk,
                created(snapshot(case, CASE_FIELDS)),
                case.version,
            )
            for case in cases
        )
    )
    return cases


def _withdraw(case: ImpasseCase, user: "User | None", now: datetime.datetime) -> None:
    """Close an automatic case still waiting whose criteria no longer hold; audited."""
    before = snapshot(case, CASE_FIELDS)
    case.state = next_state(Transition.WITHDRAW, case.current_state)
    case.version += 1
    case.save(update_fields=["state", "version", "updated_at"])
    ImpasseCaseEvent.objects.create(
        case=case,
        transition=Transition.WITHDRAW,
        from_state=CaseState.OPEN,
        to_state=CaseState.CLOSED,
        reason=CRITERIA_NO_LONGER_MET,
        by=user,
        at=now,
    )
    changes = field_changes(before, snapshot(case, CASE_FIELDS))
    changes["reason"] = [None, CRITERIA_NO_LONGER_MET]
    _audit(
        _event(
            user,
            case.patient,
            AuditAction.UPDATE,
            IMPASSE_CASE_OBJECT,
            case.pk,
            changes,
            case.version,
        )
    )


def _flags_apply(
    assessment: ChangeAssessment,
    case: ImpasseCase | None,
    last_closed: ImpasseCase | None,
    user: "User | None",
) -> tuple[list[str], int | None] | None:
    """Bring one episode's case in progress in line with its criteria; return a case to open."""
    criteria = list(assessment.criteria)
    msm_score = assessment.msm_score
    if case is not None:
        if (case.criteria, case.msm_score) != (criteria, msm_score):
            before = snapshot(case, CASE_FIELDS)
            case.criteria = criteria
            case.msm_score = msm_score
            case.version += 1
            case.save(update_fields=["criteria", "msm_score", "version", "updated_at"])
            _audit(
                _event(
                    user,
                    case.patient,
                    AuditAction.UPDATE,
                    IMPASSE_CASE_OBJECT,
                    case.pk,
                    field_changes(before, snapshot(case, CASE_FIELDS)),
                    case.version,
                )
            )
        waiting = case.current_state is CaseState.OPEN and case.origin == CaseOrigin.AUTOMATIC
        if waiting and not criteria:
            _withdraw(case, user, timezone.now())
        return None
    if not criteria or assessment.patient.archived_at is not None:
        return None
    if last_closed is not None and set(criteria) <= set(last_closed.criteria):
        return None
    return criteria, msm_score


# The cases of some episodes, each episode's latest first: its one in progress (a constraint
# holds it to one), then its closed ones.
_EPISODE_CASES = Statement(
    lambda ids: (
        ImpasseCase.objects.select_for_update(of=("self",))
        .select_related("patient")
        .filter(any_of("episode_id", ids))
        .order_by("episode_id", "-flagged_at", "-pk")
    )
)
_FLAGGED_EPISODES = Statement(
    lambda ids: Episode.objects.select_related("patient").filter(any_of("pk", ids))
)


def impasse_flags_after_change(change: EpisodeChange) -> None:
    """Bring the impasse cases of a change's episodes in line with the criteria met now.

    Registered with records (records.extensions), so it runs at the end of every change, in its
    transaction, for the user already authorised for the change (None: the system). A case in
    progress gets the criteria met now; an automatic one still waiting for a reviewer is closed
    when none is met any longer. Without a case, one opens when a criterion is met, unless the
    patient is archived or the episode's last case was closed with every criterion met now
    already met then.
    """
    assessments = change_assessments(change)
    if not assessments:
        return
    # The patients are locked by the change path (records.services.changes), so their cases
    # stay as read here until the change ends.
    active: dict[int, ImpasseCase] = {}
    last_closed: dict[int, ImpasseCase] = {}
    for case in _EPISODE_CASES.rows(list(assessments)):
        if case.state == CaseState.CLOSED:
            last_closed.setdefault(case.episode_id, case)
        else:
            active[case.episode_id] = case
    user = change.acting_user
    opening = {
        episode_id: found
        for episode_id, assessment in assessments.items()
        if (
            found := _flags_apply(
                assessment, active.get(episode_id), last_closed.get(episode_id), user
            )
        )
    }
    if not opening:
        return
    episodes = _FLAGGED_EPISODES.by_pk(list(opening))
    flags = [
        _Flag(episodes[episode_id], criteria, msm_score)
        for episode_id, (criteria, msm_score) in opening.items()
    ]
    _cases_create(
        flags, user=user, origin=CaseOrigin.AUTOMATIC, reason="", validate_constraints=False
    )


def impasse_flags_refresh(*, episode: Episode, acting_user: "Actor") -> ImpasseCase | None:
    """Re-evaluate the automatic impasse criteria of an episode (and its patient's others).

    The same rules as after any change (`impasse_flags_after_change`), through records' one
    change path, so the staging snapshots follow too. Returns the episode's case in progress.
    """
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user,
            episode.pk,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
        return _active_case(episode)


def patient_impasse_records_erase(patient: Patient) -> dict[str, int]:
    """Delete what this app holds about a patient being erased; return the rows, counted.

    Registered with records' erasure (records.extensions): runs in its transaction.
    """
    reviews = ImpasseReview.objects.filter(case__patient=patient)
    cases = ImpasseCase.objects.filter(patient=patient)
    checklist_reviews = ChecklistReview.objects.filter(episode__patient=patient)
    confirmations = StatusConfirmation.objects.filter(episode__patient=patient)
    counts = {
        "impasse_reviews": reviews.count(),
        "impasse_cases": cases.count(),
        "checklist_reviews": checklist_reviews.count(),
        "status_confirmations": confirmations.count(),
    }
    screens = CssrsScreen.objects.filter(patient=patient)
    counts["cssrs_screens"] = screens.count()
    reviews.delete()
    screens.delete()
    ImpasseCaseEvent.objects.filter(case__patient=patient).delete()
    cases.delete()
    ChecklistAnswer.objects.filter(review__episode__patient=patient).delete()
    checklist_reviews.delete()
    confirmations.delete()
    return counts


STATUS_CONFIRMATION_OBJECT = "status_confirmation"
STATUS_CHANGED = (
    "The status changed since the page was loaded; nothing was confirmed. Read the status again "
    "and confirm it if it stands."
)


def checklist_status_confirm(
    *, acting_user: "Actor", episode_id: int, status_text: str
) -> StatusConfirmation:
    """Record that a clinician confirms the episode's case status as they read it (audited).

    `status_text` is the status the clinician saw; it must still be the status shown, so a
    status that changed under them is never confirmed in their name.
    """
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user,
            episode_id,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        patient = episode.patient
        report = episode_assessment(episode).status
        if status_text != report.text:
            raise non_field(STATUS_CHANGED, "status_changed")
        confirmation = StatusConfirmation(
            episode=episode,
            status=report.status.value,
            status_text=report.text,
            confirmed_by=user,
            confirmed_at=timezone.now(),
        )
        confirmation.full_clean(exclude=["episode", "confirmed_by"])
        confirmation.save()
        _audit(
            _event(
                user,
                patient,
                AuditAction.CREATE,
                STATUS_CONFIRMATION_OBJECT,
                confirmation.pk,
                {"episode": [None, str(episode)], "status": [None, report.text]},
            )
        )
    return confirmation


def impasse_case_flag(*, acting_user: "Actor", episode_id: int, reason: str) -> ImpasseCase:
    """Flag an episode as an impasse case by hand, with the reason."""
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user,
            episode_id,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": ValidationError(FLAG_NEEDS_REASON, code="reason")})
        active = _active_case(episode)
        if active is not None:
            message = CASE_IN_PROGRESS.format(state=active.get_state_display().lower())
            raise non_field(message, "case_in_progress")
        assessment = episode_assessment(episode)
        criteria = list(assessment.criteria)
        [case] = _cases_create(
            [_Flag(episode, criteria, assessment.msm_score)],
            user=user,
            origin=CaseOrigin.MANUAL,
            reason=reason,
            validate_constraints=True,
        )
        return case


def _case_for_action(
    acting_user: "Actor", case_id: int, *permissions: Permission
) -> tuple["User", ImpasseCase]:
    """Authorise the user on the case's clinic, lock the patient, then the case itself."""
    case = ImpasseCase.objects.select_related("patient").filter(pk=case_id).first()
    if case is None:
        raise Http404(CASE_NOT_FOUND)
    user = authorise(
        acting_user, case.patient.clinic_id, *permissions, not_found=CASE_NOT_FOUND
    ).user
    lock_patient(case.patient_id)
    locked = (
        ImpasseCase.objects.select_for_update(of=("self",))
        .select_related("patient__psychiatrist", "episode")
        .get(pk=case_id)
    )
    return user, locked


def _transition(
    case: ImpasseCase, transition: Transition, user: "User", reason: str, now: datetime.datetime
) -> None:
    """Move the case on, or refuse a transition its state does not allow; audited."""
    old = case.current_state
    try:
        new = next_state(transition, old)
    except TransitionRefused as refused:
        raise non_field(str(refused), "transition_refused") from None
    case.state = new
    case.version += 1
    fields = ["state", "version", "updated_at"]
    changes: dict[str, list[str | None]] = {
        "state": [old.label, new.label],
        "reason": [None, reason or None],
    }
    if new is CaseState.OPEN:
        case.waiting_since = now
        fields.append("waiting_since")
    before = display_value(case.responsible_psychiatrist_ids)
    if case.psychiatrist_noted():
        # A closed case reopened for a patient reassigned meanwhile.
        fields.append(PSYCHIATRISTS_CHANGE)
        changes[PSYCHIATRISTS_CHANGE] = [before, display_value(case.responsible_psychiatrist_ids)]
    case.save(update_fields=fields)
    ImpasseCaseEvent.objects.create(
        case=case,
        transition=transition,
        from_state=old,
        to_state=new,
        reason=reason,
        by=user,
        at=now,
    )
    _audit(
        _event(
            user,
            case.patient,
            AuditAction.UPDATE,
            IMPASSE_CASE_OBJECT,
            case.pk,
            changes,
            case.version,
        )
    )


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(REASON_REQUIRED, code="reason")})
    return reason


def _refuse_self_review(case: ImpasseCase, user: "User") -> None:
    conflict = case.review_conflict(user.pk)
    if conflict is not None:
        raise PermissionDenied(conflict)


def impasse_cases_reassigned(*, patient: Patient, acting_user: "User") -> None:
    """Note the patient's new psychiatrist on their cases in progress: they may never review them.

    Run from records' patient_update in the transaction of the reassignment (patient locked).
    """
    cases = ImpasseCase.objects.select_for_update().filter(
        patient=patient, state__in=[state.value for state in ACTIVE_STATES]
    )
    for case in cases:
        case.patient = patient
        before = display_value(case.responsible_psychiatrist_ids)
        if not case.psychiatrist_noted():
            continue
        case.version += 1
        case.save(update_fields=[PSYCHIATRISTS_CHANGE, "version", "updated_at"])
        _audit(
            _event(
                acting_user,
                patient,
                AuditAction.UPDATE,
                IMPASSE_CASE_OBJECT,
                case.pk,
                {PSYCHIATRISTS_CHANGE: [before, display_value(case.responsible_psychiatrist_ids)]},
                case.version,
            )
        )


def impasse_cases_reassigned_listener(patient: Patient, acting_user: "User") -> None:
    """Note a reassignment on the patient's cases (records.extensions.on_patient_reassigned)."""
    impasse_cases_reassigned(patient=patient, acting_user=acting_user)


def impasse_review_start(*, acting_user: "Actor", case_id: int) -> ImpasseReview:
    """Take an open case for review; a second reviewer at the same time is refused."""
    with transaction.atomic():
        user, case = _case_for_action(acting_user, case_id, Permission.REVIEW_IMPASSE)
        _refuse_self_review(case, user)
        now = timezone.now()
        _transition(case, Transition.START_REVIEW, user, "", now)
        review = ImpasseReview(case=case, reviewer=user, started_at=now)
        review.full_clean(exclude=["case", "reviewer"])
        review.save()
        _audit(
            _event(
                user,
                case.patient,
                AuditAction.CREATE,
                IMPASSE_REVIEW_OBJECT,
                review.pk,
                {"case": [None, str(case.pk)], "reviewer": [None, user.get_username()]},
                review.version,
            )
        )
    return review


def _review_in_progress(case: ImpasseCase) -> ImpasseReview:
    return (
        ImpasseReview.objects.select_for_update()
        .select_related("reviewer")
        .get(case=case, signed_off_at__isnull=True, withdrawn_at__isnull=True)
    )


def impasse_review_release(*, acting_user: "Actor", case_id: int, reason: str) -> ImpasseCase:
    """Hand a case under review back to the queue, with the reason; the draft is withdrawn."""
    with transaction.atomic():
        user, case = _case_for_action(acting_user, case_id, Permission.REVIEW_IMPASSE)
        reason = _require_reason(reason)
        now = timezone.now()
        _transition(case, Transition.RELEASE, user, reason, now)
        review = _review_in_progress(case)
        review.withdrawn_at = now
        review.version += 1
        review.save(update_fields=["withdrawn_at", "version", "updated_at"])
        _audit(
            _event(
                user,
                case.patient,
                AuditAction.UPDATE,
                IMPASSE_REVIEW_OBJECT,
                review.pk,
                {"withdrawn_at": [None, now.isoformat(timespec="seconds")]},
                review.version,
            )
        )
    return case


def _checklist_version(episode: Episode) -> ChecklistVersion:
    review = (
        ChecklistReview.objects.filter(episode=episode)
        .select_related("version")
        .order_by("-created_at", "-pk")
        .first()
    )
    return review.version if review is not None else current_checklist_version()


def _review_write(
    *,
    acting_user: "Actor",
    case_id: int,
    data: ReviewInput,
    expected_version: int,
    sign_off: bool,
) -> ImpasseReview:
    user, case = _case_for_action(acting_user, case_id, Permission.REVIEW_IMPASSE)
    _refuse_self_review(case, user)
    state = case.current_state
    if state is not CaseState.UNDER_REVIEW:
        if sign_off:
            raise non_field(str(TransitionRefused(Transition.SIGN_OFF, state)), "refused")
        message = REVIEW_NOT_IN_PROGRESS.format(state=state.label.lower())
        raise non_field(message, "review_not_in_progress")
    review = _review_in_progress(case)
    if review.reviewer_id != user.pk:
        name = review.reviewer.get_full_name() or review.reviewer.get_username()
        raise non_field(NOT_THE_REVIEWER.format(reviewer=name), "not_the_reviewer")
    if review.version != expected_version:
        raise non_field(STALE_REVIEW.format(when=when(review.updated_at)), "stale_edit")
    errors: Errors = {}
    version = _checklist_version(case.episode)
    codes = sorted({code.strip() for code in data.factors if code.strip()})
    factors = list(ChecklistItem.objects.filter(version=version, code__in=codes))
    unknown = sorted(set(codes) - {item.code for item in factors})
    if unknown:
        message = FACTOR_NOT_IN_CHECKLIST.format(codes=", ".join(unknown), version=version.label)
        add_error(errors, "factors", message, "factor_unknown")
    if data.follow_up_date is not None and data.follow_up_date < timezone.localdate():
        add_error(errors, "follow_up_date", FOLLOW_UP_IN_PAST, "follow_up_in_past")
    findings, next_steps = data.findings.strip(), data.next_steps.strip()
    if sign_off and not findings:
        add_error(errors, "findings", SIGN_OFF_NEEDS_FINDINGS, "findings_required")
    if sign_off and not next_steps:
        add_error(errors, "next_steps", SIGN_OFF_NEEDS_NEXT_STEPS, "next_steps_required")
    safety_note = data.safety_note.strip()
    screen = None
    if sign_off:
        safety = episode_safety_check(episode_id=case.episode_id)
        screen = safety.screen
        if safety.needs_acknowledgement and screen is None and not safety_note:
            add_error(errors, "safety_note", SIGN_OFF_NEEDS_SAFETY_NOTE, "safety_note_required")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    before = snapshot(review, REVIEW_FIELDS)
    before["factors"] = ", ".join(item.code for item in review.factors.all()) or None
    review.findings = findings
    review.factors_note = data.factors_note.strip()
    review.next_steps = next_steps
    review.follow_up_date = data.follow_up_date
    review.safety_note = safety_note
    if sign_off:
        review.signed_off_at = now
        review.cssrs_screen = screen
    review.version += 1
    review.full_clean(exclude=["case", "reviewer", "factors"])
    review.save(update_fields=[*REVIEW_FIELDS, "version", "updated_at"])
    review.factors.set(factors)
    after = snapshot(review, REVIEW_FIELDS)
    after["factors"] = ", ".join(item.code for item in sorted(factors, key=_position)) or None
    _audit(
        _event(
            user,
            case.patient,
            AuditAction.UPDATE,
            IMPASSE_REVIEW_OBJECT,
            review.pk,
            field_changes(before, after),
            review.version,
        )
    )
    if sign_off:
        _transition(case, Transition.SIGN_OFF, user, "", now)
    return review


def _position(item: ChecklistItem) -> int:
    return item.position


def impasse_review_save(
    *, acting_user: "Actor", case_id: int, data: ReviewInput, expected_version: int
) -> ImpasseReview:
    """Save the reviewer's draft of a review without signing it off."""
    with transaction.atomic():
        return _review_write(
            acting_user=acting_user,
            case_id=case_id,
            data=data,
            expected_version=expected_version,
            sign_off=False,
        )


def impasse_review_sign_off(
    *, acting_user: "Actor", case_id: int, data: ReviewInput, expected_version: int
) -> ImpasseReview:
    """Record and sign off the review: findings, factors, next steps, follow-up; case reviewed."""
    with transaction.atomic():
        return _review_write(
            acting_user=acting_user,
            case_id=case_id,
            data=data,
            expected_version=expected_version,
            sign_off=True,
        )


def impasse_case_close(*, acting_user: "Actor", case_id: int, reason: str) -> ImpasseCase:
    """Close a reviewed case, with the reason."""
    with transaction.atomic():
        user, case = _case_for_action(
            acting_user, case_id, Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE
        )
        reason = _require_reason(reason)
        _transition(case, Transition.CLOSE, user, reason, timezone.now())
    return case


def impasse_case_reopen(*, acting_user: "Actor", case_id: int, reason: str) -> ImpasseCase:
    """Reopen a reviewed or closed case for another review, with the reason."""
    with transaction.atomic():
        user, case = _case_for_action(
            acting_user, case_id, Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE
        )
        reason = _require_reason(reason)
        other = _active_case(case.episode)
        if other is not None and other.pk != case.pk:
            message = CASE_IN_PROGRESS.format(state=other.get_state_display().lower())
            raise non_field(message, "case_in_progress")
        _transition(case, Transition.REOPEN, user, reason, timezone.now())
    return case


# ---------------------------------------------------------------------------------------------
# The clinic's flag rules


@dataclass(frozen=True, kw_only=True)
class FlagRulesInput:
    """The flag rules as the settings form gives them."""

    fda_ema_met: bool
    msm_enabled: bool
    msm_min_score: int
    red_concern: bool
    long_episode_enabled: bool
    long_episode_points: int


# New rules apply at once through records' one change path for every episode of the clinic:
# waiting automatic cases no rule flags any longer close, cases in progress get the criteria met
# now, and cases open where a rule now flags.
FLAG_RULES = SettingsRow(
    model=ImpasseFlagRules,
    fields=FLAG_RULE_FIELDS,
    object_type=FLAG_RULES_OBJECT,
    thing=FLAG_RULES_THING,
    restage=True,
)


def impasse_flag_rules_update(
    *, acting_user: "Actor", clinic_id: int, data: FlagRulesInput, expected_version: int
) -> ImpasseFlagRules:
    """Set which criteria open an impasse case in the clinic (clinic admins); audited.

    `expected_version` is the version the editor loaded (0 while the clinic is on the defaults).
    """
    saved = clinic_settings_save(
        acting_user=acting_user,
        clinic_id=clinic_id,
        row=FLAG_RULES,
        values={name: getattr(data, name) for name in FLAG_RULE_FIELDS},
        expected_version=expected_version,
    )
    return cast(ImpasseFlagRules, saved)


# ---------------------------------------------------------------------------------------------
# C-SSRS screens


@dataclass(frozen=True, kw_only=True)
class ScreenInput:
    """A C-SSRS screener as the form gives it: its date and six answers."""

    screened_on: datetime.date
    answers: ScreenAnswers


SCREEN_FIELDS = (
    "screened_on",
    "wish_to_be_dead",
    "suicidal_thoughts",
    "thoughts_with_method",
    "intent",
    "plan_with_intent",
    "behaviour",
    "behaviour_past_3_months",
    "risk_level",
)


def cssrs_screen_record(*, acting_user: "Actor", episode_id: int, data: ScreenInput) -> CssrsScreen:
    """Record a C-SSRS screen of an episode with the risk level its answers imply; audited."""
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user,
            episode_id,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        patient = episode.patient
        errors: Errors = {}
        for name, message in answer_errors(data.answers).items():
            add_error(errors, name, message, "not_asked")
        if data.screened_on > timezone.localdate():
            add_error(errors, "screened_on", SCREEN_IN_FUTURE, "in_future")
        elif data.screened_on < episode.onset_date:
            add_error(errors, "screened_on", SCREEN_BEFORE_EPISODE, "before_episode")
        answers = data.answers
        screen = CssrsScreen(
            patient=patient,
            episode=episode,
            screened_on=data.screened_on,
            wish_to_be_dead=answers.wish_to_be_dead,
            suicidal_thoughts=answers.suicidal_thoughts,
            thoughts_with_method=answers.thoughts_with_method,
            intent=answers.intent,
            plan_with_intent=answers.plan_with_intent,
            behaviour=answers.behaviour,
            behaviour_past_3_months=answers.behaviour_past_3_months,
            risk_level=risk_level(answers),
            recorded_by=user,
            recorded_at=timezone.now(),
        )
        validate(screen, errors, exclude=["patient", "episode", "recorded_by"])
        screen.save()
        _audit(
            _event(
                user,
                patient,
                AuditAction.CREATE,
                CSSRS_SCREEN_OBJECT,
                screen.pk,
                created(snapshot(screen, SCREEN_FIELDS)),
            )
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return screen
