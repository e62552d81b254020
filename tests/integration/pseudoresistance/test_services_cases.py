"""Impasse cases: automatic and manual flags, the review, sign-off, close and reopen."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pseudoresistance.models import ImpasseCase, ImpasseCaseEvent, ImpasseReview
from pseudoresistance.services import (
    FOLLOW_UP_IN_PAST,
    IMPASSE_CASE_OBJECT,
    IMPASSE_REVIEW_OBJECT,
    OWN_PATIENT,
    ReviewInput,
    impasse_case_close,
    impasse_case_flag,
    impasse_case_reopen,
    impasse_flags_refresh,
    impasse_review_release,
    impasse_review_save,
    impasse_review_sign_off,
    impasse_review_start,
)
from pseudoresistance.states import CaseState
from records.models import AuditAction, AuditEvent, Episode, Patient, SeverityCategory
from records.services import PatientInput, TrialInput, patient_update, trial_record
from tests.factories import EpisodeFactory, ImpasseCaseFactory, builtin_agent, recent_onset

pytestmark = pytest.mark.django_db

REVIEW = ReviewInput(
    findings="Adherence never checked; bipolarity screen missing.",
    factors=("A5", "B1"),
    next_steps="Pharmacy refill check; MDQ at next visit.",
    follow_up_date=timezone.localdate() + datetime.timedelta(days=28),
)


def case_events(case: ImpasseCase) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=IMPASSE_CASE_OBJECT, object_id=case.pk).order_by("id")
    )


def refused(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.message_dict[NON_FIELD_ERRORS])


def record_failed_trial(user: User, episode: Episode, agent: str, dose: int) -> None:
    trial_record(
        acting_user=user,
        episode_id=episode.pk,
        data=TrialInput(
            kind="antidepressant",
            start_date=episode.onset_date + datetime.timedelta(days=7),
            agent=builtin_agent(agent),
            dose_mg_per_day=Decimal(dose),
            weeks=Decimal(8),
            adherence="good",
            percent_symptom_reduction=Decimal(15),
        ),
    )


# --- automatic flags ---------------------------------------------------------------------------


def test_a_second_failed_adequate_antidepressant_flags_the_episode(
    episode: Episode, psychiatrist: User
) -> None:
    record_failed_trial(psychiatrist, episode, "sertraline", 100)
    assert impasse_flags_refresh(episode=episode, acting_user=psychiatrist) is None
    record_failed_trial(psychiatrist, episode, "venlafaxine", 150)
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    assert (case.state, case.origin, case.criteria) == ("open", "automatic", ["fda_ema_met"])
    assert case.flagged_by == psychiatrist
    [event] = case_events(case)
    assert event.action == AuditAction.CREATE
    assert event.changes["state"] == [None, "Open"]
    [history] = ImpasseCaseEvent.objects.filter(case=case)
    assert history.to_state == CaseState.OPEN
    assert "FDA/EMA" in history.reason


def test_msm_of_seven_flags_the_episode_after_one_failure(
    patient: Patient, psychiatrist: User
) -> None:
    episode = EpisodeFactory(
        patient=patient,
        onset_date=timezone.localdate() - datetime.timedelta(days=540),
        baseline_severity_category=SeverityCategory.SEVERE,
    )
    record_failed_trial(psychiatrist, episode, "sertraline", 100)
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    assert case.criteria == ["msm_at_least_7"]
    assert case.msm_score == 7


def test_an_episode_over_24_months_without_response_flags_it(
    patient: Patient, psychiatrist: User
) -> None:
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=800)
    )
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    assert case.criteria == ["long_episode"]


def test_an_ended_episode_is_not_flagged(patient: Patient, psychiatrist: User) -> None:
    episode = EpisodeFactory(
        patient=patient,
        onset_date=timezone.localdate() - datetime.timedelta(days=900),
        end_date=timezone.localdate() - datetime.timedelta(days=10),
    )
    assert impasse_flags_refresh(episode=episode, acting_user=psychiatrist) is None
    assert not ImpasseCase.objects.exists()


def test_refresh_updates_the_criteria_of_the_case_in_progress(
    episode: Episode, psychiatrist: User, supervisor: User
) -> None:
    case = impasse_case_flag(
        acting_user=psychiatrist, episode_id=episode.pk, reason="Third month without change."
    )
    impasse_review_start(acting_user=supervisor, case_id=case.pk)
    record_failed_trial(psychiatrist, episode, "sertraline", 100)
    record_failed_trial(psychiatrist, episode, "venlafaxine", 150)
    again = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert again is not None
    assert again.pk == case.pk
    assert (again.state, again.criteria) == ("under_review", ["fda_ema_met"])
    update = case_events(case)[-1]
    assert update.changes["criteria"] == ["[]", '["fda_ema_met"]']
    assert ImpasseCase.objects.count() == 1


def reviewed_case(episode: Episode, psychiatrist: User, supervisor: User) -> ImpasseCase:
    case = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert case is not None
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    impasse_review_sign_off(
        acting_user=supervisor, case_id=case.pk, data=REVIEW, expected_version=review.version
    )
    case.refresh_from_db()
    return case


def test_a_closed_case_is_not_flagged_again_for_the_same_criteria(
    patient: Patient, psychiatrist: User, supervisor: User
) -> None:
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=800)
    )
    case = reviewed_case(episode, psychiatrist, supervisor)
    impasse_case_close(acting_user=psychiatrist, case_id=case.pk, reason="Plan agreed.")
    assert impasse_flags_refresh(episode=episode, acting_user=psychiatrist) is None
    record_failed_trial(psychiatrist, episode, "sertraline", 100)
    record_failed_trial(psychiatrist, episode, "venlafaxine", 150)
    new = impasse_flags_refresh(episode=episode, acting_user=psychiatrist)
    assert new is not None
    assert new.pk != case.pk
    assert "fda_ema_met" in new.criteria


def test_a_clinic_admin_cannot_trigger_a_refresh(episode: Episode, clinic_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        impasse_flags_refresh(episode=episode, acting_user=clinic_admin)


# --- manual flag -------------------------------------------------------------------------------


def test_a_psychiatrist_flags_an_episode_by_hand_with_a_reason(
    episode: Episode, psychiatrist: User
) -> None:
    case = impasse_case_flag(
        acting_user=psychiatrist, episode_id=episode.pk, reason="  Family asks for a review.  "
    )
    assert (case.origin, case.flag_reason, case.state) == (
        "manual",
        "Family asks for a review.",
        "open",
    )
    assert case_events(case)[0].changes["flag_reason"] == [None, "Family asks for a review."]


def test_a_flag_without_a_reason_is_refused(episode: Episode, psychiatrist: User) -> None:
    with pytest.raises(ValidationError) as error:
        impasse_case_flag(acting_user=psychiatrist, episode_id=episode.pk, reason="  ")
    assert "reason" in error.value.message_dict
    assert not ImpasseCase.objects.exists()


def test_one_case_in_progress_per_episode(episode: Episode, psychiatrist: User) -> None:
    impasse_case_flag(acting_user=psychiatrist, episode_id=episode.pk, reason="First.")
    with pytest.raises(ValidationError) as error:
        impasse_case_flag(acting_user=psychiatrist, episode_id=episode.pk, reason="Second.")
    assert "already has an impasse case in progress (open)" in refused(error)
    assert ImpasseCase.objects.count() == 1


def test_flagging_another_clinics_episode_is_not_found(episode: Episode, stranger: User) -> None:
    with pytest.raises(Http404):
        impasse_case_flag(acting_user=stranger, episode_id=episode.pk, reason="x")


def test_a_clinic_admin_may_not_flag(episode: Episode, clinic_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        impasse_case_flag(acting_user=clinic_admin, episode_id=episode.pk, reason="x")


# --- review ------------------------------------------------------------------------------------


@pytest.fixture
def case(episode: Episode, psychiatrist: User) -> ImpasseCase:
    return ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)


def test_a_supervisor_starts_a_review(case: ImpasseCase, supervisor: User) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    assert (review.reviewer, review.in_progress) == (supervisor, True)
    [transition] = case_events(case)
    assert transition.changes["state"] == ["Open", "Under review"]
    assert transition.actor_id == supervisor.pk
    assert AuditEvent.objects.filter(
        object_type=IMPASSE_REVIEW_OBJECT, object_id=review.pk, action=AuditAction.CREATE
    ).exists()


def test_a_supervisor_cannot_review_their_own_patient(
    clinic: object, supervising_psychiatrist: User
) -> None:
    own = ImpasseCaseFactory(
        episode=EpisodeFactory(
            patient__clinic=clinic, patient__psychiatrist=supervising_psychiatrist
        )
    )
    with pytest.raises(PermissionDenied, match=OWN_PATIENT):
        impasse_review_start(acting_user=supervising_psychiatrist, case_id=own.pk)
    own.refresh_from_db()
    assert own.state == CaseState.OPEN
    assert not ImpasseReview.objects.exists()


def reassign(patient: Patient, to: User, by: User) -> None:
    patient.refresh_from_db()
    patient_update(
        acting_user=by,
        patient_id=patient.pk,
        expected_version=patient.version,
        data=PatientInput(
            record_number=patient.record_number,
            family_name=patient.family_name,
            given_name=patient.given_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
            diagnosis=patient.diagnosis,
            psychiatrist=to,
        ),
    )


def test_self_review_by_reassignment_is_refused(
    clinic: object, supervising_psychiatrist: User, psychiatrist: User
) -> None:
    """Issue 13, defect 7: reassign to a colleague, review, sign off, reassign back."""
    me = supervising_psychiatrist
    episode = EpisodeFactory(
        patient__clinic=clinic,
        patient__psychiatrist=me,
        onset_date=timezone.localdate() - datetime.timedelta(days=120),
        baseline_scale="HAMD17",
        baseline_score=Decimal(22),
    )
    record_failed_trial(me, episode, "sertraline", 100)
    record_failed_trial(me, episode, "venlafaxine", 150)
    case = ImpasseCase.objects.get(episode=episode)
    assert case.origin == "automatic"
    reassign(episode.patient, psychiatrist, me)
    with pytest.raises(PermissionDenied, match="responsible psychiatrist"):
        impasse_review_start(acting_user=me, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert not ImpasseReview.objects.exists()


def test_a_former_psychiatrist_cannot_sign_off_a_review_taken_before_the_reassignment(
    clinic: object, supervising_psychiatrist: User, psychiatrist: User, other_supervisor: User
) -> None:
    """Reassigned while the case is under someone's review, then back: still refused."""
    me = supervising_psychiatrist
    episode = EpisodeFactory(patient__clinic=clinic, patient__psychiatrist=psychiatrist)
    case = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    reassign(episode.patient, me, psychiatrist)
    reassign(episode.patient, psychiatrist, me)
    with pytest.raises(PermissionDenied, match="responsible psychiatrist"):
        impasse_review_start(acting_user=me, case_id=case.pk)
    review = impasse_review_start(acting_user=other_supervisor, case_id=case.pk)
    impasse_review_sign_off(
        acting_user=other_supervisor, case_id=case.pk, data=REVIEW, expected_version=review.version
    )
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWED


