"""320 CSS px and 200 % zoom (issue 20, WCAG 1.4.10 Reflow): no page scrolls sideways.

At 320 px, and at 640 px (a 1280 px window at 200 % zoom lays out as a 640 px one), the main
pages fit the window's width; a wide table scrolls inside its own box, never the page. The
screenshots, when asked for (tests/browser/screenshots.py), are for a person; none is compared.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from pseudoresistance.models import ImpasseCase
from pseudoresistance.services import impasse_review_start
from records.models import Role, TreatmentTrial
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
)

from .screenshots import screenshot
from .test_impasse_journeys import clinician, record_trial
from .test_keyboard_journey import sign_in

# A 1280 by 800 window at 200 % zoom lays out as 640 by 400.
SIZES = [
    pytest.param(ViewportSize(width=320, height=800), id="320px"),
    pytest.param(ViewportSize(width=640, height=400), id="1280px-at-200pc"),
]

# The page's width, and where it is exceeded first: elements wider than the window whose parent
# is not (outside any box that scrolls or clips on its own), named for the failure message.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const past = (element) => element.getBoundingClientRect().right > width + 1;
  const contained = (element) => {
    for (let up = element.parentElement; up; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (["auto", "scroll", "hidden", "clip"].includes(overflow)) return true;
    }
    return false;
  };
  const name = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (typeof element.className === "string" && element.className.trim()
       ? "." + element.className.trim().split(/\\s+/).join(".") : "");
  return {
    page: document.documentElement.scrollWidth,
    culprits: Array.from(document.querySelectorAll("body *"))
      .filter((element) => past(element) && !(element.parentElement && past(element.parentElement)
                                               && element.parentElement !== document.body))
      .filter((element) => !contained(element))
      .slice(0, 6)
      .map((element) => `${name(element)} (${Math.round(element.getBoundingClientRect().right)})`),
  };
}"""


@pytest.mark.parametrize("size", SIZES)
def test_the_main_pages_fit_a_narrow_window_without_scrolling_sideways(
    page: Page, transactional_db: None, size: ViewportSize
) -> None:
    width = size["width"]
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    # One colleague with every role, so one sign-in reaches every page.
    alex = clinician(clinic, Role.SUPERVISOR, "Alex")
    MembershipFactory(user=alex, clinic=clinic, role=Role.PSYCHIATRIST)
    MembershipFactory(user=alex, clinic=clinic, role=Role.CLINIC_ADMIN)
    patient = PatientFactory(
        clinic=clinic,
        psychiatrist=psychiatrist,
        family_name="Featherstonehaugh-Montgomery",
        given_name="Iris",
    )
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=150)
    )
    for weeks_ago, total in ((20, 31), (12, 26), (4, 22)):
        ScaleAdministrationFactory(
            episode=episode,
            scale="MADRS",
            total=Decimal(total),
            administered_on=timezone.localdate() - datetime.timedelta(weeks=weeks_ago),
        )
    record_trial(psychiatrist, episode, "sertraline", 100)
    record_trial(psychiatrist, episode, "venlafaxine", 150)
    case = ImpasseCase.objects.get(episode=episode)
    impasse_review_start(acting_user=alex, case_id=case.pk)
    trial = TreatmentTrial.objects.filter(episode=episode).first()
    assert trial is not None
    pages = {
        "patient-list": reverse("records:patient-list"),
        "patient-page": reverse("records:patient-detail", args=[patient.pk]),
        "trial-form": reverse("records:trial-create", args=[patient.pk, episode.pk]),
        "trial-edit": reverse("records:trial-update", args=[patient.pk, trial.pk]),
        "checklist": reverse("pseudoresistance:episode", args=[episode.pk]) + "?open=dB#dB",
        "queue": reverse("pseudoresistance:queue"),
        "review-form": reverse("pseudoresistance:case", args=[case.pk]),
        "cohort": reverse("cohort:cohort"),
        "staging": reverse("records:patient-staging", args=[patient.pk]),
        "settings": reverse("records:settings-letterhead"),
        "settings-agents": reverse("records:settings-agents"),
        "team": reverse("records:team"),
    }

    page.set_viewport_size(size)
    sign_in(page, alex)
    too_wide = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("load")
        measured = page.evaluate(OVERFLOW)
        screenshot(page, f"small-screens-{name}-{width}")
        if measured["page"] > width:
            too_wide[name] = measured
    # The navigation, opened from its toggle, wraps within the window too.
    page.get_by_role("button", name="Show navigation").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    screenshot(page, f"small-screens-navigation-{width}")
    measured = page.evaluate(OVERFLOW)
    if measured["page"] > width:
        too_wide["navigation"] = measured
    assert not too_wide, f"pages wider than {width} px: {too_wide}"
