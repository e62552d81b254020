"""Playwright driving Debian's Chromium against pytest-django's live server."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

CHROMIUM = os.environ.get("TRDCLINIC_CHROMIUM", "/usr/bin/chromium")
# One renderer process per site, shared by the pages of a browser context: each test's new page
# then finds plotly's bundle already compiled in the process's V8 instead of a fresh renderer
# compiling it again (tests/browser/conftest.py `page`; figures in bench/README.md, session 7).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--process-per-site",
    # No optimising compiler (Maglev, TurboFan), the baseline one only: a test's document lives a
    # second or two, and V8 compiles optimised code for the document's own context, so the
    # optimisers' background work was thrown away with it (the axe walks' checks, renderer CPU
    # 25 -> 19 s; bench/README.md, session 8). Scripts run as they do, only less optimised.
    "--js-flags=--max-opt=1",
]

# The pages are opened as by a user who asked for less motion (WCAG 2.3.3), which Bootstrap
# honours by dropping its transitions: axe then reads each element's settled colours, never a
# button's or a field's mid-transition ones, and a click does not wait for a transition to end
# before the element counts as stable (a little less work too: bench/README.md, session 9).
# test_motion_journey.py proves the menu works both ways.
REDUCED_MOTION = "reduce"

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are
# plain synchronous code between browser steps, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (install Debian's chromium package)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def reference_data(transactional_db: None) -> None:
    """Reload the rows the data migrations load, when an earlier transactional test emptied them.

    Serialized rollback cannot restore them here: once Playwright's event loop runs in this
    thread, Django hands the test another connection object, without the serialized contents.
    """
    from django.apps import apps

    from pseudoresistance.checklist_data import CHECKLIST_VERSION
    from pseudoresistance.models import ChecklistVersion
    from records.models import Agent

    if not Agent.objects.filter(clinic=None).exists():
        import_module("records.migrations.0002_agent_catalogue").load_catalogue(apps, None)
    if not ChecklistVersion.objects.filter(label=CHECKLIST_VERSION).exists():
        import_module("pseudoresistance.migrations.0002_checklist_2026_11_1").load(apps, None)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server, its static files served by whitenoise as in production.

    pytest-django serves them through Django's own static handler, which knows no compression;
    here the app's middleware serves them, precompressed copies included.
    """
    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda handler: handler
    server.start()
    yield server
    server.stop()


# The test pages' default: a journey's slowest step (a PDF, a chart) on a busy machine.
DEFAULT_TIMEOUT_MS = 15_000
# An inert document of the live server's site (no script, no session) for the keeper page.
KEEPER_PATH = "/static/favicon.svg"


@dataclass
class SharedContext:
    """One browser context per worker, its site's renderer process kept alive between tests.

    A new context per test cost a fresh renderer each time, which fetched and compiled plotly's
    1.3 MB bundle again on every chart page (contexts share no cache). Here each test still gets
    a page of its own (its listeners, init scripts, history, viewport and session storage die
    with it) and `reset` empties what the pages share: cookies, the site's storage and
    permissions. The keeper page holds the site's renderer (`--process-per-site`) while no test
    page is open, so the next test's page starts in a warm one.
    """

    context: BrowserContext
    keeper: Page
    origin: str

    def reset(self) -> None:
        """Forget what a test left in the context: cookies, the site's storage, permissions."""
        self.context.clear_cookies()
        self.context.clear_permissions()
        session = self.context.new_cdp_session(self.keeper)
        try:
            session.send(
                "Storage.clearDataForOrigin", {"origin": self.origin, "storageTypes": "all"}
            )
        finally:
            session.detach()


@pytest.fixture(scope="session")
def shared_context(chromium_browser: Browser, live_server: LiveServer) -> Iterator[SharedContext]:
    context = chromium_browser.new_context(base_url=live_server.url, reduced_motion=REDUCED_MOTION)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    keeper = context.new_page()
    keeper.goto(KEEPER_PATH)
    yield SharedContext(context, keeper, live_server.url)
    context.close()


@contextmanager
def page_of(shared: SharedContext) -> Iterator[Page]:
    """Open a page of the shared context; on leaving, close it and reset the context."""
    page = shared.context.new_page()
    try:
        yield page
    finally:
        page.close()
        shared.reset()


@pytest.fixture
def page(shared_context: SharedContext) -> Iterator[Page]:
    """A new page of the worker's shared context, signed out, with nothing stored."""
    with page_of(shared_context) as page:
        yield page


@pytest.fixture
def page_with_a_cold_cache(chromium_browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a context of its own, for a test that measures what the network carries."""
    context = chromium_browser.new_context(base_url=live_server.url, reduced_motion=REDUCED_MOTION)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()
