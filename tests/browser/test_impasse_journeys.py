"""Impasse journeys in Chromium: the checklist changes the status; flagged, reviewed, seen.

The trials are recorded through records' services in the set-up (and the impasse flags refreshed
the way records' services are to call it); only the impasse pages are driven in the browser.
"""

import datetime
import re
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from pseudoresistance.models import ImpasseCase
from pseudoresistance.services import impasse_flags_refresh
from records.models import Clinic, Episode, Role
from records.services import TrialInput, trial_record
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    ImpasseCaseFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    UserFactory,
    builtin_agent,
)
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

from .screenshots import screenshot, screenshots_wanted


def clinician(clinic: Clinic, role: str, first_name: str) -> User:
    user = UserFactory(first_name=first_name, last_name="Tester")
    MembershipFactory(user=user, clinic=clinic, role=role)
    return user


def record_trial(user: User, episode: Episode, agent: str, dose: int) -> None:
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
    impasse_flags_refresh(episode=episode, acting_user=user)


def two_failed_trials(clinic: Clinic, psychiatrist: User) -> Episode:
    patient = PatientFactory(
        clinic=clinic,
        psychiatrist=psychiatrist,
        record_number="RN-IMP-1",
        family_name="Hale",
        given_name="Iris",
    )
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=150)
    )
    record_trial(psychiatrist, episode, "sertraline", 100)
    assert not ImpasseCase.objects.filter(episode=episode).exists()
    record_trial(psychiatrist, episode, "venlafaxine", 150)
    return episode


def sign_in(page: Page, user: User) -> None:
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_test_id("signed-in-user")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def answer_no(page: Page, section: str, *codes: str) -> None:
    for code in codes:
        page.get_by_test_id(f"item-{section}-{code}").get_by_label("No", exact=True).check()


def open_section(page: Page, section: str) -> None:
    """Open a collapsed section from the table of contents; its items load (htmx)."""
    page.get_by_test_id(f"toc-{section}").get_by_role("link").click()
    expect(page.get_by_test_id(f"fields-{section}")).to_be_attached()


