"""Who gets what at every URL: the access matrix, generated from the URL configuration.

Every pattern `get_resolver()` knows (the records and impasse pages, cohort, sign-in/out, the
health check and the whole admin, each registered model's changelist, add, change, history,
delete and the catch-all included) has a row in `EXPECTED`, and a separate test fails when a
pattern has no row or a row no pattern. Each row gives the outcome of a GET and of a POST with
an empty body for the five kinds of visitor. URL parameters are real objects of clinic A; the
visitor of the other clinic holds every role in clinic B only.

Outcomes: "login" is a redirect to the sign-in page (the admin's own for admin pages),
"index" the admin's redirect of an object it does not show to its index (no row expects it any
more: the admin is for superusers only and answers everyone else signed in 403), other numbers
the status code. A refused POST leaves every table
as it was. Each request runs in a savepoint that is rolled back, so requests do not see each
other's writes; clinic A and its visitors' sessions are made once per module
(tests/shared_world.py).
"""

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from records.models import Patient
from tests.integration.security.clinic_a import ClinicA
from tests.shared_world import Sessions

VISITORS = ("anonymous", "other clinic", "psychiatrist", "supervisor", "clinic admin")
LOGIN = "login"
INDEX = "index"
Outcome = int | str
Row = tuple[tuple[Outcome, ...], tuple[Outcome, ...]]