def test_the_supervisor_who_flagged_a_case_by_hand_cannot_review_it(
    case: ImpasseCase, other_supervisor: User
) -> None:
    flagged = impasse_case_flag(
        acting_user=other_supervisor,
        episode_id=EpisodeFactory(patient__clinic=case.patient.clinic).pk,
        reason="Three trials, no remission.",
    )
    with pytest.raises(PermissionDenied, match="flagged"):
        impasse_review_start(acting_user=other_supervisor, case_id=flagged.pk)
    assert not ImpasseReview.objects.filter(case=flagged).exists()


def test_a_psychiatrist_before_the_case_opened_may_review(
    clinic: object, supervising_psychiatrist: User, psychiatrist: User
) -> None:
    """The rule covers the case's life: handing a patient over before it opens is no conflict."""
    me = supervising_psychiatrist
    # A recent episode: a long one would be flagged by the reassignment's own change path.
    episode = EpisodeFactory(
        patient__clinic=clinic, patient__psychiatrist=me, onset_date=recent_onset()
    )
    reassign(episode.patient, psychiatrist, me)
    episode.patient.refresh_from_db()
    case = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    assert impasse_review_start(acting_user=me, case_id=case.pk).reviewer == me


def test_a_psychiatrist_may_not_review(case: ImpasseCase, psychiatrist: User) -> None:
    with pytest.raises(PermissionDenied):
        impasse_review_start(acting_user=psychiatrist, case_id=case.pk)


