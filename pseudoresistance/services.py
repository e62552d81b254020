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
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cohort.services import episode_snapshot_store
from pseudoresistance.checklist_data import Answer, Scope
from pseudoresistance.criteria import criteria_labels
from pseudoresistance.models import (
    CaseOrigin,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistReview,
    ChecklistVersion,
    EvidenceSource,
    ImpasseCase,
    ImpasseCaseEvent,
    ImpasseReview,
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
from pseudoresistance.selectors import (
    CASE_NOT_FOUND,
    EPISODE_NOT_FOUND,
    ItemRow,
    current_checklist_version,
    episode_assessment,
    episode_recent_safety_alerts,
)
from pseudoresistance.states import (
    ACTIVE_STATES,
    CaseState,
    Transition,
    TransitionRefused,
    next_state,
)
from records.access import NOT_ALLOWED_MESSAGE, Permission, access_for_user
from records.audit import audit_event_write, created, display_value, field_changes, snapshot
from records.models import AuditAction, Episode, Patient

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
    "signed_off_at",
)

ANSWER_VALUES = frozenset(answer.value for answer in Answer)

Errors = dict[str, list[ValidationError]]


class ObjectType(StrEnum):
    """What an audit event of this app is about."""

    CHECKLIST_REVIEW = "checklist_review"
    CHECKLIST_ANSWER = "checklist_answer"
    IMPASSE_CASE = "impasse_case"
    IMPASSE_REVIEW = "impasse_review"


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


def _add(errors: Errors, key: str, message: str, code: str) -> None:
    errors.setdefault(key, []).append(ValidationError(message, code=code))


def _non_field(message: str, code: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: [ValidationError(message, code=code)]})


def _authorise(
    acting_user: "Actor", clinic_id: int, *permissions: Permission, not_found: str
) -> "User":
    """Return the acting user if a member of the clinic with one of the permissions."""
    access = access_for_user(acting_user, clinic_id)
    if access is None or access.clinic.pk != clinic_id:
        raise Http404(not_found)
    if not any(access.can(permission) for permission in permissions):
        raise PermissionDenied(NOT_ALLOWED_MESSAGE.format(clinic=access.clinic.name))
    return access.user


def _lock_patient(patient_id: int) -> None:
    """Lock the patient's row, as every records service does first, so writes serialise."""
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def _episode(episode_id: int) -> Episode:
    episode = (
        Episode.objects.select_related("patient__clinic", "patient__psychiatrist")
        .filter(pk=episode_id)
        .first()
    )
    if episode is None:
        raise Http404(EPISODE_NOT_FOUND)
    return episode


def _audit(
    user: "User",
    patient: Patient,
    action: AuditAction,
    object_type: ObjectType,
    object_id: int,
    changes: dict[str, list[str | None]],
    version: int | None = None,
) -> None:
    audit_event_write(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes=changes,
        object_version=version,
    )


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M")


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
            _add(errors, NON_FIELD_ERRORS, message, "item_not_in_version")
        elif data.trial_id is None:
            _add(errors, NON_FIELD_ERRORS, ITEM_NEEDS_TRIAL.format(code=code), "needs_trial")
        elif not per_trial[code]:
            _add(errors, NON_FIELD_ERRORS, ITEM_NOT_PER_TRIAL.format(code=code), "not_per_trial")
        else:
            _add(errors, NON_FIELD_ERRORS, TRIAL_NOT_IN_EPISODE, "trial_not_in_episode")
        return None
    if key in seen:
        _add(errors, NON_FIELD_ERRORS, ANSWERED_TWICE.format(code=code), "answered_twice")
        return None
    seen.add(key)
    answer, evidence, source = data.answer.strip(), data.evidence.strip(), data.source.strip()
    reason = data.escalation_reason.strip()
    if not (answer or evidence or source or data.escalated or reason):
        return None
    item = row.item
    if answer not in ANSWER_VALUES:
        _add(errors, f"answer_{code}", ANSWER_REQUIRED, "answer_required")
    if source and source not in EvidenceSource.values:
        _add(errors, f"source_{code}", SOURCE_INVALID, "source_invalid")
    if data.escalated and not item.can_escalate:
        _add(errors, NON_FIELD_ERRORS, CANNOT_ESCALATE.format(code=code), "cannot_escalate")
    elif data.escalated and not reason:
        _add(errors, f"escalation_reason_{code}", ESCALATION_NEEDS_REASON, "escalation_reason")
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
            when=_when(stored.answered_at),
        )
        _add(errors, NON_FIELD_ERRORS, message, "stale_edit")
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
    _audit(user, patient, action, ObjectType.CHECKLIST_ANSWER, answer.pk, changes, answer.version)


