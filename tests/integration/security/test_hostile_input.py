"""Hostile input to every form, import and JSON endpoint: never a 500, never a partial write.

The fields of each form are read from the page that shows it (every <input>, <select> and
<textarea> of the <form> that posts to the endpoint, with the values the page puts in them), so
a field added to a form is fuzzed without a change here. Hypothesis posts random and malicious
values (overlong strings, control characters and NUL, HTML/JS, SQL fragments, huge numbers,
NaN/Infinity, impossible dates), valid posts with a few fields spoiled, bodies of the wrong
content type and oversized or garbled uploads, as a user the endpoint is meant for. GET
endpoints get the same values as query parameters.

Each example runs in a savepoint that is rolled back, inside the world and its users' sessions
made once for the module (tests/shared_world.py). Whatever the answer, it is below
500; when it is not a redirect (the post was refused), no table changed: only the record-access
log may grow, as reading a page logs it. tests/integration/records/test_forms_fuzz.py goes
deeper into the records forms' own rules; this module covers every endpoint of the URLconf.
"""

import datetime
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoDbBlocker

from pseudoresistance.models import ImpasseCase
from pseudoresistance.services import impasse_review_start
from records.csv_sample import sample_csv
from records.demo import vignettes
from records.models import ACCESS_ACTIONS, AuditEvent, Episode, Patient, Role
from records.services.csv_import import sign_upload
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    ImpasseCaseFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
)
from tests.shared_world import Sessions, built_for_module
from tests.two_factor import authenticator_for

EXAMPLES = 12
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1",
    "0",
    "9" * 40,
    "99999999999999999999",
    "9" * 5000,
    "0x1F",
    "١٢",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "9999-12-31",
    "31/12/2024",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE records_patient; --",
    "' OR '1'='1",
    "\x00",
    "a\x00b",
    "\x1b[31m\x07\x08",
    "\u202eevil",
    "{{ 7|add:7 }}",
    "%s%s%n",
    "../../etc/passwd",
    "x" * 70_000,
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(
    st.sampled_from(NASTY),
    TEXT,
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain", "text/xml", "application/octet-stream", "multipart/x"]
)
UPLOAD_TYPES = st.sampled_from(
    ["text/csv", "application/json", "text/html", "application/x-msdownload", "image/png", ""]
)
# Well past any upload limit a clinic CSV or history file needs.
OVERSIZED = 6 * 1024 * 1024


class FormReader(HTMLParser):
    """Collect each form's action and its fields with the values the page gives them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((attributes.get("action", ""), {}))
        elif not self.forms:
            return
        fields = self.forms[-1][1]
        name = attributes.get("name")
        if tag in ("input", "textarea", "select") and name:
            values = fields.setdefault(name, [])
            if tag == "input" and attributes.get("type") not in ("file", "submit"):
                values.append(attributes.get("value", "on"))
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select:
            fields[self._select].append(attributes.get("value", ""))


def form_fields(client: Client, page: str, action: str) -> dict[str, list[str]]:
    """Return the fields of the page's form that posts to `action` (its own path when blank)."""
    response = client.get(page)
    assert response.status_code == 200, page
    reader = FormReader()
    reader.feed(response.content.decode())
    fields: dict[str, list[str]] = {}
    for target, found in reader.forms:
        if (target or page) == action:
            for name, values in found.items():
                fields.setdefault(name, []).extend(values)
    fields.pop("csrfmiddlewaretoken", None)
    assert fields, f"no form posting to {action} on {page}"
    return fields


@dataclass
class World:
    users: dict[str, User]
    patient: Patient
    bare_patient: Patient
    episode: Episode
    urls: dict[str, str]
    csv: bytes
    sessions: Sessions


