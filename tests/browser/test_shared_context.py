"""Each browser test's page starts as a new context's would, though the context is shared.

The pages of a worker's tests share one browser context (tests/browser/conftest.py), so what a
test leaves there must be gone for the next: its session, cookies, stored data, permissions,
viewport, init scripts. The first page below leaves all of them behind through the `page`
fixture's own code; the second must find none.
"""

import re

from playwright.sync_api import expect

from tests.factories.clinic import DEFAULT_PASSWORD

from .conftest import SharedContext, page_of
from .test_records_journeys import sign_in_as_psychiatrist

LEAVE_BEHIND = """() => new Promise((resolve) => {
  localStorage.setItem("left", "behind");
  sessionStorage.setItem("left", "behind");
  document.cookie = "left=behind; path=/";
  indexedDB.open("left-behind").onsuccess = (event) => resolve(event.target.result.close());
})"""
FOUND = """async () => ({
  local: localStorage.length,
  session: sessionStorage.length,
  cookie: document.cookie,
  databases: (await indexedDB.databases()).map((database) => database.name),
  script: typeof window.leftBehind,
  geolocation: (await navigator.permissions.query({name: "geolocation"})).state,
})"""


def test_the_next_tests_page_starts_signed_out_with_nothing_stored(
    shared_context: SharedContext, transactional_db: None
) -> None:
    context = shared_context.context
    with page_of(shared_context) as first:
        default_viewport = first.viewport_size
        first.add_init_script("window.leftBehind = true;")
        first.set_viewport_size({"width": 320, "height": 480})
        context.grant_permissions(["geolocation"], origin=shared_context.origin)
        sign_in_as_psychiatrist(first)
        first.evaluate(LEAVE_BEHIND)
        left = first.evaluate(FOUND)
        assert left["local"] == left["session"] == 1
        assert "left=behind" in left["cookie"]
        assert left["databases"] == ["left-behind"]
        assert left["script"] == "boolean"
        assert left["geolocation"] == "granted"
        assert {cookie["name"] for cookie in context.cookies()} >= {"sessionid", "left"}

    with page_of(shared_context) as second:
        assert context.storage_state() == {"cookies": [], "origins": []}
        assert second.viewport_size == default_viewport
        second.goto("/")
        expect(second.get_by_label("Password")).to_be_visible()
        assert "/signin/" in second.url
        assert second.evaluate(FOUND) == {
            "local": 0,
            "session": 0,
            "cookie": "",
            "databases": [],
            "script": "undefined",
            "geolocation": "prompt",
        }
        # The same psychiatrist signs in again from scratch, as a first visit would.
        second.get_by_label("Username").fill("dr-lee")
        second.get_by_label("Password").fill(DEFAULT_PASSWORD)
        second.get_by_role("button", name="Sign in").click()
        expect(second).to_have_url(re.compile("/signin/code/"))
