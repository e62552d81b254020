"""The patient page's one timeline and the tablet layout (issue 16).

Two scales over four trials: the timeline fits its card at tablet and desktop widths, a lone
score gets day ticks (never plotly's millisecond ones), the trial table keeps its actions in
view at 820 px, and the trial form's adequacy panel stays beside the fields while typing.
"""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from records.models import Membership, Patient
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    builtin_agent,
)

from .screenshots import screenshot
from .test_records_journeys import sign_in_as_psychiatrist

WIDTHS = [820, 1280, 1440]
ONSET = datetime.date(2025, 1, 6)


def box_within(inner: dict[str, float], outer: dict[str, float]) -> bool:
    # One pixel of slack for sub-pixel rounding of borders.
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def patient_with_history(clinic_id: int) -> Patient:
    patient = PatientFactory(clinic_id=clinic_id, record_number="TL-1")
    episode = EpisodeFactory(patient=patient, onset_date=ONSET)
    plan = (
        ("sertraline", 150, 8, 0, datetime.date(2025, 3, 24)),
        ("venlafaxine", 225, 10, 90, None),
        ("nortriptyline", 100, 8, 180, datetime.date(2025, 9, 1)),
    )
    for number, (agent, dose, weeks, day, end) in enumerate(plan, start=1):
        TrialFactory(
            episode=episode,
            code=f"T{number}",
            seq=number,
            agent=builtin_agent(agent),
            dose_mg_per_day=Decimal(dose),
            weeks=Decimal(weeks),
            start_date=ONSET + datetime.timedelta(days=14 + day),
            end_date=end,
        )
    for day, madrs, phq in ((7, 34, 21), (80, 30, 19), (170, 26, 16), (250, 14, 9)):
        on = ONSET + datetime.timedelta(days=day)
        ScaleAdministrationFactory(episode=episode, scale="MADRS", administered_on=on, total=madrs)
        ScaleAdministrationFactory(episode=episode, scale="PHQ9", administered_on=on, total=phq)
    return patient


@pytest.mark.parametrize("width", WIDTHS)
def test_the_timeline_fits_its_card_with_two_scales_over_the_trials(
    page: Page, transactional_db: None, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 1000})
    sign_in_as_psychiatrist(page)
    clinic = Membership.objects.get(user__username="dr-lee").clinic
    patient = patient_with_history(clinic.pk)
    page.goto(f"/patients/{patient.pk}/")

    chart = page.get_by_test_id("score-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=20_000)
    card = page.get_by_test_id("timeline-card").bounding_box()
    plot = chart.locator(".main-svg").first.bounding_box()
    assert card is not None
    assert plot is not None
    assert box_within(plot, card), (plot, card)
    # One figure: a subplot per scale and one of trial bars, labelled in words.
    expect(chart.locator(".main-svg").first.locator(".subplot")).to_have_count(3)
    expect(chart).to_contain_text("MADRS total (0–60; higher is worse)")
    expect(chart).to_contain_text("PHQ-9 total (0–27; higher is worse)")
    expect(chart).to_contain_text("T1 sertraline 150 mg/day")
    expect(chart).not_to_contain_text("00:00")

    # The trial table scrolls within its own box, its actions pinned at the box's right edge:
    # the page never scrolls sideways and Edit is on screen at every width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    edit = page.get_by_role("link", name="Edit trial T1")
    edit.scroll_into_view_if_needed()
    box = edit.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width
    screenshot(page, f"patient-timeline-{width}")


@pytest.mark.parametrize("width", [820, 1440])
def test_the_adequacy_panel_stays_beside_the_trial_form_while_typing(
    page: Page, transactional_db: None, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_as_psychiatrist(page)
    clinic = Membership.objects.get(user__username="dr-lee").clinic
    patient = patient_with_history(clinic.pk)
    episode = patient.episodes.get()
    page.goto(f"/patients/{patient.pk}/episodes/{episode.pk}/trials/new/")
    page.get_by_label("Agent").fill("sertraline")
    page.get_by_label("Start date").fill("2025-10-01")
    page.get_by_label("Dose (mg/day)").fill("150")
    # The last field of the form, far down the page: the panel is still in view beside it.
    page.get_by_label("Weeks at dose").fill("8")
    page.get_by_label("Percent symptom reduction").fill("20")
    panel = page.get_by_test_id("adequacy-feedback")
    expect(panel.get_by_test_id("feedback-reasons")).to_be_visible()
    expect(panel).to_be_in_viewport()
    form = page.locator("#trial-form").bounding_box()
    beside = panel.bounding_box()
    assert form is not None
    assert beside is not None
    assert beside["x"] >= form["x"] + form["width"]
    screenshot(page, f"trial-form-{width}", full_page=False)
