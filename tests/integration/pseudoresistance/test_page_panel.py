"""The patient page's impasse panel reads one statement (issue 18): the same status, confirmation,
case state, latest signed review and sign-off as the full panel the report reads."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.selectors import (
    impasse_panel_for,
    patient_page_panel,
    signed_reviews,
)
from pseudoresistance.services import (
    AnswerInput,
    checklist_answers_record,
    checklist_status_confirm,
)
from pseudoresistance.states import CaseState
from records.access import ClinicAccess
from records.models import Episode, TreatmentTrial
from records.selectors import patient_detail
from tests.factories import ImpasseCaseFactory

pytestmark = pytest.mark.django_db


def _signed_review(case: ImpasseCase, reviewer: User, days_ago: int) -> ImpasseReview:
    started = timezone.now() - datetime.timedelta(days=days_ago)
    return ImpasseReview.objects.create(
        case=case,
        reviewer=reviewer,
        started_at=started,
        findings="Findings.",
        next_steps=f"Next steps {days_ago} days ago.",
        signed_off_at=started + datetime.timedelta(hours=1),
    )


def _assert_same(access: ClinicAccess, episode: Episode) -> None:
    detail = patient_detail(access=access, patient_id=episode.patient_id)
    with CaptureQueriesContext(connection) as queries:
        page = patient_page_panel(detail)
    full = impasse_panel_for(detail)
    assert full.assessment is not None
    assert page.assessment is not None
    assert page.assessment.status == full.assessment.status
    assert page.assessment.failures_as_recorded == full.assessment.failures_as_recorded
    assert page.assessment.failures_after_checklist == full.assessment.failures_after_checklist
    assert page.confirmed == full.confirmed
    assert page.case_state == full.case_state
    assert page.latest_review == full.latest_review
    assert page.signed_review == signed_reviews([episode.patient_id]).get(episode.patient_id)
    # One statement; the latest signed review of the case (and its factors) once a case exists.
    assert len(queries.captured_queries) == 1 if not page.case_state else 3


def test_without_review_case_or_confirmation(
    access_of: Callable[[User], ClinicAccess],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    failed_trial("venlafaxine", 150)
    _assert_same(access_of(psychiatrist), episode)
    page = patient_page_panel(
        patient_detail(access=access_of(psychiatrist), patient_id=episode.patient_id)
    )
    assert (page.confirmed, page.case_state, page.latest_review, page.signed_review) == (
        False,
        "",
        None,
        None,
    )


def test_answers_escalation_and_a_confirmation_that_stands_then_goes_stale(
    access_of: Callable[[User], ClinicAccess],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    first = failed_trial()
    second = failed_trial("venlafaxine", 150)
    failed_trial("mirtazapine", 30)
    access = access_of(psychiatrist)
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[
            AnswerInput(item_code="A5", trial_id=first.pk, answer="yes"),
            AnswerInput(
                item_code="A3",
                trial_id=second.pk,
                answer="yes",
                escalated=True,
                escalation_reason="Pharmacy records say otherwise.",
            ),
            AnswerInput(item_code="B1", answer="no"),
        ],
    )
    _assert_same(access, episode)
    status = patient_page_panel(patient_detail(access=access, patient_id=episode.patient_id))
    assert status.assessment is not None
    checklist_status_confirm(
        acting_user=psychiatrist, episode_id=episode.pk, status_text=status.assessment.status.text
    )
    _assert_same(access, episode)
    assert patient_page_panel(
        patient_detail(access=access, patient_id=episode.patient_id)
    ).confirmed
    # A changed answer changes the status: the confirmation no longer stands.
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[AnswerInput(item_code="A5", trial_id=first.pk, answer="no", expected_version=1)],
    )
    _assert_same(access, episode)


def test_the_case_in_progress_before_a_later_closed_one_and_the_latest_sign_off(
    access_of: Callable[[User], ClinicAccess],
    psychiatrist: User,
    supervisor: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    access = access_of(psychiatrist)
    in_progress = ImpasseCaseFactory(
        episode=episode,
        flagged_by=psychiatrist,
        state=CaseState.UNDER_REVIEW,
        flagged_at=timezone.now() - datetime.timedelta(days=40),
    )
    closed = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist, state=CaseState.CLOSED)
    _signed_review(in_progress, supervisor, 30)
    newest = _signed_review(closed, supervisor, 5)
    _assert_same(access, episode)
    page = patient_page_panel(patient_detail(access=access, patient_id=episode.patient_id))
    assert page.case_state == CaseState.UNDER_REVIEW.label
    assert page.latest_review == newest
    assert page.signed_review is not None
    assert page.signed_review.next_steps == "Next steps 5 days ago."
