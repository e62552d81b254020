"""Before the second factor, every URL of the URLconf answers with the page that asks for it.

Walks the same routes as the access matrix (tests/integration/security/test_access_matrix.py),
with its clinic A, as a supervisor who gave the password only: one who has not enrolled is sent
to enrolment, one who has to the code step, whatever the URL (pages, JSON and PDF downloads, the
admin); only those pages, sign-out and the health check answer, and no request changes data.
"""

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.integration.security.clinic_a import ClinicA
from tests.integration.security.test_access_matrix import (
    ROUTES,
    concrete,
    fingerprint,
    rolled_back,
)
from tests.two_factor import authenticator_for

ENROL = reverse("records:two-factor-enrol")
VERIFY = reverse("records:two-factor-verify")
# Route: (GET, POST) status when it is not the redirect to the owed step.
OPEN = {
    "healthz": (200, 405),
    "signout/": (405, 302),
}


def password_only(user: User) -> Client:
    """Return a client signed in by the password step alone (no code)."""
    client = Client()
    client.force_login(user)
    return client


def answers(client: Client, method: str, path: str) -> tuple[int, str, bool]:
    with rolled_back():
        before = fingerprint() if method == "POST" else ""
        response: Any = getattr(client, method.lower())(path)
        changed = method == "POST" and fingerprint() != before
    return response.status_code, response.get("Location", ""), changed


def walk(client: Client, clinic_a: ClinicA, owed: str, owed_route: str) -> list[str]:
    wrong = []
    for route in ROUTES:
        path = concrete(route, clinic_a.values)
        for index, method in enumerate(("GET", "POST")):
            status, location, changed = answers(client, method, path)
            if changed:
                wrong.append(f"{method} {route} changed data")
            if route in OPEN:
                if status != OPEN[route][index]:
                    wrong.append(f"{method} {route}: {status}")
            elif route == owed_route:
                if status != 200:
                    wrong.append(f"{method} {route}: {status} on the owed page")
            elif status != 302 or not location.startswith(owed):
                wrong.append(f"{method} {route}: {status} {location}")
    return wrong


def test_every_url_sends_a_user_who_must_enrol_to_enrolment(clinic_a: ClinicA) -> None:
    user = clinic_a.visitors["supervisor"]
    assert user is not None
    client = password_only(user)
    assert walk(client, clinic_a, ENROL, "account/two-factor/enrol/") == []


def test_every_url_sends_an_enrolled_user_to_the_code_step(clinic_a: ClinicA) -> None:
    user = clinic_a.visitors["supervisor"]
    assert user is not None
    authenticator_for(user)
    client = password_only(user)
    assert walk(client, clinic_a, VERIFY, "signin/code/") == []


def test_unknown_addresses_and_static_files_before_the_second_factor(clinic_a: ClinicA) -> None:
    user = clinic_a.visitors["supervisor"]
    assert user is not None
    client = password_only(user)
    assert client.get("/no/such/page/")["Location"].startswith(ENROL)
    assert client.get("/static/css/trdclinic.css").status_code == 200


def test_the_redirect_keeps_the_page_asked_for(clinic_a: ClinicA) -> None:
    user = clinic_a.visitors["supervisor"]
    assert user is not None
    client = password_only(user)
    path = f"/patients/{clinic_a.values['patient_id']}/staging.json"
    assert (
        client.get(path)["Location"]
        == f"{ENROL}?next=%2Fpatients%2F{clinic_a.values['patient_id']}%2Fstaging.json"
    )