def test_a_psychiatrist_completes_the_checklist_and_the_status_changes(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    episode = two_failed_trials(clinic, psychiatrist)
    sign_in(page, psychiatrist)
    page.goto(f"/impasse/episodes/{episode.pk}/")
    status = page.get_by_test_id("case-status-text")
    # The records answer every trial's RED items: what is left are the case-level gaps.
    expect(status).to_contain_text("Unverified: data gaps (3)")
    expect(page.get_by_test_id("status-counts")).to_have_text(
        "0 RED concerns · 3 high-priority gaps · 0 other gaps"
    )
    expect(page.get_by_test_id("data-gaps")).to_contain_text("B1: not yet answered")
    expect(page.get_by_test_id("status-confirmation")).to_contain_text("Unconfirmed")
    expect(page.get_by_test_id("toc-dB")).to_contain_text("3 gaps")
    # Answers in three sections, no save between them, one Save: none discards another.
    first, second = episode.trials.order_by("start_date", "seq")
    open_section(page, f"t{first.pk}")
    adherence = page.get_by_test_id(f"item-t{first.pk}-A5")
    expect(adherence.get_by_test_id("from-record")).to_be_visible()
    adherence.locator("summary").first.click()
    expect(adherence.get_by_test_id("record-link")).to_have_attribute(
        "href", re.compile(rf"/trials/{first.pk}/edit/#id_adherence$")
    )
    screenshot(page.get_by_test_id(f"section-t{first.pk}"), "checklist-trial-section")
    page.get_by_test_id(f"item-t{first.pk}-A13").get_by_label("Yes", exact=True).check()
    page.get_by_test_id(f"item-t{first.pk}-A13").get_by_label("Evidence").fill("Emotional blunting")
    open_section(page, f"t{second.pk}")
    answer_no(page, f"t{second.pk}", "A13", "A16")
    open_section(page, "dB")
    answer_no(page, "dB", "B1", "B3", "B9")
    page.get_by_role("button", name="Save all answers").last.click()
    messages = page.get_by_test_id("checklist-messages")
    expect(messages).to_contain_text("Answers saved.")
    expect(messages).to_be_in_viewport()
    expect(messages).to_be_focused()
    assert page.url.endswith("#checklist-saved")
    page.reload()
    expect(
        page.get_by_test_id(f"item-t{first.pk}-A13").get_by_label("Yes", exact=True)
    ).to_be_checked()
    expect(page.get_by_test_id(f"item-t{first.pk}-A13").get_by_label("Evidence")).to_have_value(
        "Emotional blunting"
    )
    for section, code in [(f"t{second.pk}", "A13"), (f"t{second.pk}", "A16")] + [
        ("dB", code) for code in ("B1", "B3", "B9")
    ]:
        expect(
            page.get_by_test_id(f"item-{section}-{code}").get_by_label("No", exact=True)
        ).to_be_checked()
    expect(status).to_contain_text(
        "The treatments tried meet a common definition of treatment resistance"
    )
    expect(status).to_contain_text("contributors present")
    expect(page.get_by_test_id("contributors")).to_contain_text("E8 (from the record)")
    page.get_by_role("button", name="Confirm this status").click()
    expect(page.get_by_test_id("status-confirmation")).to_contain_text("Confirmed")
    expect(page.get_by_test_id("status-confirmation")).to_contain_text("Dana Tester")
    if screenshots_wanted():
        for width in (820, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(f"/impasse/episodes/{episode.pk}/?open=dB#dB")
            screenshot(page, f"checklist-{width}", full_page=False)


def test_a_flagged_case_is_reviewed_by_a_supervisor_and_seen_by_the_psychiatrist(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    supervisor = clinician(clinic, Role.SUPERVISOR, "Sam")
    waiting = ImpasseCaseFactory(
        episode=EpisodeFactory(
            patient=PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-OLD")
        ),
        flagged_at=timezone.now() - datetime.timedelta(days=3),
    )
    episode = two_failed_trials(clinic, psychiatrist)
    case = ImpasseCase.objects.get(episode=episode)
    assert (case.origin, case.criteria) == ("automatic", ["fda_ema_met"])

    sign_in(page, supervisor)
    expect(page.get_by_test_id("impasse-queue-count")).to_have_text("2")
    page.get_by_role("link", name=re.compile("Impasse queue")).click()
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("RN-IMP-1")
    expect(rows.first).to_contain_text("FDA/EMA definition met")
    expect(rows.nth(1)).to_contain_text(waiting.patient.record_number)
    rows.first.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Impasse case review")).to_be_visible()
    expect(page.get_by_test_id("staging-table")).to_contain_text("FDA")
    page.get_by_role("button", name="Start the review").click()
    expect(page.get_by_test_id("case-state")).to_have_text("Under review")
    form = page.get_by_test_id("review-form")
    form.get_by_label("Findings").fill(
        "Two adequate SSRI/SNRI trials; psychotherapy never offered."
    )
    form.get_by_role(
        "checkbox", name=re.compile("evidence-based psychotherapy never been offered")
    ).check()
    form.get_by_label("Agreed next steps").fill("Refer for CBT; repeat HAM-D17 in four weeks.")
    follow_up = timezone.localdate() + datetime.timedelta(days=28)
    form.get_by_label("Follow up date").fill(follow_up.isoformat())
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_role("alert")).to_contain_text("Review signed off")
    expect(page.get_by_test_id("case-state")).to_have_text("Reviewed")
    expect(page.get_by_test_id("impasse-queue-count")).to_have_text("1")
    sign_out(page)

    sign_in(page, psychiatrist)
    page.goto(f"/impasse/episodes/{episode.pk}/")
    expect(page.get_by_test_id("case-state")).to_have_text("Reviewed")
    latest = page.get_by_test_id("latest-review")
    expect(latest).to_contain_text("Sam Tester")
    expect(latest.get_by_test_id("review-next-steps")).to_have_text(
        "Refer for CBT; repeat HAM-D17 in four weeks."
    )


def test_sign_off_waits_for_an_open_suicide_alert_to_be_addressed(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    supervisor = clinician(clinic, Role.SUPERVISOR, "Sam")
    case = ImpasseCaseFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)))
    ScaleAdministrationFactory(
        episode=case.episode, scale="HAMD17", items={"3": 2}, administered_on=timezone.localdate()
    )
    sign_in(page, supervisor)
    page.goto(f"/impasse/cases/{case.pk}/")
    page.get_by_role("button", name="Start the review").click()
    form = page.get_by_test_id("review-form")
    form.get_by_label("Findings").fill("Two adequate trials.")
    form.get_by_label("Agreed next steps").fill("Refer for CBT.")
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("case-state")).to_have_text("Under review")
    form = page.get_by_test_id("review-form")
    expect(form).to_contain_text("write how the alert was addressed")
    note = "C-SSRS screen today: passive wish only, low risk; safety plan agreed."
    form.get_by_label("How the suicide-item alert was addressed").fill(note)
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("case-state")).to_have_text("Reviewed")
    expect(page.get_by_test_id("review-safety-note")).to_have_text(
        re.compile(f"Note by Sam Tester on .*: {re.escape(note)}")
    )
