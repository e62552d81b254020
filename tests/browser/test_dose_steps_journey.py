"""A titrated course as one trial with two dose steps (issue 16), at tablet and desktop width:
the live panel and the trial table give the derived course, the staging follows, and an
out-of-range end score is a field error with the steps kept."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from records.models import Membership, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory

from .screenshots import screenshot
from .test_records_journeys import sign_in_as_psychiatrist

WORKED_EXAMPLE = "150 mg/day for 8 weeks, after 4 weeks at 50 mg"


@pytest.mark.parametrize("width", [820, 1440])
def test_a_titrated_sertraline_course_is_one_trial_with_two_steps(
    page: Page, transactional_db: None, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 1180})
    sign_in_as_psychiatrist(page)
    clinic = Membership.objects.get(user__username="dr-lee").clinic
    patient = PatientFactory(clinic=clinic, record_number="RT-17")
    episode = EpisodeFactory(patient=patient, onset_date=datetime.date(2024, 9, 1))
    page.goto(f"/patients/{patient.pk}/")
    staging_before = page.get_by_test_id("staging-panel").inner_text()
    page.goto(f"/patients/{patient.pk}/episodes/{episode.pk}/trials/new/")

    page.get_by_label("Agent").fill("Sertraline")
    page.get_by_label("Start date").fill("2024-09-09")
    page.get_by_label("End date").fill("2024-12-02")
    page.get_by_label("Adherence").select_option("good")
    page.get_by_text("The dose changed during the course? Enter it as steps").click()
    page.get_by_label("Step 1: mg/day").fill("50")
    page.get_by_label("Step 2: mg/day").fill("150")
    page.get_by_test_id("dose-step").nth(1).get_by_label("from").fill("2024-10-07")
    expect(page.get_by_test_id("feedback-reasons")).to_contain_text(WORKED_EXAMPLE)
    screenshot(page, f"dose-steps-form-{width}")
    # An out-of-range score: the live panel lists it to fix (and no reasons until it is fixed).
    page.get_by_label("Outcome scale").select_option("MADRS")
    page.get_by_label("Outcome baseline score").fill("30")
    page.get_by_label("Outcome end score").fill("80")
    expect(page.get_by_test_id("adequacy-feedback")).to_contain_text(
        "MADRS total must be between 0 and 60"
    )
    page.get_by_role("button", name="Save trial").click()

    expect(page.locator("#id_outcome_end_score_error")).to_contain_text(
        "MADRS total must be between 0 and 60"
    )
    expect(page.get_by_label("Step 2: mg/day")).to_have_value("150")
    expect(page.get_by_test_id("dose-step").nth(1).get_by_label("from")).to_have_value("2024-10-07")
    assert not TreatmentTrial.objects.exists()
    screenshot(page, f"dose-steps-error-{width}")
    page.get_by_label("Outcome end score").fill("24")
    page.get_by_role("button", name="Save trial").click()

    row = page.get_by_test_id("trial-row-T1")
    expect(row).to_contain_text("50 → 150 mg/day")
    expect(row).to_contain_text(WORKED_EXAMPLE)
    expect(row.get_by_test_id("adequacy")).to_contain_text("adequate")
    # One adequate antidepressant without response: Thase-Rush stage I (it was 0 before).
    staging_after = page.get_by_test_id("staging-panel").inner_text()
    assert "stage I of V" in staging_after
    assert "stage I of V" not in staging_before
    screenshot(page, f"dose-steps-patient-{width}")
    trial = TreatmentTrial.objects.get()
    assert [step["dose_mg_per_day"] for step in trial.dose_steps] == ["50", "150"]

    page.get_by_role("link", name="Edit trial T1").click()
    expect(page.get_by_label("Step 2: mg/day")).to_have_value("150")
    expect(page.get_by_test_id("feedback-reasons")).to_contain_text(WORKED_EXAMPLE)
