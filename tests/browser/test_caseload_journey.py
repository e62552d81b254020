"""A psychiatrist's caseload at a glance, on a desktop (1440 px) and a tablet (820 px)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.states import CaseState
from records.models import Role
from records.services import episode_changed
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
    builtin_agent,
)
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

from .screenshots import screenshot

TODAY = timezone.localdate()
DOSES = {"sertraline": 150, "venlafaxine": 225, "mirtazapine": 45, "nortriptyline": 100}


def patient_with(clinic, psychiatrist, family_name: str, given_name: str, agents: tuple[str, ...]):
    """A patient in an episode with failed adequate trials of `agents`, staged (change path)."""
    patient = PatientFactory(
        clinic=clinic, psychiatrist=psychiatrist, family_name=family_name, given_name=given_name
    )
    episode = EpisodeFactory(patient=patient, onset_date=TODAY - datetime.timedelta(days=420))
    for n, agent in enumerate(agents):
        TrialFactory(
            episode=episode,
            agent=builtin_agent(agent),
            dose_mg_per_day=Decimal(DOSES[agent]),
            start_date=episode.onset_date + datetime.timedelta(days=14 + 70 * n),
        )
    episode_changed(episode_ids=[episode.pk], acting_user=None)
    return patient, episode


def madrs(episode, days_ago: int, total: int, suicide_item: int = 0) -> None:
    ScaleAdministrationFactory(
        episode=episode,
        scale="MADRS",
        administered_on=TODAY - datetime.timedelta(days=days_ago),
        total=Decimal(total),
        items={"10": suicide_item},
    )


def signed_off(episode, reviewer, next_steps: str) -> None:
    case = ImpasseCase.objects.exclude(state=CaseState.CLOSED).get(episode=episode)
    ImpasseCase.objects.filter(pk=case.pk).update(state=CaseState.REVIEWED)
    now = timezone.now()
    ImpasseReview.objects.create(
        case=case,
        reviewer=reviewer,
        started_at=now - datetime.timedelta(hours=1),
        findings="Three adequate trials of two classes failed; adherence good.",
        next_steps=next_steps,
        signed_off_at=now,
    )


def sign_in(page: Page, user) -> None:
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)


def no_page_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


@pytest.mark.parametrize("width", [1440, 820])
def test_psychiatrist_reads_the_caseload_sorts_filters_and_sees_the_sign_off(
    page: Page, transactional_db: None, width: int
) -> None:
    clinic = ClinicFactory(name="Riverside")
    doctor = UserFactory(username="dr-lee", first_name="Robin", last_name="Lee")
    MembershipFactory(user=doctor, clinic=clinic, role=Role.PSYCHIATRIST)
    colleague = UserFactory(first_name="Sam", last_name="Okafor")
    MembershipFactory(user=colleague, clinic=clinic, role=Role.PSYCHIATRIST)
    supervisor = UserFactory(first_name="Grace", last_name="Hopper")
    MembershipFactory(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    _, jensen = patient_with(
        clinic, doctor, "Jensen", "Ruth", ("sertraline", "venlafaxine", "mirtazapine")
    )
    madrs(jensen, days_ago=45, total=28, suicide_item=4)
    signed_off(jensen, supervisor, "Add lithium, check the level at 5 days; rate again in 4 weeks.")
    _, abbott = patient_with(clinic, doctor, "Abbott", "Tom", ("sertraline",))
    madrs(abbott, days_ago=6, total=14)
    patient_with(clinic, colleague, "Zimmer", "Ann", ())

    page.set_viewport_size({"width": width, "height": 1000})
    sign_in(page, doctor)
    expect(page.get_by_role("heading", name="My patients")).to_be_visible()
    table = page.get_by_test_id("patient-table")
    expect(table.get_by_test_id("caseload-row")).to_have_count(2)
    expect(table).not_to_contain_text("Zimmer")
    jensen_row = table.get_by_test_id("caseload-row").filter(has_text="Jensen")
    expect(jensen_row.get_by_test_id("stage")).to_contain_text("Thase-Rush stage")
    expect(jensen_row.get_by_test_id("stage")).to_contain_text("of 15")
    expect(jensen_row.get_by_test_id("score")).to_contain_text("MADRS 28 of 60")
    expect(jensen_row.get_by_test_id("score")).to_contain_text("Overdue")
    expect(jensen_row.get_by_test_id("alerts")).to_contain_text("1 open")
    expect(jensen_row.get_by_test_id("case")).to_contain_text("Reviewed")
    expect(jensen_row.get_by_test_id("review")).to_contain_text("Grace Hopper signed off")
    expect(page.get_by_test_id("sign-off-notice")).to_contain_text("Add lithium")
    no_page_scroll(page)
    scroller = page.get_by_test_id("caseload-scroll")
    overflow = scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    assert overflow == (width < 1000), "the table scrolls in its own box on a tablet only"
    screenshot(page, f"caseload-{width}")

    # The most advanced stage first, then only the patients with an open alert.
    page.get_by_role("link", name="Latest stage").click()
    expect(table.get_by_test_id("caseload-row").first).to_contain_text("Jensen")
    expect(page.get_by_role("columnheader", name="Latest stage")).to_have_attribute(
        "aria-sort", "descending"
    )
    page.get_by_label("Safety alert open").check()
    page.get_by_role("button", name="Search").click()
    expect(table.get_by_test_id("caseload-row")).to_have_count(1)
    expect(page.get_by_role("columnheader", name="Latest stage")).to_have_attribute(
        "aria-sort", "descending"
    )

    # Opening the patient shows the sign-off once; back on the list the notice is gone.
    page.get_by_role("link", name="Jensen, Ruth").click()
    expect(page.get_by_test_id("sign-off-notice")).to_contain_text("Grace Hopper signed off")
    screenshot(page, f"caseload-notice-{width}", full_page=False)
    page.goto("/")
    expect(page.get_by_test_id("sign-off-notices")).to_have_count(0)
    page.get_by_label("Whose patients").select_option(label="Any psychiatrist")
    page.get_by_role("button", name="Search").click()
    expect(table.get_by_test_id("caseload-row")).to_have_count(3)
    expect(table).to_contain_text("Sam Okafor")