L = LOGIN
ADMIN_REFUSED: Row = ((L, 403, 403, 403, 403), (L, 403, 403, 403, 403))
ADMIN_ROUTES = (
    "admin/",
    "admin/(?P<url>.*)$",
    "admin/^(?P<app_label>records|auth|pseudoresistance)/$",
    "admin/auth/user/",
    "admin/auth/user/<id>/password/",
    "admin/auth/user/<path:object_id>/",
    "admin/auth/user/<path:object_id>/change/",
    "admin/auth/user/<path:object_id>/delete/",
    "admin/auth/user/<path:object_id>/history/",
    "admin/auth/user/add/",
    "admin/autocomplete/",
    "admin/jsi18n/",
    "admin/logout/",
    "admin/password_change/",
    "admin/password_change/done/",
    "admin/pseudoresistance/checklistversion/",
    "admin/pseudoresistance/checklistversion/<path:object_id>/",
    "admin/pseudoresistance/checklistversion/<path:object_id>/change/",
    "admin/pseudoresistance/checklistversion/<path:object_id>/delete/",
    "admin/pseudoresistance/checklistversion/<path:object_id>/history/",
    "admin/pseudoresistance/checklistversion/add/",
    "admin/r/<path:content_type_id>/<path:object_id>/",
    "admin/records/agent/",
    "admin/records/agent/<path:object_id>/",
    "admin/records/agent/<path:object_id>/change/",
    "admin/records/agent/<path:object_id>/delete/",
    "admin/records/agent/<path:object_id>/history/",
    "admin/records/agent/add/",
    "admin/records/auditevent/",
    "admin/records/auditevent/<path:object_id>/",
    "admin/records/auditevent/<path:object_id>/change/",
    "admin/records/auditevent/<path:object_id>/delete/",
    "admin/records/auditevent/<path:object_id>/history/",
    "admin/records/auditevent/add/",
    "admin/records/clinic/",
    "admin/records/clinic/<path:object_id>/",
    "admin/records/clinic/<path:object_id>/change/",
    "admin/records/clinic/<path:object_id>/delete/",
    "admin/records/clinic/<path:object_id>/history/",
    "admin/records/clinic/add/",
    "admin/records/membership/",
    "admin/records/membership/<path:object_id>/",
    "admin/records/membership/<path:object_id>/change/",
    "admin/records/membership/<path:object_id>/delete/",
    "admin/records/membership/<path:object_id>/history/",
    "admin/records/membership/add/",
)
# route: ((GET outcomes), (POST outcomes)), each in the order of VISITORS:
# anonymous, other clinic, psychiatrist, supervisor, clinic admin.
EXPECTED: dict[str, Row] = {
    "": ((L, 200, 200, 200, 200), (L, 405, 405, 405, 405)),
    "account/two-factor/": ((L, 200, 200, 200, 200), (L, 405, 405, 405, 405)),
    "account/two-factor/enrol/": ((L, 200, 200, 200, 200), (L, 200, 200, 200, 200)),
    "account/two-factor/recovery-codes/": ((L, 200, 200, 200, 200), (L, 200, 200, 200, 200)),
    "audit/": ((L, 200, 403, 403, 200), (L, 405, 405, 405, 405)),
    "audit/patients/<int:patient_id>/": ((L, 404, 403, 403, 200), (L, 405, 405, 405, 405)),
    "audit/patients/<int:patient_id>/export/": ((L, 404, 403, 403, 200), (L, 404, 403, 403, 200)),
    "cohort/": ((L, 200, 403, 200, 200), (L, 405, 405, 405, 405)),
    "audit/users/<int:user_id>/": ((L, 404, 403, 403, 200), (L, 405, 405, 405, 405)),
    "audit/users/<int:user_id>/export/": ((L, 404, 403, 403, 200), (L, 404, 403, 403, 200)),
    "cohort/disagreements/<str:first>/<str:second>/": (
        (L, 200, 403, 200, 200),
        (L, 405, 405, 405, 405),
    ),
    "cohort/export/": ((L, 200, 403, 200, 200), (L, 200, 403, 200, 200)),
    "clinic/staging-defaults/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/settings/security/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/switch/": ((L, 405, 405, 405, 405), (L, 403, 403, 403, 403)),
    "healthz": ((200, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "impasse/": ((L, 200, 403, 200, 403), (L, 405, 405, 405, 405)),
    "impasse/cases/<int:case_id>/": ((L, 404, 403, 200, 403), (L, 405, 405, 405, 405)),
    "impasse/cases/<int:case_id>/close/": ((L, 405, 405, 405, 405), (L, 404, 200, 200, 403)),
    "impasse/cases/<int:case_id>/reopen/": ((L, 405, 405, 405, 405), (L, 404, 200, 200, 403)),
    "impasse/cases/<int:case_id>/review/": ((L, 405, 405, 405, 405), (L, 404, 403, 200, 403)),
    "impasse/cases/<int:case_id>/review/release/": (
        (L, 405, 405, 405, 405),
        (L, 404, 403, 200, 403),
    ),
    "impasse/cases/<int:case_id>/review/start/": ((L, 405, 405, 405, 405), (L, 404, 403, 302, 403)),
    "impasse/episodes/<int:episode_id>/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "impasse/episodes/<int:episode_id>/answers/": (
        (L, 405, 405, 405, 405),
        (L, 404, 302, 403, 403),
    ),
    "impasse/cases/<int:case_id>/cssrs/": ((L, 405, 405, 405, 405), (L, 404, 403, 200, 403)),
    "impasse/settings/flag-rules/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "impasse/episodes/<int:episode_id>/flag/": ((L, 405, 405, 405, 405), (L, 404, 200, 200, 403)),
    "impasse/episodes/<int:episode_id>/sections/<slug:prefix>/": (
        (L, 404, 200, 200, 200),
        (L, 405, 405, 405, 405),
    ),
    "impasse/episodes/<int:episode_id>/status/confirm/": (
        (L, 405, 405, 405, 405),
        (L, 404, 200, 200, 403),
    ),
    "patients/<int:patient_id>/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/changes/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    # Dismissing a sign-off notice only records that the user saw the patient.
    "patients/<int:patient_id>/notice/dismiss/": (
        (L, 405, 405, 405, 405),
        (L, 404, 302, 302, 302),
    ),
    "patients/<int:patient_id>/edit/": ((L, 404, 200, 403, 403), (L, 404, 200, 403, 403)),
    "patients/<int:patient_id>/episodes/<int:episode_id>/edit/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/episodes/<int:episode_id>/scores/new/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/episodes/<int:episode_id>/trials/new/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/episodes/new/": ((L, 404, 200, 403, 403), (L, 404, 200, 403, 403)),
    "patients/<int:patient_id>/export/": ((L, 404, 200, 200, 200), (L, 404, 200, 200, 200)),
    "patients/<int:patient_id>/fhir/": ((L, 404, 200, 200, 200), (L, 404, 200, 200, 200)),
    "patients/<int:patient_id>/erase/": ((L, 404, 403, 403, 200), (L, 404, 403, 403, 200)),
    "patients/<int:patient_id>/import/": ((L, 404, 200, 403, 403), (L, 404, 200, 403, 403)),
    "patients/<int:patient_id>/import/medications/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/report.pdf": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/report/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/report/letter.pdf": (
        (L, 404, 200, 200, 200),
        (L, 405, 405, 405, 405),
    ),
    "patients/<int:patient_id>/report/letter/": ((L, 404, 200, 200, 200), (L, 404, 200, 403, 403)),
    "patients/<int:patient_id>/report/patient.pdf": (
        (L, 404, 200, 200, 200),
        (L, 405, 405, 405, 405),
    ),
    "patients/<int:patient_id>/report/patient/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/report/prepare/": ((L, 404, 200, 403, 403), (L, 404, 200, 403, 403)),
    "patients/<int:patient_id>/scores/<int:administration_id>/delete/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/scores/<int:administration_id>/edit/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/staging.json": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/staging/": ((L, 404, 200, 200, 200), (L, 405, 405, 405, 405)),
    "patients/<int:patient_id>/staging/parameters/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/trials/<int:trial_id>/adequacy/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/trials/<int:trial_id>/adequacy/clear/": (
        (L, 405, 405, 405, 405),
        (L, 404, 302, 403, 403),
    ),
    "patients/<int:patient_id>/trials/<int:trial_id>/delete/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/<int:patient_id>/trials/<int:trial_id>/edit/": (
        (L, 404, 200, 403, 403),
        (L, 404, 200, 403, 403),
    ),
    "patients/import-csv/": ((L, 200, 200, 403, 403), (L, 200, 200, 403, 403)),
    "patients/import-csv/confirm/": ((L, 405, 405, 405, 405), (L, 200, 200, 403, 403)),
    "patients/new/": ((L, 200, 200, 403, 403), (L, 200, 200, 403, 403)),
    "signin/": ((200, 302, 302, 302, 302), (200, 302, 302, 302, 302)),
    "signin/code/": ((L, 302, 302, 302, 302), (L, 302, 302, 302, 302)),
    "signout/": ((L, 405, 405, 405, 405), (L, L, L, L, L)),
    "account/password/": ((L, 200, 200, 200, 200), (L, 200, 200, 200, 200)),
    "clinic/settings/agents/": ((L, 200, 403, 403, 200), (L, 405, 405, 405, 405)),
    "clinic/settings/agents/<int:agent_id>/delete/": (
        (L, 404, 403, 403, 200),
        (L, 404, 403, 403, 302),
    ),
    "clinic/settings/agents/<int:agent_id>/edit/": (
        (L, 404, 403, 403, 200),
        (L, 404, 403, 403, 200),
    ),
    "clinic/settings/agents/new/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/settings/letterhead/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/settings/follow-up/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/settings/medication-import/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "clinic/team/": ((L, 200, 403, 403, 200), (L, 405, 405, 405, 405)),
    "clinic/team/<int:user_id>/": ((L, 404, 403, 403, 200), (L, 405, 405, 405, 405)),
    "clinic/team/<int:user_id>/deactivate/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/invitation/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/reactivate/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/roles/add/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/roles/remove/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/unlock/": ((L, 405, 405, 405, 405), (L, 404, 403, 403, 200)),
    "clinic/team/<int:user_id>/two-factor/reset/": (
        (L, 405, 405, 405, 405),
        (L, 404, 403, 403, 200),
    ),
    "clinic/team/invite/": ((L, 200, 403, 403, 200), (L, 200, 403, 403, 200)),
    "invitation/<str:token>/": ((404, 404, 404, 404, 404), (404, 404, 404, 404, 404)),
    # Every admin URL: the admin is for superusers only (issue 13); anyone else signed in gets 403,
    # anonymous visitors its sign-in. tests/integration/test_admin.py covers superusers.
    "admin/login/": ((200, 403, 403, 403, 403), (200, 403, 403, 403, 403)),
    **dict.fromkeys(ADMIN_ROUTES, ADMIN_REFUSED),
}