def test_a_supervisor_of_another_clinic_gets_not_found(
    case: ImpasseCase, member: Callable[..., User], other_clinic: object
) -> None:
    outsider = member("supervisor", in_clinic=other_clinic)
    with pytest.raises(Http404):
        impasse_review_start(acting_user=outsider, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_a_second_review_of_a_case_under_review_is_refused(
    case: ImpasseCase, supervisor: User, other_supervisor: User
) -> None:
    impasse_review_start(acting_user=supervisor, case_id=case.pk)
    with pytest.raises(ValidationError) as error:
        impasse_review_start(acting_user=other_supervisor, case_id=case.pk)
    assert "this case is under review" in refused(error)
    assert ImpasseReview.objects.count() == 1


def test_a_closed_case_cannot_be_reviewed(
    episode: Episode, psychiatrist: User, supervisor: User
) -> None:
    closed = ImpasseCaseFactory(episode=episode, state=CaseState.CLOSED)
    with pytest.raises(ValidationError) as error:
        impasse_review_start(acting_user=supervisor, case_id=closed.pk)
    assert "this case is closed" in refused(error)
    assert not case_events(closed)


def test_sign_off_records_the_review_and_marks_the_case_reviewed(
    case: ImpasseCase, supervisor: User
) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    signed = impasse_review_sign_off(
        acting_user=supervisor, case_id=case.pk, data=REVIEW, expected_version=review.version
    )
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWED
    assert signed.signed_off_at is not None
    assert sorted(item.code for item in signed.factors.all()) == ["A5", "B1"]
    assert (signed.findings, signed.next_steps) == (REVIEW.findings, REVIEW.next_steps)
    review_update = AuditEvent.objects.filter(
        object_type=IMPASSE_REVIEW_OBJECT, action=AuditAction.UPDATE
    ).get()
    assert review_update.changes["factors"] == [None, "A5, B1"]
    assert case_events(case)[-1].changes["state"] == ["Under review", "Reviewed"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ReviewInput(next_steps="Plan."), "findings"),
        (ReviewInput(findings="Seen."), "next_steps"),
        (
            ReviewInput(
                findings="Seen.",
                next_steps="Plan.",
                follow_up_date=timezone.localdate() - datetime.timedelta(days=1),
            ),
            "follow_up_date",
        ),
        (ReviewInput(findings="Seen.", next_steps="Plan.", factors=("Q1",)), "factors"),
    ],
    ids=["no findings", "no next steps", "follow-up in the past", "unknown factor"],
)
def test_sign_off_refuses_an_incomplete_review_next_to_the_field(
    case: ImpasseCase, supervisor: User, data: ReviewInput, field: str
) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    with pytest.raises(ValidationError) as error:
        impasse_review_sign_off(
            acting_user=supervisor, case_id=case.pk, data=data, expected_version=review.version
        )
    assert list(error.value.message_dict) == [field]
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    review.refresh_from_db()
    assert review.signed_off_at is None


