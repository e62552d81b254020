"""Keyboard only (issue 20): after signing in, nothing but the keyboard, at 1280 and at 320 px.

A psychiatrist enters a trial (the agent picked from the suggestions with the arrow keys), answers
a checklist item in a section loaded on opening, and a supervisor signs off the review. After each
step the focus is on an element (never the page's body, not even after an htmx update), its focus
ring shows, and the change was announced in an `aria-live` region.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from pseudoresistance.models import ChecklistAnswer, ImpasseCase, ImpasseReview
from records.models import Role, TreatmentTrial
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

from .test_impasse_journeys import clinician, record_trial

WIDTHS = [pytest.param(1280, id="1280px"), pytest.param(320, id="320px")]
# Enough presses to walk through the longest page's controls (the checklist) once.
MOST_TABS = 250

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    name: (element.getAttribute("aria-label")
           || (element.labels && element.labels.length ? element.labels[0].innerText : "")
           || element.innerText || element.value || "").trim(),
    tag: element.tagName.toLowerCase(),
    id: element.id,
    ring: outline || style.boxShadow !== "none",
  };
}"""


def focused(page: Page) -> dict[str, object]:
    """Return the focused element, after checking it is not the body and shows its focus ring."""
    element = page.evaluate(FOCUSED)
    assert element is not None, "the focus was lost to the page's body"
    assert element["ring"], f"no visible focus ring on {element}"
    return dict(element)


def tab_to(page: Page, name: str | re.Pattern[str], *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element's name matches, as a user would."""
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^{re.escape(name)}$")
    key = "Shift+Tab" if backwards else "Tab"
    page.wait_for_load_state()
    for _ in range(MOST_TABS):
        page.keyboard.press(key)
        element = page.evaluate(FOCUSED)
        if element is not None and pattern.search(str(element["name"])):
            focused(page)
            return
    raise AssertionError(f"{name!r} was never reached with {key}")


def sign_in(page: Page, user: User) -> None:
    """Sign in (the one part with the mouse allowed); at 320 px the user's name is in the menu."""
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_test_id("signed-in-user")).to_be_attached()
    page.wait_for_load_state()


def open_main_navigation(page: Page, width: int) -> None:
    """At 320 px the navigation is behind its toggle: open it with the keyboard."""
    if width < 992:
        tab_to(page, "Show navigation", backwards=True)
        page.keyboard.press("Enter")
        expect(page.locator("#main-nav")).to_be_visible()


def announced(page: Page) -> str:
    """Return the text of every polite or assertive live region on the page."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]'))
           .map((region) => region.innerText).join(" | ")"""
    )