def checklist_answers_record(
    *, acting_user: "Actor", episode_id: int, answers: Sequence[AnswerInput]
) -> ChecklistReview | None:
    """Record checklist answers for an episode, all or none; re-evaluate the impasse flags.

    An answer equal to the stored one changes nothing; a blank one is skipped. The first answer
    starts the episode's review on the current checklist version. Returns the review (None when
    nothing was answered yet).
    """
    with transaction.atomic():
        episode = _episode(episode_id)
        patient = episode.patient
        user = _authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=EPISODE_NOT_FOUND,
        )
        _lock_patient(patient.pk)
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
                user,
                patient,
                AuditAction.CREATE,
                ObjectType.CHECKLIST_REVIEW,
                review.pk,
                {"episode": [None, str(episode)], "version": [None, review.version.label]},
            )
        else:
            review.updated_by = user
            review.save(update_fields=["updated_by", "updated_at"])
        items = {item.code: item for item in ChecklistItem.objects.filter(version=review.version)}
        for answer in pending:
            _write_answer(answer, review=review, items=items, user=user, patient=patient, now=now)
        impasse_flags_refresh(episode=episode, acting_user=user)
    return review


# ---------------------------------------------------------------------------------------------
# Impasse cases


def _active_case(episode: Episode) -> ImpasseCase | None:
    return (
        ImpasseCase.objects.select_for_update()
        .filter(episode=episode, state__in=[state.value for state in ACTIVE_STATES])
        .first()
    )


def _case_create(
    *,
    episode: Episode,
    user: "User",
    origin: CaseOrigin,
    reason: str,
    criteria: list[str],
    msm_score: int | None,
) -> ImpasseCase:
    now = timezone.now()
    case = ImpasseCase(
        patient=episode.patient,
        episode=episode,
        state=CaseState.OPEN,
        origin=origin,
        flag_reason=reason,
        criteria=criteria,
        msm_score=msm_score,
        flagged_at=now,
        flagged_by=user,
        waiting_since=now,
    )
    case.psychiatrist_noted()
    case.full_clean(exclude=["patient", "episode", "flagged_by"])
    case.save()
    event_reason = reason or FLAGGED_AUTOMATICALLY.format(
        criteria="; ".join(criteria_labels(criteria))
    )
    ImpasseCaseEvent.objects.create(
        case=case, to_state=CaseState.OPEN, reason=event_reason, by=user, at=now
    )
    _audit(
        user,
        episode.patient,
        AuditAction.CREATE,
        ObjectType.IMPASSE_CASE,
        case.pk,
        created(snapshot(case, CASE_FIELDS)),
        case.version,
    )
    return case


def impasse_flags_refresh(*, episode: Episode, acting_user: "Actor") -> ImpasseCase | None:
    """Re-evaluate the automatic impasse criteria of an episode; flag a case when they are met.

    A case in progress keeps its state and gets the criteria met now. Without one, a case opens
    when a criterion is met, unless the episode's last case was closed with every criterion met
    now already met then. Returns the case in progress, if any.
    """
    with transaction.atomic():
        episode = _episode(episode.pk)
        patient = episode.patient
        user = _authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        _lock_patient(patient.pk)
        assessment = episode_assessment(episode)
        episode_snapshot_store(assessment=assessment)
        criteria = [criterion.value for criterion in assessment.criteria]
        msm_score = assessment.msm_score
        case = _active_case(episode)
        if case is not None:
            if (case.criteria, case.msm_score) != (criteria, msm_score):
                before = snapshot(case, CASE_FIELDS)
                case.criteria = criteria
                case.msm_score = msm_score
                case.version += 1
                case.save(update_fields=["criteria", "msm_score", "version", "updated_at"])
                _audit(
                    user,
                    patient,
                    AuditAction.UPDATE,
                    ObjectType.IMPASSE_CASE,
                    case.pk,
                    field_changes(before, snapshot(case, CASE_FIELDS)),
                    case.version,
                )
            return case
        if not criteria or patient.archived_at is not None:
            return None
        last_closed = (
            ImpasseCase.objects.filter(episode=episode, state=CaseState.CLOSED)
            .order_by("-flagged_at", "-pk")
            .first()
        )
        if last_closed is not None and set(criteria) <= set(last_closed.criteria):
            return None
        return _case_create(
            episode=episode,
            user=user,
            origin=CaseOrigin.AUTOMATIC,
            reason="",
            criteria=criteria,
            msm_score=msm_score,
        )


