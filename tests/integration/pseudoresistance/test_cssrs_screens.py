"""C-SSRS screens: recorded and audited, and the way to sign off over an open suicide-item alert."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.cssrs import FOLLOW_UPS_NEED_Q2, ScreenAnswers
from pseudoresistance.models import CssrsScreen, ImpasseCase, ImpasseReview
from pseudoresistance.services import (
    CSSRS_SCREEN_OBJECT,
    ScreenInput,
    cssrs_screen_record,
    patient_impasse_records_erase,
)
from pseudoresistance.states import CaseState
from records.models import AuditEvent, Clinic, Episode, Role
from tests.factories import (
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MODERATE = ScreenAnswers(wish_to_be_dead=True, suicidal_thoughts=True, thoughts_with_method=True)
SCREEN_POST = {
    "screened_on": TODAY.isoformat(),
    "wish_to_be_dead": "yes",
    "suicidal_thoughts": "yes",
    "thoughts_with_method": "yes",
    "intent": "no",
    "plan_with_intent": "no",
    "behaviour": "no",
}
REVIEW_POST = {
    "findings": "Dose never optimised.",
    "next_steps": "Titrate.",
    "version": "1",
    "action": "sign_off",
}


def url(name: str, *args: object) -> str:
    return reverse(f"pseudoresistance:{name}", args=args)


@pytest.fixture
def case(episode: Episode, psychiatrist: User) -> ImpasseCase:
    return ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)


def alert(episode: Episode, days_ago: int = 0) -> None:
    ScaleAdministrationFactory(
        episode=episode,
        scale="HAMD17",
        items={"3": 2},
        administered_on=TODAY - datetime.timedelta(days=days_ago),
    )


def test_a_screen_is_recorded_with_its_risk_level_and_audited(
    episode: Episode, supervisor: User
) -> None:
    screen = cssrs_screen_record(
        acting_user=supervisor,
        episode_id=episode.pk,
        data=ScreenInput(screened_on=TODAY, answers=MODERATE),
    )
    assert (screen.risk_level, screen.recorded_by, screen.patient) == (
        "moderate",
        supervisor,
        episode.patient,
    )
    [event] = AuditEvent.objects.filter(object_type=CSSRS_SCREEN_OBJECT, object_id=screen.pk)
    assert event.changes["risk_level"] == [None, "Moderate risk"]
    assert event.patient_id == episode.patient_id


def test_a_follow_up_answered_without_question_2_is_a_field_error_and_nothing_is_saved(
    episode: Episode, supervisor: User
) -> None:
    answers = ScreenAnswers(wish_to_be_dead=True, suicidal_thoughts=False, intent=True)
    with pytest.raises(ValidationError) as error:
        cssrs_screen_record(
            acting_user=supervisor,
            episode_id=episode.pk,
            data=ScreenInput(screened_on=TODAY + datetime.timedelta(days=1), answers=answers),
        )
    assert error.value.message_dict["intent"] == [FOLLOW_UPS_NEED_Q2]
    assert "screened_on" in error.value.message_dict
    assert not CssrsScreen.objects.exists()


def test_a_user_of_another_clinic_cannot_record_a_screen(
    episode: Episode, stranger: User, clinic_admin: User
) -> None:
    data = ScreenInput(screened_on=TODAY, answers=MODERATE)
    with pytest.raises(Http404):
        cssrs_screen_record(acting_user=stranger, episode_id=episode.pk, data=data)
    with pytest.raises(PermissionDenied):
        cssrs_screen_record(acting_user=clinic_admin, episode_id=episode.pk, data=data)


def test_sign_off_over_an_alert_is_accepted_after_a_screen_recorded_since(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    alert(case.episode, days_ago=3)
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    page = client.get(url("case", case.pk)).content.decode()
    assert "No C-SSRS screen since the alert" in page
    refused = client.post(url("review-save", case.pk), REVIEW_POST)
    assert "safety_note" in refused.context["review_form"].errors
    # A screen done before the alert does not address it.
    old = {**SCREEN_POST, "screened_on": (TODAY - datetime.timedelta(days=5)).isoformat()}
    assert client.post(url("cssrs-screen", case.pk), old).status_code == 302
    version = refused.context["review_form"]["version"].value()
    refused = client.post(url("review-save", case.pk), {**REVIEW_POST, "version": version})
    assert "safety_note" in refused.context["review_form"].errors

    recorded = client.post(url("cssrs-screen", case.pk), SCREEN_POST)
    assert recorded.status_code == 302
    version = refused.context["review_form"]["version"].value()
    accepted = client.post(url("review-save", case.pk), {**REVIEW_POST, "version": version})
    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWED
    review = ImpasseReview.objects.get(case=case)
    assert review.cssrs_screen == CssrsScreen.objects.get(screened_on=TODAY)
    assert "moderate risk" in review.safety_acknowledgement
    assert supervisor.get_full_name() in review.safety_acknowledgement


def test_the_acknowledgement_shows_on_the_patient_page_and_in_the_report(
    signed_in: Callable[[User], Client],
    supervisor: User,
    psychiatrist: User,
    case: ImpasseCase,
) -> None:
    alert(case.episode)
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    client.post(url("cssrs-screen", case.pk), SCREEN_POST)
    assert client.post(url("review-save", case.pk), REVIEW_POST).status_code == 302
    reader = signed_in(psychiatrist)
    patient_page = reader.get(reverse("records:patient-detail", args=[case.patient_id]))
    shown = patient_page.content.decode()
    assert 'data-testid="review-safety-note"' in shown
    assert f"C-SSRS screen of {TODAY:%-d %b %Y}" in shown
    assert "moderate risk" in shown
    report = reader.get(reverse("records:patient-report", args=[case.patient_id])).content.decode()
    assert 'data-testid="report-safety-acknowledgement"' in report
    assert "moderate risk" in report


def test_the_screen_page_refuses_other_clinics_and_other_roles(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    member: Callable[..., User],
    other_clinic: Clinic,
    case: ImpasseCase,
) -> None:
    outsider = member(Role.SUPERVISOR, in_clinic=other_clinic)
    assert signed_in(outsider).post(url("cssrs-screen", case.pk), SCREEN_POST).status_code == 404
    assert (
        signed_in(psychiatrist).post(url("cssrs-screen", case.pk), SCREEN_POST).status_code == 403
    )
    assert not CssrsScreen.objects.exists()


def test_a_bad_screen_is_shown_next_to_its_fields_with_the_answers_kept(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    posted = {**SCREEN_POST, "suicidal_thoughts": "no", "intent": "yes"}
    response = client.post(url("cssrs-screen", case.pk), posted)
    assert response.status_code == 200
    form = response.context["screen_form"]
    assert form.errors["thoughts_with_method"] == [FOLLOW_UPS_NEED_Q2]
    assert form["intent"].value() == "yes"
    assert not CssrsScreen.objects.exists()


def test_erasing_a_patient_removes_their_screens(
    episode: Episode, supervisor: User, clinic: Clinic
) -> None:
    cssrs_screen_record(
        acting_user=supervisor,
        episode_id=episode.pk,
        data=ScreenInput(screened_on=TODAY, answers=MODERATE),
    )
    other = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    cssrs_screen_record(
        acting_user=supervisor,
        episode_id=other.pk,
        data=ScreenInput(screened_on=TODAY, answers=MODERATE),
    )
    counts = patient_impasse_records_erase(episode.patient)
    assert counts["cssrs_screens"] == 1
    assert list(CssrsScreen.objects.values_list("episode_id", flat=True)) == [other.pk]
