"""checklist_answers_record: pre-answers confirmed or corrected, refusals, audit, flags."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404

from pseudoresistance.models import ChecklistAnswer, ChecklistReview, ImpasseCase
from pseudoresistance.selectors import episode_assessment
from pseudoresistance.services import (
    ANSWER_REQUIRED,
    CHECKLIST_ANSWER_OBJECT,
    CHECKLIST_REVIEW_OBJECT,
    AnswerInput,
    checklist_answers_record,
)
from records.models import AuditAction, AuditEvent, Episode, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory, TrialFactory

pytestmark = pytest.mark.django_db


def record(user: User, episode: Episode, *answers: AnswerInput) -> ChecklistReview | None:
    return checklist_answers_record(acting_user=user, episode_id=episode.pk, answers=answers)


def answer_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=CHECKLIST_ANSWER_OBJECT).order_by("id"))


def refused(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return error.value.message_dict[NON_FIELD_ERRORS]


def test_first_answer_starts_a_review_on_the_current_version_with_audit(
    episode: Episode, psychiatrist: User
) -> None:
    review = record(psychiatrist, episode, AnswerInput(item_code="B3", answer="no"))
    assert review is not None
    assert review.version.label == "2026.11-1"
    answer = ChecklistAnswer.objects.get(review=review)
    assert (answer.item.code, answer.answer, answer.answered_by) == ("B3", "no", psychiatrist)
    assert answer.derived_answer == ""
    review_event = AuditEvent.objects.get(object_type=CHECKLIST_REVIEW_OBJECT)
    assert review_event.action == AuditAction.CREATE
    [event] = answer_events()
    assert (event.action, event.actor_id, event.patient_id) == (
        AuditAction.CREATE,
        psychiatrist.pk,
        episode.patient_id,
    )
    assert event.changes["answer"] == [None, "No"]


def test_confirming_a_derived_answer_stores_it_with_the_records_value(
    episode: Episode, psychiatrist: User, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    trial = failed_trial(dose=25)
    record(
        psychiatrist,
        episode,
        AnswerInput(item_code="A1", trial_id=trial.pk, answer="yes", source="record"),
    )
    answer = ChecklistAnswer.objects.get(item__code="A1", trial=trial)
    assert (answer.answer, answer.derived_answer, answer.corrected) == ("yes", "yes", False)
    row = episode_assessment(episode).rows_for(trial.pk)
    assert row is not None
    [a1] = [r for r in row.rows if r.code == "A1"]
    assert a1.stored is not None
    assert not a1.effective.derived


def test_correcting_a_derived_answer_keeps_the_records_value_and_who_when(
    episode: Episode, psychiatrist: User, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    trial = failed_trial(dose=25)
    record(
        psychiatrist,
        episode,
        AnswerInput(
            item_code="A1",
            trial_id=trial.pk,
            answer="no",
            evidence="Pharmacy shows 100 mg dispensed from week 2.",
            source="record",
        ),
    )
    answer = ChecklistAnswer.objects.get(item__code="A1", trial=trial)
    assert (answer.answer, answer.derived_answer, answer.corrected) == ("no", "yes", True)
    assert answer.answered_by == psychiatrist
    assert answer.answered_at is not None
    [event] = answer_events()
    assert event.changes["derived_answer"] == [None, "Yes"]
    assert event.changes["answer"] == [None, "No"]


def test_changing_an_answer_updates_it_with_the_old_and_new_value_audited(
    episode: Episode, psychiatrist: User, member: Callable[..., User]
) -> None:
    record(psychiatrist, episode, AnswerInput(item_code="B3", answer="unknown"))
    colleague = member()
    record(
        colleague,
        episode,
        AnswerInput(item_code="B3", answer="no", source="interview", expected_version=1),
    )
    answer = ChecklistAnswer.objects.get(item__code="B3")
    assert (answer.answer, answer.version, answer.answered_by) == ("no", 2, colleague)
    update = answer_events()[-1]
    assert update.action == AuditAction.UPDATE
    assert update.changes["answer"] == ["Unknown", "No"]
    assert update.changes["source"] == [None, "Interview"]


def test_an_unchanged_or_blank_answer_writes_nothing(episode: Episode, psychiatrist: User) -> None:
    record(psychiatrist, episode, AnswerInput(item_code="B3", answer="no"))
    record(
        psychiatrist,
        episode,
        AnswerInput(item_code="B3", answer="no", expected_version=1),
        AnswerInput(item_code="B4"),
    )
    assert ChecklistAnswer.objects.get().version == 1
    assert len(answer_events()) == 1


def test_escalating_a_conditional_item_needs_a_reason(episode: Episode, psychiatrist: User) -> None:
    with pytest.raises(ValidationError) as error:
        record(psychiatrist, episode, AnswerInput(item_code="C1", answer="yes", escalated=True))
    assert "escalation_reason_C1" in error.value.message_dict
    record(
        psychiatrist,
        episode,
        AnswerInput(
            item_code="C1", answer="yes", escalated=True, escalation_reason="TSH 42, untreated."
        ),
    )
    answer = ChecklistAnswer.objects.get(item__code="C1")
    assert (answer.escalated, answer.escalation_reason) == (True, "TSH 42, untreated.")


def test_an_item_without_a_red_condition_cannot_be_escalated(
    episode: Episode, psychiatrist: User
) -> None:
    with pytest.raises(ValidationError) as error:
        record(
            psychiatrist,
            episode,
            AnswerInput(item_code="E1", answer="yes", escalated=True, escalation_reason="x"),
        )
    assert "E1 has no RED condition" in refused(error)[0]
    assert not ChecklistAnswer.objects.exists()


def test_evidence_without_an_answer_is_refused_next_to_the_answer(
    episode: Episode, psychiatrist: User
) -> None:
    with pytest.raises(ValidationError) as error:
        record(psychiatrist, episode, AnswerInput(item_code="B3", evidence="Collateral pending."))
    assert error.value.message_dict == {"answer_B3": [ANSWER_REQUIRED]}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (AnswerInput(item_code="Z9", answer="no"), "Z9 is not an item of checklist version"),
        (AnswerInput(item_code="A4", answer="no"), "A4 is answered per trial"),
        (AnswerInput(item_code="B3", trial_id=1, answer="no"), "B3 is answered for the episode"),
        (AnswerInput(item_code="B3", answer="maybe"), None),
        (AnswerInput(item_code="B3", answer="no", source="rumour"), None),
    ],
    ids=["unknown item", "trial item without trial", "episode item on a trial", "bad", "source"],
)
def test_bad_answers_are_refused_and_nothing_is_saved(
    episode: Episode, psychiatrist: User, answer: AnswerInput, expected: str | None
) -> None:
    good = AnswerInput(item_code="B1", answer="no")
    with pytest.raises(ValidationError) as error:
        record(psychiatrist, episode, good, answer)
    if expected is not None:
        assert expected in refused(error)[0]
    assert not ChecklistAnswer.objects.exists()
    assert not ChecklistReview.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_trial_of_another_episode_is_refused(
    episode: Episode, psychiatrist: User, clinic: object
) -> None:
    elsewhere = TrialFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)))
    with pytest.raises(ValidationError) as error:
        record(
            psychiatrist, episode, AnswerInput(item_code="A4", trial_id=elsewhere.pk, answer="no")
        )
    assert "does not belong to this episode" in refused(error)[0]


def test_the_same_item_twice_in_one_submission_is_refused(
    episode: Episode, psychiatrist: User
) -> None:
    with pytest.raises(ValidationError) as error:
        record(
            psychiatrist,
            episode,
            AnswerInput(item_code="B3", answer="no"),
            AnswerInput(item_code="B3", answer="yes"),
        )
    assert "answered twice" in refused(error)[0]


def test_a_stale_answer_is_refused_naming_who_changed_it(
    episode: Episode, psychiatrist: User, member: Callable[..., User]
) -> None:
    record(psychiatrist, episode, AnswerInput(item_code="B3", answer="no"))
    colleague = member()
    with pytest.raises(ValidationError) as error:
        record(colleague, episode, AnswerInput(item_code="B3", answer="yes", expected_version=0))
    [message] = refused(error)
    assert "B3 was changed by" in message
    assert psychiatrist.get_full_name() in message
    assert ChecklistAnswer.objects.get().answer == "no"


def test_a_supervisor_may_not_answer(episode: Episode, supervisor: User) -> None:
    with pytest.raises(PermissionDenied):
        record(supervisor, episode, AnswerInput(item_code="B3", answer="no"))
    assert not ChecklistAnswer.objects.exists()


def test_a_psychiatrist_of_another_clinic_gets_not_found(episode: Episode, stranger: User) -> None:
    with pytest.raises(Http404):
        record(stranger, episode, AnswerInput(item_code="B3", answer="no"))


def test_recording_a_red_concern_flags_an_impasse_case(
    episode: Episode, psychiatrist: User
) -> None:
    record(psychiatrist, episode, AnswerInput(item_code="B3", answer="yes"))
    case = ImpasseCase.objects.get(episode=episode)
    assert (case.state, case.origin, case.criteria) == ("open", "automatic", ["red_concern"])


def test_a_derived_red_concern_alone_does_not_flag_a_case(
    episode: Episode, psychiatrist: User, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    failed_trial(dose=25)
    record(psychiatrist, episode, AnswerInput(item_code="B4", answer="no"))
    assert episode_assessment(episode).status.red_concerns
    assert not ImpasseCase.objects.exists()


def test_answering_every_red_item_turns_unverified_into_meets(
    episode: Episode,
    psychiatrist: User,
    failed_trial: Callable[..., TreatmentTrial],
    verify_red_items: Callable[..., None],
) -> None:
    failed_trial()
    failed_trial("venlafaxine", 150)
    before = episode_assessment(episode).status
    assert before.status == "unverified_data_gaps"
    verify_red_items(episode, psychiatrist)
    after = episode_assessment(episode).status
    assert after.status == "meets_common_definition"
    assert after.data_gaps == ()
