"""A psychiatrist imports a pharmacy's dispensing file: checks the proposals, adjusts one,
confirms, and sees the trials and the staging change."""

import datetime
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from records.models import Role, TreatmentTrial
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    UserFactory,
)
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step
from tests.unit.records.test_medication_import import dispensing_csv


def test_psychiatrist_imports_dispensings_adjusts_one_course_and_sees_the_staging(
    page: Page, transactional_db: None, tmp_path: Path
) -> None:
    clinic = ClinicFactory(name="Riverside")
    user = UserFactory(username="dr-okafor")
    MembershipFactory(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    authenticator_for(user)
    patient = PatientFactory(clinic=clinic)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2021, 11, 1))
    page.goto("/")
    page.get_by_label("Username").fill("dr-okafor")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)

    staging = reverse("records:patient-staging", args=[patient.pk])
    page.goto(staging)
    before = page.get_by_role("main").inner_text()

    file = tmp_path / "pharmacy.csv"
    file.write_text(dispensing_csv())
    page.goto(reverse("records:patient-detail", args=[patient.pk]))
    page.get_by_role("link", name="Import medication records").click()
    page.get_by_label("Medication records (FHIR .json or dispensing .csv)").set_input_files(
        str(file)
    )
    page.get_by_role("button", name="Propose courses").click()
    expect(page.get_by_role("heading", name="Check the proposed courses")).to_be_visible()
    rows = page.get_by_test_id("proposed-courses").locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_test_id("course-C5")).to_contain_text("67 % of days covered")
    expect(page.get_by_test_id("course-C1").get_by_test_id("dose-steps")).to_contain_text(
        "100 mg/day from"
    )
    # On a tablet the review table fits: nothing scrolls sideways, neither its box nor the page.
    page.set_viewport_size({"width": 820, "height": 1000})
    widths = page.get_by_test_id("proposed-courses-frame").evaluate(
        "box => [box.scrollWidth, box.clientWidth, document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert widths[2] <= widths[3], widths
    assert TreatmentTrial.objects.count() == 0

    page.get_by_test_id("course-C5").locator("input[name$='-dose_mg_per_day']").fill("45")
    page.get_by_role("button", name="Import the ticked courses").click()
    expect(page.get_by_role("alert")).to_contain_text("5 courses imported from pharmacy.csv")
    trials = TreatmentTrial.objects.filter(episode__patient=patient).order_by("start_date")
    assert [t.agent.name for t in trials] == [
        "sertraline",
        "venlafaxine",
        "venlafaxine",
        "aripiprazole",
        "mirtazapine",
    ]
    assert trials.last().dose_mg_per_day == 45
    # The sertraline titration is saved as dose steps, not as its highest dose.
    assert [step["dose_mg_per_day"] for step in trials.first().dose_steps] == ["50", "100"]

    page.goto(staging)
    after = page.get_by_role("main").inner_text()
    assert after != before
    assert "mirtazapine" in after
