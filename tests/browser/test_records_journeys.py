"""A psychiatrist's first session: a new patient, the episode, three trials, scores, the chart."""

from playwright.sync_api import Page, expect

from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

from .screenshots import screenshot


def sign_in_as_psychiatrist(page: Page) -> None:
    user = UserFactory(username="dr-lee", first_name="Robin", last_name="Lee")
    MembershipFactory(user=user, clinic=ClinicFactory(name="Riverside"), role=Role.PSYCHIATRIST)
    authenticator_for(user)
    page.goto("/")
    page.get_by_label("Username").fill("dr-lee")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def add_trial(page: Page, *, kind: str, start: str, fields: dict[str, str]) -> None:
    page.get_by_label("Kind").select_option(kind)
    page.get_by_label("Start date").fill(start)
    for label, value in fields.items():
        control = page.get_by_label(label, exact=True)
        if control.evaluate("element => element.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def test_psychiatrist_records_a_patient_and_sees_adequacy_and_the_chart(
    page: Page, transactional_db: None
) -> None:
    sign_in_as_psychiatrist(page)
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Record number").fill("RJ-100")
    page.get_by_label("Family name").fill("Jensen")
    page.get_by_label("Given name").fill("Ruth")
    page.get_by_label("Date of birth").fill("1979-04-02")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_test_id("patient-name")).to_have_text("Ruth Jensen")

    page.get_by_role("link", name="Record the current episode").click()
    page.get_by_label("Onset date").fill("2024-09-01")
    page.get_by_label("Baseline scale").select_option("HAMD17")
    page.get_by_label("Baseline score").fill("22")
    page.get_by_role("button", name="Record episode").click()
    expect(page.get_by_test_id("episode-summary")).to_contain_text("1 Sep 2024")

    page.get_by_role("link", name="Add trial").click()
    add_trial(
        page,
        kind="antidepressant",
        start="2024-09-15",
        fields={
            "Agent": "sertraline",
            "Dose (mg/day)": "150",
            "Weeks at dose": "8",
            "Adherence": "good",
            "Percent symptom reduction": "20",
        },
    )
    # Judged while typing, before anything is saved.
    expect(page.get_by_test_id("feedback-verdict")).to_have_text("adequate")
    page.get_by_role("button", name="Save and add another").click()
    expect(page.get_by_role("alert")).to_have_text("Trial T1 is saved.")

    add_trial(
        page,
        kind="antidepressant",
        start="2024-11-20",
        fields={
            "Agent": "escitalopram",
            "Dose (mg/day)": "5",
            "Weeks at dose": "3",
            "Adherence": "good",
            "Percent symptom reduction": "10",
        },
    )
    expect(page.get_by_test_id("feedback-verdict")).to_have_text("not adequate")
    expect(page.get_by_test_id("feedback-reasons")).to_contain_text("is below the minimum")
    page.get_by_role("button", name="Save and add another").click()
    expect(page.get_by_role("alert")).to_have_text("Trial T2 is saved.")

    add_trial(
        page,
        kind="psychotherapy",
        start="2025-01-10",
        fields={
            "Therapy type": "CBT",
            "Attended sessions": "12",
            "Percent symptom reduction": "30",
        },
    )
    # Medication fields do not apply to psychotherapy and are hidden.
    expect(page.get_by_label("Dose (mg/day)", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Save trial").click()

    trials = page.get_by_test_id("trial-table")
    expect(trials.locator("tbody tr")).to_have_count(3)
    inadequate = page.get_by_test_id("trial-row-T2")
    expect(inadequate.get_by_test_id("adequacy")).to_contain_text("not adequate")
    expect(inadequate).to_contain_text("5 mg/day is below the minimum adequate 10 mg/day")
    expect(page.get_by_test_id("trial-row-T3")).to_contain_text("Partial response")

    for day, total in (("2024-09-10", "22"), ("2025-02-20", "12")):
        page.get_by_label("Scale", exact=True).select_option("HAMD17")
        page.get_by_role("button", name="Add score").click()
        page.get_by_label("Administered on").fill(day)
        page.get_by_label("Total").fill(total)
        page.get_by_role("button", name="Save score").click()
        expect(page.get_by_role("alert")).to_contain_text(f"HAM-D17 {total} on")
    expect(page.get_by_test_id("score-table")).to_contain_text("45 % reduction · partial response")
    # plotly.js is a large script: on a loaded machine it may take more than the default 5 s.
    expect(page.get_by_test_id("score-chart").locator("svg").first).to_be_visible(timeout=20_000)

    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot(page, "patient-page")