def expect_announced(page: Page, text: str | re.Pattern[str]) -> None:
    pattern = text if isinstance(text, re.Pattern) else re.compile(re.escape(text))
    page.wait_for_function(
        """(source) => Array.from(document.querySelectorAll(
             '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]'))
           .some((region) => new RegExp(source).test(region.innerText))""",
        arg=pattern.pattern,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_trial_a_checklist_answer_and_a_sign_off_with_the_keyboard_only(
    page: Page, transactional_db: None, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    supervisor = clinician(clinic, Role.SUPERVISOR, "Sam")
    patient = PatientFactory(
        clinic=clinic, psychiatrist=psychiatrist, family_name="Hale", given_name="Iris"
    )
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=150)
    )
    record_trial(psychiatrist, episode, "sertraline", 100)
    record_trial(psychiatrist, episode, "venlafaxine", 150)
    case = ImpasseCase.objects.get(episode=episode)

    # The trial: from the caseload to the patient to the trial form, by Tab and Enter.
    sign_in(page, psychiatrist)
    tab_to(page, "Hale, Iris")  # the caseload: the patient's name is its link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Iris Hale")).to_be_visible()
    tab_to(page, "Add trial")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a treatment trial")).to_be_visible()
    tab_to(page, re.compile("^Agent"))
    agent = page.get_by_role("combobox", name="Agent")
    expect(agent).to_be_focused()
    page.keyboard.type("mirt")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(agent).to_have_attribute("aria-expanded", "true")
    expect_announced(page, re.compile(r"\d+ suggestions?"))
    page.keyboard.press("ArrowDown")
    active = agent.get_attribute("aria-activedescendant")
    assert active
    expect(page.locator(f"#{active}")).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#{active}")).to_contain_text("mirtazapine")
    page.keyboard.press("Enter")
    expect(agent).to_have_value("mirtazapine")
    expect(agent).to_be_focused()
    expect(listbox).to_be_hidden()
    focused(page)
    tab_to(page, re.compile("^Start date"))
    page.keyboard.type((episode.onset_date + datetime.timedelta(days=60)).strftime("%m%d%Y"))
    tab_to(page, re.compile(r"^Dose \(mg/day\)"))
    page.keyboard.type("150")
    tab_to(page, re.compile("^Weeks at dose"))
    page.keyboard.type("8")
    # The live adequacy panel is re-drawn by htmx: the focus stays in the field being typed in.
    expect_announced(page, re.compile("Adequacy as entered: level \\d/5, (adequate|not adequate)"))
    expect(page.get_by_label("Weeks at dose")).to_be_focused()
    focused(page)
    tab_to(page, "Save trial")
    page.keyboard.press("Enter")
    expect_announced(page, "Trial T3 is saved")
    # The redirect points at the patient's trials: the focus goes there, the message is read.
    expect(page.locator("#trials")).to_be_focused()
    focused(page)
    assert TreatmentTrial.objects.filter(episode=episode).count() == 3
    assert TreatmentTrial.objects.get(episode=episode, seq=3).agent.name == "mirtazapine"

    # The checklist: a section opened from its table of contents; its items load (htmx).
    tab_to(page, "Open the checklist")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pseudo-resistance checklist")).to_be_visible()
    tab_to(page, re.compile("^B · "))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("fields-dB")).to_be_attached()
    element = focused(page)
    assert element["tag"] == "summary", f"the opened section does not hold the focus: {element}"
    expect_announced(page, re.compile(r"B · .*: \d+ items? loaded"))
    tab_to(page, re.compile("^B1 "))
    # A radio group is one Tab stop: the arrow keys move within it and check the answer.
    tab_to(page, "Yes")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("item-dB-B1").get_by_label("No", exact=True)).to_be_checked()
    tab_to(page, "Save all answers", backwards=True)
    page.keyboard.press("Enter")
    expect_announced(page, "Answers saved.")
    expect(page.get_by_test_id("checklist-messages")).to_be_focused()
    focused(page)
    assert ChecklistAnswer.objects.filter(review__episode=episode, item__code="B1").exists()

    # The sign-off, as the supervisor: the queue, the case, Start the review, Sign off.
    open_main_navigation(page, width)
    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Username")).to_be_visible()
    sign_in(page, supervisor)
    open_main_navigation(page, width)
    tab_to(page, re.compile("^Impasse queue"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    tab_to(page, re.compile(re.escape(patient.record_number)))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Impasse case review")).to_be_visible()
    tab_to(page, "Start the review")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("case-state")).to_have_text("Under review")
    expect_announced(page, "You are reviewing this case.")
    expect(page.get_by_test_id("page-messages")).to_be_focused()
    focused(page)
    tab_to(page, re.compile("^Findings"))
    page.keyboard.type("Two adequate trials; psychotherapy never offered.")
    tab_to(page, re.compile("evidence-based psychotherapy never been offered"))
    page.keyboard.press("Space")
    expect(
        page.get_by_role(
            "checkbox", name=re.compile("evidence-based psychotherapy never been offered")
        )
    ).to_be_checked()
    tab_to(page, re.compile("^Agreed next steps"))
    page.keyboard.type("Refer for CBT.")
    tab_to(page, "Sign off")
    page.keyboard.press("Enter")
    expect_announced(page, "Review signed off")
    expect(page.get_by_test_id("case-state")).to_have_text("Reviewed")
    expect(page.get_by_test_id("page-messages")).to_be_focused()
    focused(page)
    review = ImpasseReview.objects.get(case=case, signed_off_at__isnull=False)
    assert review.findings == "Two adequate trials; psychotherapy never offered."
    assert review.next_steps == "Refer for CBT."
    assert "Review signed off" in announced(page)


def test_a_caseload_search_with_the_keyboard_says_what_it_found(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    # The search reads given names too: a random one ("Michael", "Shane") would match "Ha".
    for family_name in ("Hale", "Hart", "Moss"):
        PatientFactory(
            clinic=clinic, psychiatrist=psychiatrist, family_name=family_name, given_name="Robin"
        )
    sign_in(page, psychiatrist)
    tab_to(page, re.compile("^Name or record number"))
    page.keyboard.type("Ha")
    page.keyboard.press("Enter")
    expect_announced(page, "2 patients match these filters.")
    expect(page.get_by_test_id("caseload-result")).to_be_focused()
    focused(page)
    expect(page.get_by_test_id("caseload-row")).to_have_count(2)


def test_the_adequacy_panel_redrawn_around_the_focus_takes_it_back(
    page: Page, transactional_db: None
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    episode = EpisodeFactory(
        patient=PatientFactory(clinic=clinic, psychiatrist=psychiatrist),
        onset_date=timezone.localdate() - datetime.timedelta(days=150),
    )
    record_trial(psychiatrist, episode, "sertraline", 100)
    trial = TreatmentTrial.objects.get(episode=episode)
    sign_in(page, psychiatrist)
    page.goto(f"/patients/{episode.patient_id}/trials/{trial.pk}/edit/")
    # Past the form's last control, the panel's first "sources" disclosure.
    tab_to(page, "Delete this trial")
    tab_to(page, "sources")
    panel = page.get_by_test_id("adequacy-feedback")
    panel.evaluate("(element) => { element.dataset.before = 'yes'; }")
    # A change still on its way from the form (typed just before the Tab) redraws the panel.
    page.evaluate("document.getElementById('trial-form').dispatchEvent(new Event('change'))")
    expect(panel).not_to_have_attribute("data-before", "yes")
    expect(panel).to_be_focused()
    focused(page)
    expect_announced(page, re.compile("Adequacy as entered: level \\d/5"))
