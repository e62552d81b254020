"""A chart page's JavaScript is at most 1.5 MB transferred (issue 18): plotly's cartesian bundle,
served precompressed by whitenoise with the Content-Encoding the browser accepted."""

import gzip
import urllib.request
from pathlib import Path

import brotli
from django.conf import settings
from playwright.sync_api import expect

from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.integration.records.test_report import report_patient, simple_history
from tests.two_factor import authenticator_for, browser_code_step

PASSWORD = "weight-journey-pass-1"
# Issue 18's target for a chart page's JavaScript, as transferred.
SCRIPT_LIMIT_BYTES = 1_500_000
PLOTLY_URL = "/static/vendor/plotly/plotly.min.js"
PLOTLY_FILE = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly" / "plotly.min.js"


def test_the_patient_pages_scripts_transfer_at_most_one_and_a_half_megabytes(
    page_with_a_cold_cache, transactional_db
):
    # A first visit's transfers: the shared context's cache may hold the bundle already.
    page = page_with_a_cold_cache
    clinic = ClinicFactory(name="Riverside Clinic")
    user = UserFactory(username="weight-psychiatrist")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    patient = report_patient(clinic, user, simple_history(), record_number="RN-WEIGHT")
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    scripts = []
    page.on(
        "response",
        lambda response: (
            scripts.append(response) if response.request.resource_type == "script" else None
        ),
    )
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_test_id("score-chart").locator("svg.main-svg").first).to_be_attached()

    [plotly] = [response for response in scripts if response.url.endswith(PLOTLY_URL)]
    assert plotly.headers["content-encoding"] == "br"
    transferred = sum(response.request.sizes()["responseBodySize"] for response in scripts)
    assert 0 < transferred <= SCRIPT_LIMIT_BYTES


def test_the_plotly_bundle_is_sent_compressed_to_a_client_that_accepts_it(live_server):
    for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        request = urllib.request.Request(  # noqa: S310 - the test's own live server
            live_server.url + PLOTLY_URL, headers={"Accept-Encoding": encoding}
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            body = response.read()
            assert response.headers["Content-Encoding"] == encoding
            assert response.headers["Vary"] == "Accept-Encoding"
        assert len(body) <= SCRIPT_LIMIT_BYTES
        assert decompress(body) == PLOTLY_FILE.read_bytes()
    # A client that accepts neither gets the bundle as it is.
    with urllib.request.urlopen(live_server.url + PLOTLY_URL) as response:  # noqa: S310
        assert response.headers.get("Content-Encoding") is None
        assert response.read() == PLOTLY_FILE.read_bytes()
