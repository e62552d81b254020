"""Playwright driving Debian's Chromium against pytest-django's live server."""

import os
import shutil
from collections.abc import Iterator
from importlib import import_module

import pytest

CHROMIUM = os.environ.get("TRDCLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are
# plain synchronous code between browser steps, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
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
def live_server() -> Iterator[object]:
    """pytest-django's live server, its static files served by whitenoise as in production.

    pytest-django serves them through Django's own static handler, which knows no compression;
    here the app's middleware serves them, precompressed copies included.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda handler: handler
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(chromium_browser, live_server):  # type: ignore[no-untyped-def]
    context = chromium_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