def test_the_follow_up_message_says_why(case: ImpasseCase, supervisor: User) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    past = ReviewInput(findings="a", next_steps="b", follow_up_date=datetime.date(2020, 1, 1))
    with pytest.raises(ValidationError) as error:
        impasse_review_save(
            acting_user=supervisor, case_id=case.pk, data=past, expected_version=review.version
        )
    assert error.value.message_dict["follow_up_date"] == [FOLLOW_UP_IN_PAST]


def test_only_the_reviewer_signs_off(
    case: ImpasseCase, supervisor: User, other_supervisor: User
) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    with pytest.raises(ValidationError) as error:
        impasse_review_sign_off(
            acting_user=other_supervisor, case_id=case.pk, data=REVIEW, expected_version=1
        )
    assert "is reviewing this case" in refused(error)
    review.refresh_from_db()
    assert review.signed_off_at is None


def test_a_draft_is_saved_without_signing_off_and_a_stale_save_is_refused(
    case: ImpasseCase, supervisor: User
) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    draft = ReviewInput(findings="First impressions.")
    saved = impasse_review_save(
        acting_user=supervisor, case_id=case.pk, data=draft, expected_version=review.version
    )
    assert (saved.findings, saved.version, saved.signed_off_at) == ("First impressions.", 2, None)
    draft_event = AuditEvent.objects.get(
        object_type=IMPASSE_REVIEW_OBJECT, object_id=review.pk, action=AuditAction.UPDATE
    )
    assert draft_event.changes == {"findings": [None, "First impressions."]}
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    with pytest.raises(ValidationError) as error:
        impasse_review_save(
            acting_user=supervisor, case_id=case.pk, data=REVIEW, expected_version=1
        )
    assert "saved elsewhere" in refused(error)


