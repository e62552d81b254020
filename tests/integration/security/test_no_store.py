"""ASVS 8.2.1: no response to a signed-in user may be kept by a browser or proxy cache.

Walks the URL configuration like the access matrix: every route, opened with GET by every
signed-in visitor (whatever the outcome: a page, a refusal, a redirect), must carry
`Cache-Control: no-store` and `Pragma: no-cache`; so must the downloads that need a POST
(the JSON history, the cohort export, the audit-log export). Signed-out responses and static
files keep their own caching.
"""

import pytest
from django.test import Client

from tests.factories.clinic import DEFAULT_PASSWORD
from tests.integration.security.clinic_a import ClinicA
from tests.integration.security.test_access_matrix import ROUTES, concrete, rolled_back
from tests.shared_world import Sessions

SIGNED_IN = ("other clinic", "psychiatrist", "supervisor", "clinic admin")


def assert_not_stored(response, where: str) -> None:
    assert response.get("Cache-Control") == "no-store", where
    assert response.get("Pragma") == "no-cache", where


@pytest.mark.parametrize("route", ROUTES)
def test_every_signed_in_response_is_no_store(
    clinic_a: ClinicA, clinic_a_sessions: Sessions, route: str
) -> None:
    path = concrete(route, clinic_a.values)
    for visitor in SIGNED_IN:
        with rolled_back():
            client = clinic_a_sessions.client(clinic_a.visitors[visitor])
            response = client.get(path)
            assert_not_stored(response, f"GET {path} by {visitor}: {response.status_code}")


def test_downloads_are_no_store(clinic_a: ClinicA, clinic_a_sessions: Sessions) -> None:
    patient_id = clinic_a.values["patient_id"]
    downloads = {
        "psychiatrist": [
            (f"/patients/{patient_id}/export/", {"password": DEFAULT_PASSWORD}, "application/json"),
            (f"/patients/{patient_id}/report.pdf", None, "application/pdf"),
            (f"/patients/{patient_id}/staging.json", None, "application/json"),
        ],
        "supervisor": [
            (
                "/cohort/export/",
                {"file_format": "csv", "level": "identified", "password": DEFAULT_PASSWORD},
                "text/csv",
            ),
        ],
        "clinic admin": [
            (
                f"/audit/patients/{patient_id}/export/",
                {"password": DEFAULT_PASSWORD},
                "text/csv",
            ),
        ],
    }
    for visitor, requests in downloads.items():
        for path, data, content_type in requests:
            # Each from the session as signed in, as a new sign-in would give it.
            with rolled_back():
                client = clinic_a_sessions.client(clinic_a.visitors[visitor])
                response = client.get(path) if data is None else client.post(path, data)
            assert response.status_code == 200, path
            assert response["Content-Type"].startswith(content_type), path
            assert_not_stored(response, path)


def test_signed_out_pages_and_static_files_keep_their_caching(
    clinic_a: ClinicA, clinic_a_sessions: Sessions
) -> None:
    sign_in = Client().get("/signin/")
    assert sign_in.status_code == 200
    assert "Pragma" not in sign_in
    client = clinic_a_sessions.client(clinic_a.visitors["psychiatrist"])
    # Whitenoise answers before the middleware: its own caching, even for a signed-in user.
    static = client.get("/static/css/trdclinic.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert "Pragma" not in static
