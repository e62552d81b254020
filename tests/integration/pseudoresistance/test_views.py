"""Every impasse page and action: the happy path, another clinic's 404, a wrong role's 403."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.models import ChecklistAnswer, ImpasseCase, ImpasseReview
from pseudoresistance.services import OWN_PATIENT, impasse_review_start
from pseudoresistance.states import CaseState
from records.forms import PatientForm
from records.models import Clinic, Episode, Role, TreatmentTrial
from tests.factories import (
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
)
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(episode: Episode, psychiatrist: User) -> ImpasseCase:
    return ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)


@pytest.fixture
def other_case(other_clinic: Clinic) -> ImpasseCase:
    return ImpasseCaseFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=other_clinic)))


@pytest.fixture
def outsider_supervisor(member: Callable[..., User], other_clinic: Clinic) -> User:
    return member(Role.SUPERVISOR, in_clinic=other_clinic)


def url(name: str, *args: object) -> str:
    return reverse(f"pseudoresistance:{name}", args=args)


# --- queue -------------------------------------------------------------------------------------


def test_the_queue_lists_the_clinics_cases_for_a_supervisor(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase, other_case: object
) -> None:
    response = signed_in(supervisor).get(url("queue"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.case for row in rows] == [case]
    assert case.patient.record_number in response.content.decode()


def test_the_queue_is_forbidden_to_a_psychiatrist(
    signed_in: Callable[[User], Client], psychiatrist: User
) -> None:
    assert signed_in(psychiatrist).get(url("queue")).status_code == 403


def test_junk_queue_filters_show_errors_not_a_crash(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    response = signed_in(supervisor).get(url("queue"), {"psychiatrist": "abc", "state": "zzz"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert [row.case for row in response.context["rows"]] == [case]


def test_the_navigation_shows_the_queue_with_its_count_to_supervisors_only(
    signed_in: Callable[[User], Client], supervisor: User, psychiatrist: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    page = client.get(url("queue")).content.decode()
    assert 'data-testid="impasse-queue-count"' in page
    assert ">1</span>" in page
    verified_login(client, psychiatrist)
    page = client.get(url("episode", case.episode_id)).content.decode()
    assert "Impasse queue" not in page


# --- episode checklist page --------------------------------------------------------------------


def test_the_checklist_page_shows_status_staging_and_not_yet_tried(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    response = signed_in(psychiatrist).get(url("episode", episode.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="case-status-text"' in page
    assert 'data-testid="staging-table"' in page
    assert (
        "Classes without a documented adequate trial in this episode (for clinician review)" in page
    )
    # Sections are listed collapsed with their counts; the items load when one is opened.
    assert 'data-testid="checklist-toc"' in page
    opened = signed_in(psychiatrist).get(url("episode", episode.pk), {"open": "dE"})
    assert "From the record" in opened.content.decode()


def test_the_likely_badge_shows_only_where_the_answer_indicates_it_and_no_emoji(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    client = signed_in(psychiatrist)
    client.post(
        url("checklist-answers", episode.pk),
        {f"t{trial.pk}-answer_A4": "yes", "dB-answer_B3": "no", "dB-source_B3": "interview"},
    )
    response = client.get(url("episode", episode.pk), {"open": ["dB", f"t{trial.pk}"]})
    page = response.content.decode()
    unanswered = page.split('data-testid="item-dB-B9"')[1].split("</summary>")[0]
    assert 'data-testid="concern-badge"' not in unanswered
    badge = page.split(f'data-testid="item-t{trial.pk}-A4"')[1].split("</summary>")[0]
    assert "Pseudo-resistance likely" in badge
    b3 = page.split('data-testid="item-dB-B3"')[1].split("</summary>")[0]
    assert "Pseudo-resistance likely" not in b3
    checklist = page.split('id="checklist"')[1].split("</form>")[0]
    assert "🔶" not in checklist
    assert "established, not re-verified" in checklist


def test_the_checklist_page_of_another_clinic_is_not_found(
    signed_in: Callable[[User], Client], stranger: User, episode: Episode
) -> None:
    assert signed_in(stranger).get(url("episode", episode.pk)).status_code == 404


def test_the_checklist_page_refuses_a_user_without_a_clinic(
    signed_in: Callable[[User], Client], episode: Episode
) -> None:
    assert signed_in(UserFactory()).get(url("episode", episode.pk)).status_code == 403


def test_a_supervisor_reads_the_checklist_without_a_save_button(
    signed_in: Callable[[User], Client], supervisor: User, episode: Episode
) -> None:
    page = signed_in(supervisor).get(url("episode", episode.pk), {"open": "dB"}).content.decode()
    assert '<fieldset disabled data-testid="fields-dB">' in page
    assert "Save all answers" not in page


# --- answers -----------------------------------------------------------------------------------


def test_saving_a_trials_answers_records_them_and_returns_to_the_section(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    prefix = f"t{trial.pk}"
    response = signed_in(psychiatrist).post(
        url("checklist-answers", episode.pk),
        {f"{prefix}-answer_A4": "no", f"{prefix}-evidence_A4": "Tolerated well."},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#checklist-saved")
    answer = ChecklistAnswer.objects.get(item__code="A4", trial=trial)
    assert (answer.answer, answer.evidence) == ("no", "Tolerated well.")


def test_answers_in_three_sections_saved_at_once_are_all_kept(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    trial = failed_trial()
    client = signed_in(psychiatrist)
    response = client.post(
        url("checklist-answers", episode.pk),
        {
            f"t{trial.pk}-answer_A4": "no",
            "dB-answer_B3": "yes",
            "dB-source_B3": "interview",
            "dC-answer_C2": "unknown",
        },
    )
    assert response.status_code == 302
    # Back at the save bar, with the sections that were posted open again.
    assert response["Location"].endswith("#checklist-saved")
    reloaded = client.get(response["Location"])
    blocks = [*reloaded.context["trial_blocks"], *reloaded.context["domain_blocks"]]
    forms = {block.summary.prefix: block.form for block in blocks if block.form is not None}
    assert set(forms) == {f"t{trial.pk}", "dB", "dC"}
    assert forms[f"t{trial.pk}"]["answer_A4"].value() == "no"
    assert forms["dB"]["answer_B3"].value() == "yes"
    assert forms["dC"]["answer_C2"].value() == "unknown"
    assert "Answers saved." in reloaded.content.decode()


def test_saving_a_domain_records_its_answers(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(
        url("checklist-answers", episode.pk), {"dB-answer_B3": "no", "dB-source_B3": "interview"}
    )
    assert response.status_code == 302
    assert ChecklistAnswer.objects.get(item__code="B3").source == "interview"


def test_an_answer_error_shows_next_to_its_field_and_saves_nothing(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(
        url("checklist-answers", episode.pk),
        {"dC-evidence_C2": "STOP-Bang 6", "dC-escalate_C1": "on", "dC-answer_C1": "yes"},
    )
    assert response.status_code == 200
    form = {block.summary.prefix: block.form for block in response.context["domain_blocks"]}["dC"]
    assert form.errors["answer_C2"] == ["Choose yes, no or unknown."]
    assert "escalation_reason_C1" in form.errors
    assert not ChecklistAnswer.objects.exists()


def test_an_answer_to_an_item_outside_the_version_is_refused_with_a_message(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(
        url("checklist-answers", episode.pk), {"dB-answer_B3": "no", "dB-answer_B99": "yes"}
    )
    assert response.status_code == 200
    assert "B99 is not an item of checklist version 2026.11-1" in response.content.decode()
    assert not ChecklistAnswer.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"dB-answer_B3": "perhaps"},
        {"dB-version_B3": "not-a-number", "dB-answer_B3": "no"},
        {"dB-source_B3": "<script>", "dB-answer_B3": "no"},
        {"dB-evidence_B3": "x" * 5000, "dB-answer_B3": "no"},
    ],
    ids=["answer", "version", "source", "evidence too long"],
)
def test_malformed_answers_are_form_errors_never_a_crash(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode, data: dict[str, str]
) -> None:
    response = signed_in(psychiatrist).post(url("checklist-answers", episode.pk), data)
    assert response.status_code == 200
    assert not ChecklistAnswer.objects.exists()


def test_answers_for_a_trial_of_another_episode_are_ignored(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode, clinic: Clinic
) -> None:
    elsewhere = TrialFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)))
    response = signed_in(psychiatrist).post(
        url("checklist-answers", episode.pk), {f"t{elsewhere.pk}-answer_A4": "yes"}
    )
    assert response.status_code == 302
    assert not ChecklistAnswer.objects.exists()


def test_answers_to_another_clinics_episode_are_not_found(
    signed_in: Callable[[User], Client], stranger: User, episode: Episode
) -> None:
    response = signed_in(stranger).post(url("checklist-answers", episode.pk), {})
    assert response.status_code == 404


def test_a_supervisor_may_not_answer_the_checklist(
    signed_in: Callable[[User], Client], supervisor: User, episode: Episode
) -> None:
    response = signed_in(supervisor).post(url("checklist-answers", episode.pk), {})
    assert response.status_code == 403


# --- flag --------------------------------------------------------------------------------------


def test_a_psychiatrist_flags_the_episode(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(
        url("case-flag", episode.pk), {"reason": "Six months without change."}
    )
    assert response.status_code == 302
    assert ImpasseCase.objects.get(episode=episode).flag_reason == "Six months without change."


def test_a_flag_without_reason_shows_the_error_next_to_the_field(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    response = signed_in(psychiatrist).post(url("case-flag", episode.pk), {"reason": ""})
    assert response.status_code == 200
    assert response.context["flag_form"].errors["reason"]
    assert not ImpasseCase.objects.exists()


def test_flagging_twice_shows_why_it_is_refused(
    signed_in: Callable[[User], Client], psychiatrist: User, case: ImpasseCase
) -> None:
    response = signed_in(psychiatrist).post(
        url("case-flag", case.episode_id), {"reason": "x"}, follow=True
    )
    assert "already has an impasse case in progress" in response.content.decode()
    assert ImpasseCase.objects.count() == 1


def test_flagging_is_forbidden_to_a_clinic_admin_and_hidden_from_another_clinic(
    signed_in: Callable[[User], Client], clinic_admin: User, stranger: User, episode: Episode
) -> None:
    client = signed_in(clinic_admin)
    assert client.post(url("case-flag", episode.pk), {"reason": "x"}).status_code == 403
    verified_login(client, stranger)
    assert client.post(url("case-flag", episode.pk), {"reason": "x"}).status_code == 404


# --- case review page --------------------------------------------------------------------------


def test_the_review_page_shows_the_case_summary_for_a_supervisor(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    response = signed_in(supervisor).get(url("case", case.pk))
    assert response.status_code == 200
    page = response.content.decode()
    for part in ("case-summary", "case-status", "staging-table", "score-table", "not-yet-tried"):
        assert f'data-testid="{part}"' in page
    assert "Start the review" in page


def test_the_review_page_is_forbidden_to_a_psychiatrist(
    signed_in: Callable[[User], Client], psychiatrist: User, case: ImpasseCase
) -> None:
    assert signed_in(psychiatrist).get(url("case", case.pk)).status_code == 403


def test_the_review_page_of_another_clinic_is_not_found(
    signed_in: Callable[[User], Client], supervisor: User, other_case: ImpasseCase
) -> None:
    assert signed_in(supervisor).get(url("case", other_case.pk)).status_code == 404


def test_the_review_page_of_an_own_patient_says_who_reviews(
    signed_in: Callable[[User], Client], supervising_psychiatrist: User, clinic: Clinic
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=supervising_psychiatrist)
    own = ImpasseCaseFactory(episode=EpisodeFactory(patient=patient))
    page = signed_in(supervising_psychiatrist).get(url("case", own.pk)).content.decode()
    assert OWN_PATIENT.replace("'", "&#x27;") in page
    assert "Start the review" not in page


# --- review actions ----------------------------------------------------------------------------


def test_an_automatic_flag_names_its_date_and_criterion_and_no_person(
    signed_in: Callable[[User], Client], supervisor: User, clinic: Clinic
) -> None:
    flagger = UserFactory(first_name="Dana", last_name="Psychiatrist")
    automatic = ImpasseCaseFactory(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)),
        origin="automatic",
        flag_reason="",
        flagged_by=flagger,
        criteria=["msm_at_least_7"],
    )
    client = signed_in(supervisor)
    expected = f"Flagged automatically on {automatic.flagged_at:%-d %b %Y} because"
    for page in (client.get(url("queue")), client.get(url("case", automatic.pk))):
        html = page.content.decode()
        assert expected in html
        assert "Maudsley" in html.split(expected, 1)[1][:200]
        assert "Dana Psychiatrist" not in html


def test_a_supervisor_starts_and_signs_off_a_review(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    assert client.post(url("review-start", case.pk)).status_code == 302
    page = client.get(url("case", case.pk)).content.decode()
    assert 'data-testid="review-form"' in page
    follow_up = timezone.localdate() + datetime.timedelta(days=30)
    response = client.post(
        url("review-save", case.pk),
        {
            "findings": "Dose never optimised.",
            "next_steps": "Titrate; review in four weeks.",
            "follow_up_date": follow_up.isoformat(),
            "version": "1",
            "action": "sign_off",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWED
    assert ImpasseReview.objects.get(case=case).follow_up_date == follow_up


def test_sign_off_is_refused_over_an_open_suicide_alert_until_it_is_addressed(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    ScaleAdministrationFactory(
        episode=case.episode, scale="HAMD17", items={"3": 2}, administered_on=timezone.localdate()
    )
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    review = {
        "findings": "Dose never optimised.",
        "next_steps": "Titrate.",
        "version": "1",
        "action": "sign_off",
    }
    refused = client.post(url("review-save", case.pk), review)
    assert refused.status_code == 200
    assert "safety_note" in refused.context["review_form"].errors
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    note = "C-SSRS screen today: passive wish only, low risk; safety plan agreed."
    # The refused sign-off kept the text as a draft, at the next version.
    version = refused.context["review_form"]["version"].value()
    assert ImpasseReview.objects.get(case=case).findings == review["findings"]
    accepted = client.post(
        url("review-save", case.pk), {**review, "safety_note": note, "version": version}
    )
    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWED
    shown = client.get(url("case", case.pk)).content.decode()
    assert 'data-testid="review-safety-note"' in shown
    assert note in shown


def test_an_alert_older_than_90_days_does_not_hold_the_sign_off(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    ScaleAdministrationFactory(
        episode=case.episode,
        scale="HAMD17",
        items={"3": 2},
        administered_on=timezone.localdate() - datetime.timedelta(days=91),
    )
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    response = client.post(
        url("review-save", case.pk),
        {"findings": "F.", "next_steps": "N.", "version": "1", "action": "sign_off"},
    )
    assert response.status_code == 302


def test_a_draft_save_keeps_the_case_under_review(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    response = client.post(
        url("review-save", case.pk), {"findings": "So far.", "version": "1", "action": "save"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    assert ImpasseReview.objects.get(case=case).findings == "So far."


def test_an_incomplete_sign_off_shows_errors_next_to_the_fields(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    response = client.post(
        url("review-save", case.pk),
        {"version": "1", "action": "sign_off", "follow_up_date": "not-a-date", "factors": ["Q1"]},
    )
    assert response.status_code == 200
    errors = response.context["review_form"].errors
    assert {"follow_up_date", "factors"} <= set(errors)
    response = client.post(url("review-save", case.pk), {"version": "1", "action": "sign_off"})
    errors = response.context["review_form"].errors
    assert {"findings", "next_steps"} <= set(errors)
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW


def test_starting_a_review_already_started_shows_the_refusal(
    signed_in: Callable[[User], Client],
    supervisor: User,
    other_supervisor: User,
    case: ImpasseCase,
) -> None:
    impasse_review_start(acting_user=other_supervisor, case_id=case.pk)
    response = signed_in(supervisor).post(url("review-start", case.pk), follow=True)
    assert "this case is under review" in response.content.decode()
    assert ImpasseReview.objects.get(case=case).reviewer == other_supervisor


def test_starting_a_review_of_an_own_patient_is_forbidden_with_the_reason(
    signed_in: Callable[[User], Client], supervising_psychiatrist: User, clinic: Clinic
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=supervising_psychiatrist)
    own = ImpasseCaseFactory(episode=EpisodeFactory(patient=patient))
    response = signed_in(supervising_psychiatrist).post(url("review-start", own.pk))
    assert response.status_code == 403
    assert "another supervisor reviews this case" in response.content.decode()


def test_self_review_by_reassignment_is_refused_through_the_pages(
    signed_in: Callable[[User], Client],
    supervising_psychiatrist: User,
    psychiatrist: User,
    clinic: Clinic,
) -> None:
    """Issue 13, defect 7: reassign to a colleague on the patient form, then take the review."""
    me = supervising_psychiatrist
    patient = PatientFactory(clinic=clinic, psychiatrist=me)
    case = ImpasseCaseFactory(episode=EpisodeFactory(patient=patient), flagged_by=psychiatrist)
    client = signed_in(me)
    edit = {
        **{k: v for k, v in PatientForm.initial_for(patient).items() if v is not None},
        "psychiatrist": psychiatrist.pk,
    }
    reassigned = client.post(reverse("records:patient-update", args=[patient.pk]), edit)
    assert reassigned.status_code == 302
    patient.refresh_from_db()
    assert patient.psychiatrist == psychiatrist
    page = client.get(url("case", case.pk)).content.decode()
    assert 'data-testid="own-patient"' in page
    assert url("review-start", case.pk) not in page
    response = client.post(url("review-start", case.pk))
    assert response.status_code == 403
    assert "or were while this case was open" in response.content.decode()
    signed = client.post(
        url("review-save", case.pk),
        {"findings": "x", "next_steps": "y", "version": "1", "action": "sign_off"},
    )
    assert signed.status_code in (200, 403)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert not ImpasseReview.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "name", ["review-start", "review-save", "review-release", "case-close", "case-reopen"]
)
def test_case_actions_are_not_found_for_another_clinic(
    signed_in: Callable[[User], Client], outsider_supervisor: User, case: ImpasseCase, name: str
) -> None:
    response = signed_in(outsider_supervisor).post(url(name, case.pk), {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["review-start", "review-save", "review-release"])
def test_review_actions_are_forbidden_to_a_psychiatrist(
    signed_in: Callable[[User], Client], psychiatrist: User, case: ImpasseCase, name: str
) -> None:
    response = signed_in(psychiatrist).post(url(name, case.pk), {"reason": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["case-close", "case-reopen"])
def test_closing_and_reopening_are_forbidden_to_a_clinic_admin(
    signed_in: Callable[[User], Client], clinic_admin: User, case: ImpasseCase, name: str
) -> None:
    response = signed_in(clinic_admin).post(url(name, case.pk), {"close-reason": "x"})
    assert response.status_code == 403


def test_a_supervisor_hands_a_review_back(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    response = client.post(url("review-release", case.pk), {"release-reason": "Conflict."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_the_psychiatrist_closes_a_reviewed_case_from_the_episode_page(
    signed_in: Callable[[User], Client], psychiatrist: User, episode: Episode
) -> None:
    reviewed = ImpasseCaseFactory(episode=episode, state=CaseState.REVIEWED)
    client = signed_in(psychiatrist)
    response = client.post(
        url("case-close", reviewed.pk), {"close-reason": "", "return_to": "episode"}
    )
    assert response.status_code == 200
    assert response.context["close_form"].errors["reason"]
    response = client.post(
        url("case-close", reviewed.pk), {"close-reason": "Plan in place.", "return_to": "episode"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("episode", episode.pk) + "#impasse-case"
    reviewed.refresh_from_db()
    assert reviewed.state == CaseState.CLOSED


def test_a_supervisor_reopens_a_closed_case_from_the_review_page(
    signed_in: Callable[[User], Client], supervisor: User, episode: Episode
) -> None:
    closed = ImpasseCaseFactory(episode=episode, state=CaseState.CLOSED)
    response = signed_in(supervisor).post(
        url("case-reopen", closed.pk), {"reopen-reason": "Relapse."}
    )
    assert response["Location"] == url("case", closed.pk)
    closed.refresh_from_db()
    assert closed.state == CaseState.OPEN


def test_closing_an_open_case_shows_the_refusal(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    response = signed_in(supervisor).post(
        url("case-close", case.pk), {"close-reason": "Done."}, follow=True
    )
    assert response.redirect_chain == [(url("case", case.pk), 302)]
    assert "Only a reviewed case can be closed" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_get_is_not_allowed_on_actions(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    assert signed_in(supervisor).get(url("review-start", case.pk)).status_code == 405


# --- query counts ------------------------------------------------------------------------------


def count_queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def test_the_hot_pages_read_in_a_constant_number_of_queries(
    signed_in: Callable[[User], Client],
    supervisor: User,
    clinic: Clinic,
    case: ImpasseCase,
    failed_trial: Callable[..., TreatmentTrial],
) -> None:
    failed_trial()
    client = signed_in(supervisor)
    pages = [url("queue"), url("case", case.pk), url("episode", case.episode_id)]
    # The first request after signing in renews the idle timeout; the counted ones do not.
    client.get(pages[0])
    before = [count_queries(client, page) for page in pages]
    for number, agent in enumerate(["citalopram", "escitalopram", "venlafaxine"]):
        failed_trial(agent, 200, code=f"X{number}")
        ImpasseCaseFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)))
    assert [count_queries(client, page) for page in pages] == before
