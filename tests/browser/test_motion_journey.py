"""The browser tests open pages as a user who asked for less motion (conftest.REDUCED_MOTION);
this one proves both ways work: the narrow window's menu opens and closes at once with reduced
motion, and through Bootstrap's collapse transition for a user who did not ask."""

from django.contrib.auth.models import User
from playwright.sync_api import Page, ViewportSize, expect

from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory

from .test_keyboard_journey import sign_in

NARROW = ViewportSize(width=320, height=800)
# How long each of the menu's animated steps lasts, recorded as its class changes: Bootstrap
# passes through "collapsing" either way, for no time at all when the user asked for less motion.
WATCH_THE_MENU = """() => {
  const menu = document.getElementById("main-nav");
  window.menuSteps = [];
  new MutationObserver(() => {
    if (menu.classList.contains("collapsing")) {
      window.menuSteps.push(getComputedStyle(menu).transitionDuration);
    }
  }).observe(menu, {attributes: true, attributeFilter: ["class"]});
}"""


def _psychiatrist() -> User:
    user = UserFactory()
    MembershipFactory(user=user, clinic=ClinicFactory(), role=Role.PSYCHIATRIST)
    return user


def _open_and_close_the_menu(page: Page) -> list[str]:
    """Open the menu, follow nothing, close it; return how long each animated step lasted."""
    page.goto("/")
    page.evaluate(WATCH_THE_MENU)
    toggle = page.get_by_role("button", name="Show navigation")
    toggle.click()
    expect(page.get_by_role("link", name="Patients")).to_be_visible()
    expect(page.locator("#main-nav")).to_have_class("navbar-collapse collapse show")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.get_by_role("link", name="Patients")).to_be_hidden()
    expect(page.locator("#main-nav")).to_have_class("navbar-collapse collapse")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    return list(page.evaluate("window.menuSteps"))


def test_the_menu_opens_at_once_with_reduced_motion_and_through_its_transition_without(
    page: Page, transactional_db: None
) -> None:
    page.set_viewport_size(NARROW)
    sign_in(page, _psychiatrist())

    assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert set(_open_and_close_the_menu(page)) == {"0s"}

    page.emulate_media(reduced_motion="no-preference")
    # Opening and closing each take Bootstrap's 0.35 s height transition.
    assert _open_and_close_the_menu(page) == ["0.35s", "0.35s"]