def impasse_case_flag(*, acting_user: "Actor", episode_id: int, reason: str) -> ImpasseCase:
    """Flag an episode as an impasse case by hand, with the reason."""
    with transaction.atomic():
        episode = _episode(episode_id)
        patient = episode.patient
        user = _authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            Permission.REVIEW_IMPASSE,
            not_found=EPISODE_NOT_FOUND,
        )
        _lock_patient(patient.pk)
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": ValidationError(FLAG_NEEDS_REASON, code="reason")})
        active = _active_case(episode)
        if active is not None:
            message = CASE_IN_PROGRESS.format(state=active.get_state_display().lower())
            raise _non_field(message, "case_in_progress")
        assessment = episode_assessment(episode)
        return _case_create(
            episode=episode,
            user=user,
            origin=CaseOrigin.MANUAL,
            reason=reason,
            criteria=[criterion.value for criterion in assessment.criteria],
            msm_score=assessment.msm_score,
        )


def _case_for_action(
    acting_user: "Actor", case_id: int, *permissions: Permission
) -> tuple["User", ImpasseCase]:
    """Authorise the user on the case's clinic, lock the patient, then the case itself."""
    case = ImpasseCase.objects.select_related("patient").filter(pk=case_id).first()
    if case is None:
        raise Http404(CASE_NOT_FOUND)
    user = _authorise(acting_user, case.patient.clinic_id, *permissions, not_found=CASE_NOT_FOUND)
    _lock_patient(case.patient_id)
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
        raise _non_field(str(refused), "transition_refused") from None
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
        user,
        case.patient,
        AuditAction.UPDATE,
        ObjectType.IMPASSE_CASE,
        case.pk,
        changes,
        case.version,
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

    Called by records' patient_update in the transaction of the reassignment (patient locked).
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
            acting_user,
            patient,
            AuditAction.UPDATE,
            ObjectType.IMPASSE_CASE,
            case.pk,
            {PSYCHIATRISTS_CHANGE: [before, display_value(case.responsible_psychiatrist_ids)]},
            case.version,
        )


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
            user,
            case.patient,
            AuditAction.CREATE,
            ObjectType.IMPASSE_REVIEW,
            review.pk,
            {"case": [None, str(case.pk)], "reviewer": [None, user.get_username()]},
            review.version,
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
            user,
            case.patient,
            AuditAction.UPDATE,
            ObjectType.IMPASSE_REVIEW,
            review.pk,
            {"withdrawn_at": [None, now.isoformat(timespec="seconds")]},
            review.version,
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
            raise _non_field(str(TransitionRefused(Transition.SIGN_OFF, state)), "refused")
        message = REVIEW_NOT_IN_PROGRESS.format(state=state.label.lower())
        raise _non_field(message, "review_not_in_progress")
    review = _review_in_progress(case)
    if review.reviewer_id != user.pk:
        name = review.reviewer.get_full_name() or review.reviewer.get_username()
        raise _non_field(NOT_THE_REVIEWER.format(reviewer=name), "not_the_reviewer")
    if review.version != expected_version:
        raise _non_field(STALE_REVIEW.format(when=_when(review.updated_at)), "stale_edit")
    errors: Errors = {}
    version = _checklist_version(case.episode)
    codes = sorted({code.strip() for code in data.factors if code.strip()})
    factors = list(ChecklistItem.objects.filter(version=version, code__in=codes))
    unknown = sorted(set(codes) - {item.code for item in factors})
    if unknown:
        message = FACTOR_NOT_IN_CHECKLIST.format(codes=", ".join(unknown), version=version.label)
        _add(errors, "factors", message, "factor_unknown")
    if data.follow_up_date is not None and data.follow_up_date < timezone.localdate():
        _add(errors, "follow_up_date", FOLLOW_UP_IN_PAST, "follow_up_in_past")
    findings, next_steps = data.findings.strip(), data.next_steps.strip()
    if sign_off and not findings:
        _add(errors, "findings", SIGN_OFF_NEEDS_FINDINGS, "findings_required")
    if sign_off and not next_steps:
        _add(errors, "next_steps", SIGN_OFF_NEEDS_NEXT_STEPS, "next_steps_required")
    safety_note = data.safety_note.strip()
    if sign_off and not safety_note and episode_recent_safety_alerts(episode_id=case.episode_id):
        _add(errors, "safety_note", SIGN_OFF_NEEDS_SAFETY_NOTE, "safety_note_required")
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
    review.version += 1
    review.full_clean(exclude=["case", "reviewer", "factors"])
    review.save(update_fields=[*REVIEW_FIELDS, "version", "updated_at"])
    review.factors.set(factors)
    after = snapshot(review, REVIEW_FIELDS)
    after["factors"] = ", ".join(item.code for item in sorted(factors, key=_position)) or None
    _audit(
        user,
        case.patient,
        AuditAction.UPDATE,
        ObjectType.IMPASSE_REVIEW,
        review.pk,
        field_changes(before, after),
        review.version,
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
            raise _non_field(message, "case_in_progress")
        _transition(case, Transition.REOPEN, user, reason, timezone.now())
    return case
