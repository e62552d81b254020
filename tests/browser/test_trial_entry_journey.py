"""Trial entry at tablet width (issue 16): a brand name, a typo in the dose and an out-of-range
end score are field errors with everything kept, and an edit shows no false errors."""

import datetime

from playwright.sync_api import Page, expect

from records.models import Membership, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory

from .test_records_journeys import sign_in_as_psychiatrist

TABLET = {"width": 820, "height": 1180}


def test_trial_entry_keeps_everything_and_edits_without_false_errors(
    page: Page, transactional_db: None
) -> None:
    page.set_viewport_size(TABLET)
    sign_in_as_psychiatrist(page)
    clinic = Membership.objects.get(user__username="dr-lee").clinic
    patient = PatientFactory(clinic=clinic, record_number="RT-16")
    episode = EpisodeFactory(patient=patient, onset_date=datetime.date(2024, 9, 1))
    page.goto(f"/patients/{patient.pk}/episodes/{episode.pk}/trials/new/")

    page.get_by_label("Agent").fill("Zoloft")
    page.get_by_label("Start date").fill("2024-09-10")
    page.get_by_label("End date").fill("2024-11-05")
    page.get_by_label("Dose (mg/day)").fill("15O")
    page.get_by_label("Weeks at dose").fill("8")
    page.get_by_label("Outcome scale").select_option("MADRS")
    page.get_by_label("Outcome baseline score").fill("30")
    page.get_by_label("Outcome end score").fill("80")
    expect(page.get_by_test_id("brand-note")).to_have_text("Zoloft → sertraline")
    page.get_by_role("button", name="Save trial").click()

    expect(page.locator("#id_dose_mg_per_day_error")).to_contain_text("Enter a number.")
    expect(page.locator("#id_outcome_end_score_error")).to_contain_text(
        "MADRS total must be between 0 and 60"
    )
    expect(page.get_by_label("Agent")).to_have_value("Zoloft")
    expect(page.get_by_label("Outcome end score")).to_have_value("80")
    page.get_by_label("Dose (mg/day)").fill("150")
    page.get_by_label("Outcome end score").fill("12")
    page.get_by_role("button", name="Save trial").click()
    expect(page.get_by_test_id("trial-row-T1")).to_contain_text("5 Nov 2024")
    assert TreatmentTrial.objects.get().agent.name == "sertraline"

    page.get_by_role("link", name="Edit trial T1").click()
    expect(page.get_by_label("Weeks at dose")).to_have_value("8")
    expect(page.get_by_label("Dose (mg/day)")).to_have_value("150")
    page.get_by_label("Weeks at dose").fill("7")
    expect(page.get_by_test_id("feedback-reasons")).to_be_visible()
    expect(page.get_by_test_id("adequacy-feedback")).not_to_contain_text("already exists")
    expect(page.get_by_test_id("feedback-errors")).to_have_count(0)