def world_build() -> World:
    """Make the clinic's staff, a patient with one of each record, and a patient without any."""
    clinic = ClinicFactory(name="Riverside Clinic")
    users = {}
    for name, role in (
        ("psychiatrist", Role.PSYCHIATRIST),
        ("supervisor", Role.SUPERVISOR),
        ("clinic admin", Role.CLINIC_ADMIN),
    ):
        users[name] = UserFactory()
        MembershipFactory(user=users[name], clinic=clinic, role=role)
    psychiatrist = users["psychiatrist"]
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-1")
    onset = timezone.localdate() - datetime.timedelta(days=150)
    episode = EpisodeFactory(patient=patient, onset_date=onset)
    trial = TrialFactory(episode=episode, code="T1", seq=1)
    score = ScaleAdministrationFactory(episode=episode, total=Decimal(20))
    case: ImpasseCase = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    impasse_review_start(acting_user=users["supervisor"], case_id=case.pk)
    p, e = patient.pk, episode.pk
    bare = PatientFactory(clinic=clinic, diagnosis="MDD")
    urls = {
        "patient": reverse("records:patient-detail", args=[p]),
        "episode_page": reverse("pseudoresistance:episode", args=[e]),
        "case_page": reverse("pseudoresistance:case", args=[case.pk]),
        "trial_id": str(trial.pk),
        "score_id": str(score.pk),
        "case_id": str(case.pk),
    }
    return World(
        users=users,
        patient=patient,
        bare_patient=bare,
        episode=episode,
        urls=urls,
        csv=sample_csv(rows=4, patients=2, seed=5).encode(),
        sessions=Sessions().sign_in(*users.values()),
    )