def url_patterns(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[str]:
    """Yield the full route of every URL pattern, resolvers unfolded."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def concrete(route: str, values: dict[str, str]) -> str:
    """Return the route with its parameters filled: a path converter or a regex group."""
    path = "/" + route.replace("^", "").replace("$", "")
    if path.startswith("/admin/(?P<app_label>"):
        return f"/admin/{values['app_label']}/"
    if path.startswith("/admin/(?P<url>"):
        return f"/admin/{values['url']}"
    parts = []
    for part in path.split("/"):
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1].split(":")[-1]
            model = "/".join(path.split("/")[2:4])
            if name == "object_id" and f"admin:{model}" in values:
                name = f"admin:{model}"
            part = values[name]
        parts.append(part)
    return "/".join(parts)


def outcome(response: HttpResponse, path: str) -> Outcome:
    """Return what the visitor got: a sign-in redirect, the admin's index, or the status code."""
    if response.status_code == 302:
        target = response["Location"]
        if target.startswith(("/signin/", "/admin/login/")):
            return LOGIN
        if path.startswith("/admin/") and target == "/admin/" and path != "/admin/":
            return INDEX
    return response.status_code


# Two-factor devices and recovery codes: a refused request must not change them either.
OTP_APPS = ("otp_totp", "otp_static")


@functools.cache
def fingerprint_sql() -> str:
    """Return the fingerprint's one statement (the models' tables and columns do not change)."""
    quote = connection.ops.quote_name
    digests = []
    for app in ("records", "pseudoresistance", "auth", "contenttypes", "admin", *OTP_APPS):
        for model in apps.get_app_config(app).get_models():
            columns = ", ".join(
                quote(field.column)
                for field in model._meta.concrete_fields
                if field.attname != "last_login"
            )
            digests.append(  # our own table and column names, quoted: no input from a request
                f"(SELECT md5(coalesce(string_agg(ROW({columns})::text, '|' "  # noqa: S608
                f"ORDER BY {quote(model._meta.pk.column)}), '')) "
                f"FROM {quote(model._meta.db_table)})"
            )
    return "SELECT " + " || ".join(digests)


def fingerprint() -> str:
    """Return a digest of every row of every table a request could change (sessions aside).

    One query: PostgreSQL digests each table's rows as text in key order (a row per column list,
    every concrete column but last_login), rather than a query and Python rows per model.
    """
    with connection.cursor() as cursor:
        cursor.execute(fingerprint_sql())
        return str(cursor.fetchone()[0])


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def visit(
    sessions: Sessions, user: User | None, method: str, path: str, before: str | None = None
) -> tuple[Outcome, bool]:
    """Request the path as the user; return the outcome and whether a POST changed the database.

    `before` is the fingerprint every visit starts from: each runs in a savepoint rolled back
    afterwards and the visitors' sessions are already made (a session is no row the fingerprint
    reads), so it is the test's own. Without it, whether the database changed is not looked at.
    """
    with rolled_back():
        client = sessions.client(user)
        response: Any = getattr(client, method.lower())(path)
        changed = method == "POST" and before is not None and fingerprint() != before
    return outcome(response, path), changed


REFUSED = {LOGIN, INDEX, 403, 404, 405}
ROUTES = sorted(set(url_patterns()))


def test_every_url_pattern_has_an_expected_row() -> None:
    assert sorted(set(ROUTES) - set(EXPECTED)) == [], "URL patterns without an access row"
    assert sorted(set(EXPECTED) - set(ROUTES)) == [], "access rows for URL patterns that are gone"


def test_the_fingerprint_sees_any_changed_column_but_the_last_sign_in(clinic_a: ClinicA) -> None:
    before = fingerprint()
    Patient.objects.filter(pk=clinic_a.values["patient_id"]).update(given_name="Changed")
    changed = fingerprint()
    assert changed != before
    User.objects.update(last_login="2026-01-01T00:00:00Z")
    assert fingerprint() == changed


def test_each_visit_starts_from_the_tests_own_rows(
    clinic_a: ClinicA, clinic_a_sessions: Sessions
) -> None:
    """What the matrix's one fingerprint per test rests on: a visit's writes do not outlive it."""
    before = fingerprint()
    path = f"/patients/{clinic_a.values['patient_id']}/notice/dismiss/"
    psychiatrist = clinic_a.visitors["psychiatrist"]
    # Accepted, and it writes (the user saw the patient): the visit sees its change...
    assert visit(clinic_a_sessions, psychiatrist, "POST", path, before) == (302, True)
    # ...which is gone afterwards, and the session still signs the next visit in.
    assert fingerprint() == before
    assert visit(clinic_a_sessions, psychiatrist, "POST", path, before) == (302, True)


@pytest.mark.parametrize("route", ROUTES)
def test_access_matrix(clinic_a: ClinicA, clinic_a_sessions: Sessions, route: str) -> None:
    path = concrete(route, clinic_a.values)
    observed: list[list[Outcome]] = [[], []]
    changed_by_refused = []
    before = fingerprint()
    for index, method in enumerate(("GET", "POST")):
        for visitor, user in clinic_a.visitors.items():
            got, changed = visit(clinic_a_sessions, user, method, path, before)
            observed[index].append(got)
            if changed and (got in REFUSED or visitor in ("anonymous", "other clinic")):
                changed_by_refused.append(f"{method} by {visitor}")
    assert route in EXPECTED, f"no row: {route!r}: ({tuple(observed[0])}, {tuple(observed[1])}),"
    assert (tuple(observed[0]), tuple(observed[1])) == EXPECTED[route], path
    assert changed_by_refused == [], f"{path}: refused POST changed data"


# The checklist versions are reference data every clinic shares, not clinic A's.
OBJECT_ROUTES = [
    r for r in ROUTES if re.search(r"<(int|path):|<id>", r) and "checklistversion" not in r
]


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_other_clinic_cannot_tell_clinic_a_objects_from_missing_ones(
    clinic_a: ClinicA, clinic_a_sessions: Sessions, route: str
) -> None:
    """Clinic A's objects answer the other clinic exactly as ids that do not exist."""
    stranger = clinic_a.visitors["other clinic"]
    for method in ("GET", "POST"):
        real, _ = visit(clinic_a_sessions, stranger, method, concrete(route, clinic_a.values))
        missing, _ = visit(
            clinic_a_sessions,
            stranger,
            method,
            concrete(route, clinic_a.values | clinic_a.missing),
        )
        assert real == missing, f"{method} {route}: {real} for clinic A's object, {missing} else"
        assert real != 200, f"{method} {route} shows clinic A's object"
        if not route.startswith("admin/"):
            assert real in (404, 405), f"{method} {route}: {real}"


def test_other_clinic_cannot_switch_into_clinic_a(
    clinic_a: ClinicA, clinic_a_sessions: Sessions
) -> None:
    client = clinic_a_sessions.client(clinic_a.visitors["other clinic"])
    clinic_a_id = clinic_a.values["admin:records/clinic"]

    assert client.post("/clinic/switch/", {"clinic": clinic_a_id}).status_code == 403

    listed = client.get("/").context["page"].object_list
    assert int(clinic_a.values["patient_id"]) not in {patient.pk for patient in listed}
    patient_page = client.get(f"/patients/{clinic_a.values['patient_id']}/")
    assert patient_page.status_code == 404