def test_recording_a_review_of_an_open_case_is_refused(case: ImpasseCase, supervisor: User) -> None:
    with pytest.raises(ValidationError) as error:
        impasse_review_sign_off(
            acting_user=supervisor, case_id=case.pk, data=REVIEW, expected_version=1
        )
    assert "Only a case under review can be signed off; this case is open." in refused(error)


def test_release_hands_the_case_back_so_another_supervisor_can_review(
    case: ImpasseCase, supervisor: User, other_supervisor: User
) -> None:
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    with pytest.raises(ValidationError):
        impasse_review_release(acting_user=supervisor, case_id=case.pk, reason="")
    impasse_review_release(acting_user=supervisor, case_id=case.pk, reason="On leave.")
    review.refresh_from_db()
    assert review.withdrawn_at is not None
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert case_events(case)[-1].changes["reason"] == [None, "On leave."]
    second = impasse_review_start(acting_user=other_supervisor, case_id=case.pk)
    assert second.reviewer == other_supervisor


# --- close and reopen --------------------------------------------------------------------------


def test_only_a_reviewed_case_can_be_closed(case: ImpasseCase, psychiatrist: User) -> None:
    with pytest.raises(ValidationError) as error:
        impasse_case_close(acting_user=psychiatrist, case_id=case.pk, reason="Done.")
    assert "Only a reviewed case can be closed; this case is open." in refused(error)


def test_the_psychiatrist_closes_a_reviewed_case_with_a_reason(
    patient: Patient, psychiatrist: User, supervisor: User
) -> None:
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=800)
    )
    case = reviewed_case(episode, psychiatrist, supervisor)
    with pytest.raises(ValidationError) as error:
        impasse_case_close(acting_user=psychiatrist, case_id=case.pk, reason=" ")
    assert "reason" in error.value.message_dict
    impasse_case_close(acting_user=psychiatrist, case_id=case.pk, reason="Next steps under way.")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    close = case_events(case)[-1]
    assert close.changes == {
        "state": ["Reviewed", "Closed"],
        "reason": [None, "Next steps under way."],
    }
    assert close.actor_id == psychiatrist.pk


def test_a_closed_case_reopens_into_the_queue(
    patient: Patient, psychiatrist: User, supervisor: User
) -> None:
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=800)
    )
    case = reviewed_case(episode, psychiatrist, supervisor)
    impasse_case_close(acting_user=supervisor, case_id=case.pk, reason="Plan agreed.")
    before = ImpasseCase.objects.get(pk=case.pk).waiting_since
    impasse_case_reopen(acting_user=psychiatrist, case_id=case.pk, reason="Relapse after plan.")
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert case.waiting_since > before
    reopen = case_events(case)[-1]
    assert reopen.changes == {"state": ["Closed", "Open"], "reason": [None, "Relapse after plan."]}
    assert reopen.actor_id == psychiatrist.pk


def test_reopening_is_refused_while_another_case_of_the_episode_is_in_progress(
    episode: Episode, psychiatrist: User
) -> None:
    old = ImpasseCaseFactory(episode=episode, state=CaseState.CLOSED)
    ImpasseCaseFactory(episode=episode)
    with pytest.raises(ValidationError) as error:
        impasse_case_reopen(acting_user=psychiatrist, case_id=old.pk, reason="Again.")
    assert "already has an impasse case in progress" in refused(error)
    old.refresh_from_db()
    assert old.state == CaseState.CLOSED


def test_an_open_case_cannot_be_reopened(case: ImpasseCase, psychiatrist: User) -> None:
    with pytest.raises(ValidationError) as error:
        impasse_case_reopen(acting_user=psychiatrist, case_id=case.pk, reason="Again.")
    assert "this case is open" in refused(error)


def test_a_clinic_admin_may_not_close(case: ImpasseCase, clinic_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        impasse_case_close(acting_user=clinic_admin, case_id=case.pk, reason="x")
