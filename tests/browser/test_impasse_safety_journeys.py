"""Issue 17 in Chromium: safety before sign-off, the bipolar-aware list, the queue filter."""

import datetime
import re

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from pseudoresistance.models import CssrsScreen, ImpasseReview
from records.demo import DEMO_USERS, demo_clinic_create
from records.models import Episode, Role
from tests.browser.test_impasse_journeys import clinician, sign_in
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
)
from tests.factories.clinic import DEFAULT_PASSWORD


def test_sign_off_is_refused_over_an_alert_and_accepted_after_a_cssrs_screen(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    supervisor = clinician(clinic, Role.SUPERVISOR, "Sam")
    case = ImpasseCaseFactory(episode=EpisodeFactory(patient=PatientFactory(clinic=clinic)))
    ScaleAdministrationFactory(
        episode=case.episode,
        scale="HAMD17",
        items={"3": 2},
        administered_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    sign_in(page, supervisor)
    page.goto(f"/impasse/cases/{case.pk}/")
    expect(page.get_by_test_id("safety-alerts")).to_contain_text("No C-SSRS screen since the alert")
    page.get_by_role("button", name="Start the review").click()
    form = page.get_by_test_id("review-form")
    form.get_by_label("Findings").fill("Two adequate trials.")
    form.get_by_label("Agreed next steps").fill("Refer for CBT.")
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("case-state")).to_have_text("Under review")
    expect(page.get_by_test_id("review-form")).to_contain_text("record a C-SSRS screen")

    # Only the chosen action's reason box is shown: no "Reason" under the sign-off.
    expect(page.get_by_label("Why hand the case back")).to_be_hidden()
    screen = page.get_by_test_id("screen-form")
    screen.get_by_role("group", name=re.compile("^1\\. Wished to be dead")).get_by_label(
        "Yes"
    ).check()
    screen.get_by_role("group", name=re.compile("^2\\. Actual thoughts")).get_by_label("No").check()
    screen.get_by_role("group", name=re.compile("^6\\. Ever done")).get_by_label("No").check()
    screen.get_by_role("button", name="Record the screen").click()
    expect(page.get_by_role("alert")).to_contain_text("C-SSRS screen recorded: low risk")
    expect(page.get_by_test_id("safety-alerts")).to_contain_text("Addressed by the C-SSRS screen")

    form = page.get_by_test_id("review-form")
    expect(form.get_by_test_id("sign-off-screen")).to_contain_text("low risk")
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("case-state")).to_have_text("Reviewed")
    expect(page.get_by_test_id("review-safety-note")).to_contain_text("C-SSRS screen of")
    expect(page.get_by_test_id("review-safety-note")).to_contain_text("low risk")
    review = ImpasseReview.objects.get(case=case)
    assert review.cssrs_screen == CssrsScreen.objects.get()
    # After sign-off the page shows each action once, each reason box its own.
    expect(page.get_by_text("Why close the case", exact=False)).to_have_count(1)
    expect(page.get_by_text("Why reopen the case", exact=False)).to_have_count(1)


def demo_user(username: str) -> User:
    user = User.objects.get(username=username)
    user.set_password(DEFAULT_PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_the_bipolar_suspected_demo_patients_list_leads_with_mood_stabilisers(
    page: Page, transactional_db: None
) -> None:
    demo_clinic_create()
    psychiatrist = demo_user(DEMO_USERS[0][0])
    episode = Episode.objects.get(patient__record_number="DEMO-V07", end_date__isnull=True)
    sign_in(page, psychiatrist)
    page.goto(f"/impasse/episodes/{episode.pk}/")
    listed = page.get_by_test_id("not-yet-tried")
    first_group = listed.locator("h3").first
    expect(first_group).to_contain_text("Bipolar depression")
    first_options = listed.locator("li strong")
    expect(first_options.nth(0)).to_have_text("Lithium (mood stabiliser)")
    expect(first_options.nth(1)).to_have_text("Lamotrigine (mood stabiliser)")
    expect(listed.get_by_test_id("option-caution").first).to_have_text(
        "not without a mood stabiliser"
    )


def test_the_queue_filters_by_why_a_case_was_flagged(page: Page, transactional_db: None) -> None:
    demo_clinic_create()
    supervisor = demo_user(DEMO_USERS[1][0])
    sign_in(page, supervisor)
    page.goto("/impasse/")
    rows = page.get_by_test_id("queue-row")
    every = rows.count()
    assert every > 0
    choice = page.get_by_label("Why flagged")
    expect(choice.locator("option[value=fda_ema_met]")).to_contain_text(re.compile(r"\(\d+\)"))
    choice.select_option("fda_ema_met")
    page.get_by_role("button", name="Filter").click()
    assert "criterion=fda_ema_met" in page.url
    expect(rows.first).to_contain_text("FDA/EMA definition met")
    assert rows.count() <= every
    page.goto("/impasse/?criterion=<script>")
    expect(page.get_by_text("Select a valid choice")).to_be_visible()