@pytest.fixture(scope="module")
def _world_of_module(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[World]:
    yield from built_for_module(django_db_blocker, world_build)


@pytest.fixture
def world(_world_of_module: World, db: None) -> World:
    """The world, built once for the module (tests/shared_world.py)."""
    return _world_of_module


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@functools.cache
def tables_query() -> tuple[str, tuple[Any, ...]]:
    """Return one statement reading every row of every app's table, the record-access log aside.

    Each table's rows come back as one array of their text forms (the primary key among them),
    so a comparison sees any changed, added or removed row as the rows themselves would; one
    statement rather than a query per model (28), which cost half of this module's CPU, compiled
    once (the ORM's compiling of the 28 querysets cost as much again).
    """
    parts: list[str] = []
    params: list[Any] = []
    for app in ("records", "pseudoresistance", "auth", "cohort"):
        if not apps.is_installed(app) and app != "auth":
            continue
        for model in apps.get_app_config(app).get_models():
            rows = model._default_manager.all()
            if model is AuditEvent:
                rows = rows.exclude(action__in=ACCESS_ACTIONS)
            fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
            sql, values = rows.values_list(*fields).query.sql_with_params()
            # The ORM's own SQL, its values passed apart as parameters.
            parts.append(f"SELECT %s, (SELECT array_agg(row::text) FROM ({sql}) AS row)")  # noqa: S608
            params += [model._meta.label, *values]
    return " UNION ALL ".join(parts), tuple(params)


def state() -> dict[str, Any]:
    """Return every row of every app's tables, the record-access log aside, by table."""
    sql, params = tables_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {label: sorted(rows or ()) for label, rows in cursor.fetchall()}


def check(
    client: Client, method: str, url: str, ok: tuple[int, ...] = (302,), **kwargs: Any
) -> None:
    """Send the request; assert no server error, and no write unless the answer is `ok`."""
    before = state()
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code < 500, (response.status_code, url)
    if response.status_code not in ok:
        assert state() == before, f"{url} answered {response.status_code} and wrote"


@st.composite
def posts(draw: Callable[[Any], Any], fields: dict[str, list[str]]) -> dict[str, Any]:
    """Post data: every field random, or the page's own values with a few spoiled or dropped."""
    valid = {name: values[-1] if values else "" for name, values in fields.items()}
    names = sorted(fields)
    if not names:
        data: dict[str, Any] = {}
    elif draw(st.booleans()):
        data = {
            name: draw(st.one_of(st.none(), st.sampled_from(fields[name] or [""]), VALUE))
            for name in names
        }
    else:
        spoiled = draw(st.dictionaries(st.sampled_from(names), st.none() | VALUE, max_size=3))
        data = {**valid, **spoiled}
    extra = draw(st.dictionaries(TEXT, VALUE, max_size=2))
    return {name: value for name, value in {**data, **extra}.items() if value is not None}


@dataclass(frozen=True)
class Endpoint:
    """A form endpoint: who posts, the page showing the form, and the URL it posts to."""

    user: str
    page: Callable[[World], str]
    action: Callable[[World], str]
    # The answers of an accepted post: a redirect, or a download.
    ok: tuple[int, ...] = (302,)


def url(name: str, *keys: str) -> Callable[[World], str]:
    """Return a builder of a URL whose arguments are world objects."""

    def build(w: World) -> str:
        values = {
            "patient": w.patient.pk,
            "episode": w.episode.pk,
            "bare": w.bare_patient.pk,
            **{key: w.urls[key] for key in ("trial_id", "score_id", "case_id")},
            "member": w.users["psychiatrist"].pk,
        }
        return reverse(name, args=[values[key] for key in keys])

    return build


def same(name: str, *keys: str) -> Endpoint:
    """A form that posts to the page showing it, as the psychiatrist."""
    return Endpoint("psychiatrist", url(name, *keys), url(name, *keys))


FORMS: dict[str, Endpoint] = {
    "patient-create": same("records:patient-create"),
    "patient-update": same("records:patient-update", "patient"),
    "episode-create": same("records:episode-create", "bare"),
    "episode-update": same("records:episode-update", "patient", "episode"),
    "trial-create": same("records:trial-create", "patient", "episode"),
    "trial-update": same("records:trial-update", "patient", "trial_id"),
    "trial-override": same("records:trial-override", "patient", "trial_id"),
    "trial-delete": same("records:trial-delete", "patient", "trial_id"),
    "scale-create": Endpoint(
        "psychiatrist",
        lambda w: url("records:scale-create", "patient", "episode")(w) + "?scale=HAMD17",
        lambda w: url("records:scale-create", "patient", "episode")(w) + "?scale=HAMD17",
    ),
    "scale-update": same("records:scale-update", "patient", "score_id"),
    "scale-delete": same("records:scale-delete", "patient", "score_id"),
    "clinic-staging-defaults": Endpoint(
        "clinic admin",
        url("records:clinic-staging-defaults"),
        url("records:clinic-staging-defaults"),
    ),
    "checklist-answers": Endpoint(
        "psychiatrist",
        # Every section open: a collapsed one shows its fields only once opened.
        lambda w: (
            w.urls["episode_page"]
            + f"?open=t{w.urls['trial_id']}&open=dB&open=dC&open=dD&open=dE&open=dF"
        ),
        url("pseudoresistance:checklist-answers", "episode"),
    ),
    "review-save": Endpoint(
        "supervisor",
        lambda w: w.urls["case_page"],
        url("pseudoresistance:review-save", "case_id"),
    ),
    "review-release": Endpoint(
        "supervisor",
        lambda w: w.urls["case_page"],
        url("pseudoresistance:review-release", "case_id"),
    ),
    "cohort-export": Endpoint(
        "supervisor", lambda w: "/cohort/export/", lambda w: "/cohort/export/", ok=(200, 302)
    ),
    "csv-upload": Endpoint("psychiatrist", url("records:import-csv"), url("records:import-csv")),
    # The Team page (issue 13). An accepted invitation answers 200: the page showing the link.
    "team-invite": Endpoint(
        "clinic admin", url("records:team-invite"), url("records:team-invite"), ok=(200,)
    ),
    **{
        f"team-{action}": Endpoint(
            "clinic admin",
            url("records:team-member", "member"),
            url(f"records:team-{action}", "member"),
        )
        for action in ("role-add", "deactivate")
    },
    "team-reinvite": Endpoint(
        "clinic admin",
        url("records:team-member", "member"),
        url("records:team-reinvite", "member"),
        ok=(200,),
    ),
    "settings-letterhead": Endpoint(
        "clinic admin", url("records:settings-letterhead"), url("records:settings-letterhead")
    ),
    "settings-agent-create": Endpoint(
        "clinic admin", url("records:settings-agent-create"), url("records:settings-agent-create")
    ),
    "account-password": Endpoint(
        "psychiatrist", url("records:account-password"), url("records:account-password")
    ),
    "patient-json-export": Endpoint(
        "psychiatrist",
        url("records:patient-json-export", "patient"),
        url("records:patient-json-export", "patient"),
        ok=(200, 302),
    ),
    "patient-erase": Endpoint(
        "clinic admin",
        url("records:patient-erase", "patient"),
        url("records:patient-erase", "patient"),
    ),
    "audit-log-patient-export": Endpoint(
        "clinic admin",
        url("records:audit-log-patient-export", "patient"),
        url("records:audit-log-patient-export", "patient"),
        ok=(200, 302),
    ),
    "json-import": Endpoint(
        "psychiatrist",
        url("records:patient-json-import", "bare"),
        url("records:patient-json-import", "bare"),
    ),
    "clinic-settings-security": Endpoint(
        "clinic admin",
        url("records:clinic-settings-security"),
        url("records:clinic-settings-security"),
    ),
    "two-factor-enrol": same("records:two-factor-enrol"),
    "two-factor-recovery-codes": same("records:two-factor-recovery-codes"),
}
# Forms a page shows only in another state of the case: their fields are named here.
HIDDEN_FORMS: dict[str, tuple[Endpoint, dict[str, list[str]]]] = {
    "case-flag": (
        Endpoint(
            "psychiatrist",
            url("pseudoresistance:episode", "episode"),
            url("pseudoresistance:case-flag", "episode"),
        ),
        {"reason": ["No remission after two adequate trials."]},
    ),
    "case-close": (
        Endpoint(
            "supervisor",
            url("pseudoresistance:case", "case_id"),
            url("pseudoresistance:case-close", "case_id"),
        ),
        {"close-reason": ["Reviewed."]},
    ),
    "case-reopen": (
        Endpoint(
            "supervisor",
            url("pseudoresistance:case", "case_id"),
            url("pseudoresistance:case-reopen", "case_id"),
        ),
        {"reopen-reason": ["Relapse."]},
    ),
    "review-start": (
        Endpoint(
            "supervisor",
            url("pseudoresistance:case", "case_id"),
            url("pseudoresistance:review-start", "case_id"),
        ),
        {},
    ),
    "trial-override-clear": (
        Endpoint(
            "psychiatrist",
            url("records:patient-detail", "patient"),
            url("records:trial-override-clear", "patient", "trial_id"),
        ),
        {"version": ["1"]},
    ),
    "clinic-switch": (
        Endpoint("psychiatrist", url("records:patient-list"), url("records:clinic-switch")),
        {"clinic": ["1"]},
    ),
    # Shown only for a person with two roles here, or locked out.
    **{
        f"team-{action}": (
            Endpoint(
                "clinic admin",
                url("records:team-member", "member"),
                url(f"records:team-{action}", "member"),
            ),
            fields,
        )
        for action, fields in (
            ("role-remove", {"role": ["psychiatrist"], "password": [""]}),
            ("unlock", {"password": [""]}),
            ("reactivate", {"password": [""]}),
        )
    },
    "import-csv-confirm": (
        Endpoint("psychiatrist", url("records:import-csv"), url("records:import-csv-confirm")),
        {"upload": []},
    ),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_forms_refuse_hostile_posts(world: World, name: str) -> None:
    endpoint = FORMS[name]
    with rolled_back():
        fields = form_fields(
            world.sessions.client(world.users[endpoint.user]),
            endpoint.page(world),
            endpoint.action(world),
        )

    @FUZZ
    @given(data=posts(fields), raw=st.none() | st.tuples(CONTENT_TYPES, st.binary(max_size=200)))
    def fuzz(data: dict[str, Any], raw: tuple[str, bytes] | None) -> None:
        with rolled_back():
            client = world.sessions.client(world.users[endpoint.user])
            target = endpoint.action(world)
            if raw is None:
                check(client, "post", target, ok=endpoint.ok, data=data)
            else:
                check(client, "post", target, ok=endpoint.ok, data=raw[1], content_type=raw[0])

    fuzz()


@pytest.mark.parametrize("name", sorted(HIDDEN_FORMS))
def test_forms_of_other_states_refuse_hostile_posts(world: World, name: str) -> None:
    endpoint, fields = HIDDEN_FORMS[name]
    if name == "import-csv-confirm":
        psychiatrist = world.users["psychiatrist"]
        token = sign_upload(
            data=world.csv, clinic_id=world.patient.clinic_id, user_id=psychiatrist.pk
        )
        fields = {"upload": [token]}

    @FUZZ
    @given(data=posts(fields))
    def fuzz(data: dict[str, Any]) -> None:
        with rolled_back():
            client = world.sessions.client(world.users[endpoint.user])
            check(client, "post", endpoint.action(world), data=data)

    fuzz()


@st.composite
def uploads(draw: Callable[[Any], Any], valid: bytes) -> tuple[str, bytes, str]:
    """An upload: garbled, random, valid with bytes changed, empty or oversized."""
    kind = draw(st.sampled_from(["random", "mutated", "nasty", "oversized", "empty"]))
    if kind == "random":
        content = draw(st.binary(max_size=400))
    elif kind == "mutated":
        content = bytearray(valid)
        for _ in range(draw(st.integers(1, 5))):
            content[draw(st.integers(0, len(content) - 1))] = draw(st.integers(0, 255))
        content = bytes(content)
    elif kind == "nasty":
        content = valid + draw(st.sampled_from(NASTY)).encode("utf-8", "surrogatepass")
    elif kind == "oversized":
        content = valid + b"x" * OVERSIZED
    else:
        content = b""
    name = draw(st.sampled_from(["history.csv", "history.json", "x.exe", "a" * 300, "../x.csv"]))
    return name, content, draw(UPLOAD_TYPES)


@FUZZ
@given(upload=uploads(sample_csv(rows=6, patients=2, seed=9).encode()))
def test_csv_upload_refuses_hostile_files(world: World, upload: tuple[str, bytes, str]) -> None:
    with rolled_back():
        client = world.sessions.client(world.users["psychiatrist"])
        file = SimpleUploadedFile(*upload)
        # A valid file is previewed (200), never written before the confirmation.
        check(client, "post", reverse("records:import-csv"), ok=(), data={"file": file})


VIGNETTE = json.dumps({"patient": vignettes()[0]["patient"], "trials": vignettes()[0]["trials"]})


@FUZZ
@given(upload=uploads(VIGNETTE.encode()))
def test_json_import_refuses_hostile_files(world: World, upload: tuple[str, bytes, str]) -> None:
    with rolled_back():
        client = world.sessions.client(world.users["psychiatrist"])
        url = reverse("records:patient-json-import", args=[world.bare_patient.pk])
        check(client, "post", url, data={"file": SimpleUploadedFile(*upload)})


# Values valid JSON accepts but no history may hold, as raw JSON text (issue 13, defect 8).
HOSTILE_JSON = {
    "huge integer": "9" * 5000,
    "negative huge integer": "-" + "9" * 5000,
    "NUL in a string": json.dumps("sertra\x00line"),
    "lone surrogate": '"\\ud800"',
    "lone surrogate in a word": '"a\\udfffb"',
}
HOSTILE_MARK = "__hostile__"
PATIENT_PART = "Patient and episode"


def history_fields() -> list[tuple[str, ...]]:
    """Return the path of every value of the vignette: patient fields, severity, each trial's."""
    document = json.loads(VIGNETTE)
    paths: list[tuple[str, ...]] = []
    for key, value in document["patient"].items():
        if isinstance(value, dict):
            paths.extend(("patient", key, inner) for inner in value)
        else:
            paths.append(("patient", key))
    for position, trial in enumerate(document["trials"]):
        paths.extend(("trials", str(position), key) for key in trial)
    return paths


def with_hostile_value(path: tuple[str, ...], raw: str) -> bytes:
    document = json.loads(VIGNETTE)
    target = document
    for key in path[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[path[-1]] = HOSTILE_MARK
    return json.dumps(document).replace(json.dumps(HOSTILE_MARK), raw).encode()


@FUZZ
@given(path=st.sampled_from(history_fields()), kind=st.sampled_from(sorted(HOSTILE_JSON)))
def test_json_import_names_the_field_of_a_value_no_history_may_hold(
    world: World, path: tuple[str, ...], kind: str
) -> None:
    """A huge integer, a NUL or a lone surrogate anywhere: a field error, nothing saved."""
    with rolled_back():
        client = world.sessions.client(world.users["psychiatrist"])
        url = reverse("records:patient-json-import", args=[world.bare_patient.pk])
        upload = SimpleUploadedFile("history.json", with_hostile_value(path, HOSTILE_JSON[kind]))
        before = state()
        response = client.post(url, {"file": upload})
        assert response.status_code == 200, (path, kind)
        assert state() == before
        problems = {(p.where, p.field) for p in response.context["problems"]}
        if path[0] == "patient":
            assert (PATIENT_PART, ".".join(path[1:])) in problems, (path, kind, problems)
        else:
            trial = json.loads(VIGNETTE)["trials"][int(path[1])]
            # A trial whose id is the hostile value is named by its position.
            where = f"Trial {trial['id']}" if path[2] != "id" else f"Trial {path[1]}"
            assert (where, path[2]) in problems, (path, kind, problems)


# GET endpoints that read query parameters, and who reads them.
QUERIES: dict[str, tuple[str, Callable[[World], str], tuple[str, ...]]] = {
    "patient-list": (
        "psychiatrist",
        url("records:patient-list"),
        ("q", "psychiatrist", "flagged", "page", "sort"),
    ),
    "patient-staging": ("psychiatrist", url("records:patient-staging", "patient"), ("rule", "on")),
    "patient-staging-json": (
        "psychiatrist",
        url("records:patient-staging-json", "patient"),
        ("rule", "on"),
    ),
    "patient-changes": (
        "clinic admin",
        url("records:patient-changes", "patient"),
        ("access", "page"),
    ),
    "patient-report": ("psychiatrist", url("records:patient-report", "patient"), ("rule", "on")),
    "patient-detail": ("psychiatrist", url("records:patient-detail", "patient"), ("score",)),
    "audit-log": ("clinic admin", url("records:audit-log"), ("record_number",)),
    "audit-log-patient": ("clinic admin", url("records:audit-log-patient", "patient"), ("page",)),
    "queue": ("supervisor", url("pseudoresistance:queue"), ("state", "psychiatrist", "page")),
    "cohort": ("supervisor", lambda w: "/cohort/", ("psychiatrist", "onset_from", "onset_to")),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_parameters_never_break_a_page(world: World, name: str) -> None:
    user, build, keys = QUERIES[name]

    @FUZZ
    @given(query=st.dictionaries(st.sampled_from(keys) | TEXT, VALUE, max_size=4))
    def fuzz(query: dict[str, str]) -> None:
        with rolled_back():
            client = world.sessions.client(world.users[user])
            check(client, "get", build(world), ok=(200,), data=query)

    fuzz()


@FUZZ
@given(first=VALUE, second=VALUE)
def test_cohort_disagreement_paths_never_break(world: World, first: str, second: str) -> None:
    with rolled_back():
        client = world.sessions.client(world.users["supervisor"])
        path = f"/cohort/disagreements/{first}/{second}/".replace("\x00", "")
        check(client, "get", path, ok=(200,))


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["username", "password", "next"]) | TEXT, VALUE))
def test_sign_in_refuses_hostile_posts(world: World, data: dict[str, str]) -> None:
    with rolled_back():
        check(Client(), "post", reverse("login"), ok=(302,), data=data)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["code", "next"]) | TEXT, VALUE))
def test_the_code_step_refuses_hostile_posts(world: World, data: dict[str, str]) -> None:
    user = world.users["supervisor"]
    with rolled_back():
        client = Client()
        client.force_login(user)
        authenticator_for(user)
        check(client, "post", reverse("records:two-factor-verify"), ok=(302,), data=data)
