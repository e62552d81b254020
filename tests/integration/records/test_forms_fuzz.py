"""Hostile input to every records form and the JSON import: never a 500, never a partial write.

Each example runs in a savepoint that is rolled back, so examples do not see each other's rows;
the client is built inside it, holding the psychiatrist's session made once per test. A rejected
post (200) leaves every table of records and pseudoresistance (the impasse flags a change
refreshes) as it was, the audit trail included; an accepted one (302) writes an audit row for
each clinical row it adds or deletes.
"""

import copy
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records import scales
from records.demo import vignettes
from records.models import (
    Episode,
    Patient,
    ScaleAdministration,
    TreatmentTrial,
    TrialKind,
)
from tests.factories import PatientFactory, ScaleAdministrationFactory, TrialFactory
from tests.shared_world import Sessions

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RECORDS: tuple[type[models.Model], ...] = (Patient, Episode, TreatmentTrial, ScaleAdministration)

NASTY = [
    "",
    " ",
    "NaN",
    "-nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1e309",
    "1e-30",
    "-1",
    "-0",
    "0",
    "9" * 40,
    "99999999999999999999",
    "0x1F",
    "1,5",
    "١٢",
    "12abc",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "31/12/2024",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE records_patient; --",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202eevil",
    "true",
    "on",
    "null",
    "[]",
    "{}",
    "x" * 5000,
]
# No lone surrogates: the test client could not even encode them.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(
    st.sampled_from(NASTY),
    TEXT,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.dates().map(str),
)


def field(*plausible: str) -> st.SearchStrategy[str | None]:
    """A field's value: a plausible one, a hostile one, or missing (None)."""
    return (
        st.one_of(st.none(), st.sampled_from(plausible), VALUE)
        if plausible
        else (st.one_of(st.none(), VALUE))
    )


def form(
    fields: dict[str, st.SearchStrategy[str | None]], valid: dict[str, str]
) -> st.SearchStrategy[dict[str, str]]:
    """Post data: every field random, or a valid post with up to three fields spoiled or left out.

    The second reaches the services' own checks, which a fully random post seldom passes.
    """
    random = st.fixed_dictionaries(fields)
    # A spoiled field takes a value of its own strategy: its edge cases (a score just beyond its
    # scale) as well as hostile ones.
    spoiled = st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: fields[name] for name in names})
    )
    return st.one_of(random, spoiled.map(lambda changes: {**valid, **changes})).map(
        lambda data: {name: value for name, value in data.items() if value is not None}
    )


@dataclass
class World:
    psychiatrist: User
    patient: Patient
    bare_patient: Patient
    episode: Episode
    trial: TreatmentTrial
    score: ScaleAdministration
    sessions: Sessions


@pytest.fixture
def world(clinic, psychiatrist, patient, episode) -> World:
    return World(
        psychiatrist=psychiatrist,
        patient=patient,
        bare_patient=PatientFactory(clinic=clinic, diagnosis="MDD"),
        episode=episode,
        trial=TrialFactory(episode=episode, code="T1", seq=1),
        score=ScaleAdministrationFactory(episode=episode, total=Decimal(20)),
        # Signed in once, before the examples' savepoints (tests/shared_world.py).
        sessions=Sessions().sign_in(psychiatrist),
    )


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@functools.cache
def counts_query() -> tuple[list[str], str, tuple[Any, ...]]:
    """Return one statement counting the rows of every table a records change may write.

    Each count is its model's default manager's own query, compiled once: a count query per
    model (about 30), compiled each time, twice per example, was most of this module's CPU.
    """
    names: list[str] = []
    parts: list[str] = []
    params: list[Any] = []
    for app in ("records", "pseudoresistance"):
        for model in apps.get_app_config(app).get_models():
            sql, values = model._default_manager.values("pk").query.sql_with_params()
            names.append(model.__name__)
            # The ORM's own SQL, its values passed apart as parameters.
            parts.append(f"(SELECT count(*) FROM ({sql}) AS counted)")  # noqa: S608
            params += values
    return names, "SELECT " + ", ".join(parts), tuple(params)


def counts() -> dict[str, int]:
    """Count the rows of every table a records change may write."""
    names, sql, params = counts_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(zip(names, cursor.fetchone(), strict=True))


VERSIONED: tuple[type[models.Model], ...] = (Patient, Episode, TreatmentTrial, ScaleAdministration)


@functools.cache
def versions_query() -> str:
    """Return one statement reading the version of a patient, episode, trial and score by key."""
    quote = connection.ops.quote_name
    # Our own table and column names, quoted; the keys are parameters.
    reads = [
        f"(SELECT {quote('version')} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s)"
        for model in VERSIONED
    ]
    return "SELECT " + ", ".join(reads)


def versions(w: World) -> tuple[int, ...]:
    """Return the stored versions of the world's patient, episode, trial and score."""
    with connection.cursor() as cursor:
        cursor.execute(versions_query(), [w.patient.pk, w.episode.pk, w.trial.pk, w.score.pk])
        found = cursor.fetchone()
    assert None not in found, "a record of the world is gone"
    return tuple(found)


def post_and_check(w: World, url: str, data: dict[str, Any], **extra: Any) -> None:
    """Post as the psychiatrist; assert no server error and an all-or-nothing write."""
    with rolled_back():
        client = w.sessions.client(w.psychiatrist)
        before, before_versions = counts(), versions(w)
        response = client.post(url, data, **extra)
        after = counts()
        assert response.status_code in (200, 302), response.status_code
        delta = {name: after[name] - before[name] for name in before}
        if response.status_code == 200:
            assert {name: change for name, change in delta.items() if change} == {}
            assert versions(w) == before_versions
        else:
            rows = sum(abs(delta[model.__name__]) for model in RECORDS)
            assert delta["AuditEvent"] >= rows


PATIENT = {
    "record_number": field("RN-9", "RN-1"),
    "family_name": field("Okafor"),
    "given_name": field("Ben"),
    "date_of_birth": field("1975-11-02"),
    "sex": field("male", "female", "unknown"),
    "diagnosis": field("MDD", "bipolar"),
    "psychiatrist": field("1"),
}
EPISODE = {
    "onset_date": field("2024-01-01", "2024-06-01"),
    "end_date": field("2024-12-01"),
    "psychotic_features": field("on"),
    "mde_criteria_met": field("true", "false", "unknown"),
    "baseline_severity_category": field("moderate", "severe"),
    "baseline_scale": field("HAMD17", "MADRS", "WPAI"),
    "baseline_score": field("20", "60"),
    "functional_impairment": field("mild"),
    "comorbid_anxiety": field("present"),
    "personality_disorder": field("traits"),
    "psychosocial_stressors": field("none"),
}
# Scores inside, on and beyond the bounds of the scales (MADRS 0-60, HAM-D 0-52, CGI-S 1-7 …).
SCALE_SCORE = field("0", "7", "20", "27", "52", "53", "60", "61", "80", "-1", "10.5", "0.5")
TRIAL = {
    "kind": field(*TrialKind.values),
    "agent_text": field("sertraline", "Lithium", "T3", "paroxetine CR", "Newdrugamine"),
    "drug_class": field("SSRI", "other"),
    "dose_mg_per_day": field("100", "0.025", "5000"),
    "dose_mg_per_session": field("56"),
    "serum_level_mmol_per_l": field("0.6", "4"),
    "start_date": field("2024-06-01", "2023-01-01"),
    "end_date": field("2024-08-01", "2024-05-01"),
    "in_previous_episode": field("on"),
    "weeks": field("8", "-2"),
    "sessions": field("12", "-3"),
    "electrode_placement": field("RUL"),
    "therapy_type": field("CBT"),
    "therapist_trained": field("true"),
    "adherence": field("good", "poor"),
    "percent_symptom_reduction": field("20", "150"),
    "outcome_scale": field(*scales.ScaleCode),
    "outcome_baseline_score": SCALE_SCORE,
    "outcome_end_score": SCALE_SCORE,
    "outcome": field("switch_to_mania"),
    "reason_stopped": field("ineffective"),
    "augments": field("1"),
    "information_source": field("records"),
    "prospective": field("false"),
    "last_confirmed_on": field("2024-09-01"),
    "dose_optimised": field("true"),
    "duration_extended": field("unknown"),
    "weeks_reason": field("Four weeks off treatment"),
    "step_dose_1": field("50", "0", "-5", "fifty", "999999.9999"),
    "step_start_1": field("2024-06-01", "2023-01-01"),
    "step_weeks_1": field("4", "-1", "999.99"),
    "step_dose_2": field("150"),
    "step_start_2": field("2024-07-01", "2025-09-01", "2024-05-15"),
    "step_weeks_2": field("8"),
}
HAMD_ITEMS = {f"item_{item.key}": field("0", "1", "4") for item in scales.HAMD17.items}
SCALE = {
    "administered_on": field("2024-07-01"),
    "total": field("20", "53", "10.5"),
    "scale_version": field("17-item"),
    "interview_guide": field("SIGH-D"),
    "rater": field("Dr Lee"),
    **HAMD_ITEMS,
}
VERSION = {"version": field("1", "2", "0")}
OVERRIDE = {"adequate": field("yes", "no"), "reason": field("Per pharmacy."), **VERSION}
VALID_PATIENT = {
    "record_number": "RN-9",
    "family_name": "Okafor",
    "given_name": "Ben",
    "date_of_birth": "1975-11-02",
    "sex": "male",
    "diagnosis": "MDD",
}
VALID_EPISODE = {"onset_date": "2024-05-01", "baseline_scale": "HAMD17", "baseline_score": "20"}
VALID_TRIAL = {
    "kind": "antidepressant",
    "agent_text": "sertraline",
    "dose_mg_per_day": "100",
    "weeks": "8",
    "adherence": "good",
    "percent_symptom_reduction": "20",
    "start_date": "2024-06-01",
}
# A trial whose outcome is a pair of scale scores, not a percent: the scores reach records/scales.
VALID_SCORED_TRIAL = {
    **{name: value for name, value in VALID_TRIAL.items() if name != "percent_symptom_reduction"},
    "outcome_scale": "MADRS",
    "outcome_baseline_score": "30",
    "outcome_end_score": "12",
}
TRIAL_POSTS = st.one_of(form(TRIAL, VALID_TRIAL), form(TRIAL, VALID_SCORED_TRIAL))
VALID_SCALE = {"administered_on": "2024-07-01", "total": "20"}
VALID_OVERRIDE = {"adequate": "no", "reason": "Per pharmacy records.", "version": "1"}


def patient_url(w: World, name: str) -> str:
    return reverse(name, args=[w.patient.pk])


@FUZZ
@given(data=form(PATIENT, VALID_PATIENT))
def test_patient_create_form(world, data):
    post_and_check(world, reverse("records:patient-create"), data)


@FUZZ
@given(data=form({**PATIENT, **VERSION}, {**VALID_PATIENT, "version": "1"}))
def test_patient_update_form(world, data):
    post_and_check(world, patient_url(world, "records:patient-update"), data)


@FUZZ
@given(data=form(EPISODE, VALID_EPISODE))
def test_episode_create_form(world, data):
    post_and_check(world, reverse("records:episode-create", args=[world.bare_patient.pk]), data)


@FUZZ
@given(data=form({**EPISODE, **VERSION}, {**VALID_EPISODE, "version": "1"}))
def test_episode_update_form(world, data):
    url = reverse("records:episode-update", args=[world.patient.pk, world.episode.pk])
    post_and_check(world, url, data)


@FUZZ
@given(data=TRIAL_POSTS, button=st.sampled_from(["save", "save_another", "preview"]))
def test_trial_create_form(world, data, button):
    url = reverse("records:trial-create", args=[world.patient.pk, world.episode.pk])
    post_and_check(world, url, {**data, button: "1"})


@FUZZ
@given(data=TRIAL_POSTS)
def test_trial_live_feedback(world, data):
    url = reverse("records:trial-create", args=[world.patient.pk, world.episode.pk])
    post_and_check(world, url, data, HTTP_HX_REQUEST="true")


# Every other field valid, so the scale-bounded ones reach the scoring of the outcome.
SCORED_OUTCOMES = st.fixed_dictionaries(
    {
        "outcome_scale": st.sampled_from(list(scales.ScaleCode)).map(str),
        "outcome_baseline_score": SCALE_SCORE,
        "outcome_end_score": SCALE_SCORE,
    }
).map(
    lambda data: {
        **VALID_SCORED_TRIAL,
        **{name: value for name, value in data.items() if value is not None},
    }
)


@FUZZ
@given(
    data=SCORED_OUTCOMES,
    how=st.sampled_from([("save", {}), ("preview", {}), ("live", {"HTTP_HX_REQUEST": "true"})]),
    edit=st.booleans(),
)
def test_trial_scale_bounded_fields(world, data, how, edit):
    button, headers = how
    if edit:
        url = reverse("records:trial-update", args=[world.patient.pk, world.trial.pk])
        data = {**data, "version": "1"}
    else:
        url = reverse("records:trial-create", args=[world.patient.pk, world.episode.pk])
    post_and_check(world, url, {**data, button: "1"}, **headers)


TRIAL_EDITS = st.one_of(
    form({**TRIAL, **VERSION}, {**VALID_TRIAL, "version": "1"}),
    form({**TRIAL, **VERSION}, {**VALID_SCORED_TRIAL, "version": "1"}),
)


@FUZZ
@given(data=TRIAL_EDITS, button=st.sampled_from(["save", "preview"]))
def test_trial_update_form(world, data, button):
    url = reverse("records:trial-update", args=[world.patient.pk, world.trial.pk])
    post_and_check(world, url, {**data, button: "1"})


@FUZZ
@given(data=TRIAL_EDITS)
def test_trial_update_live_feedback(world, data):
    url = reverse("records:trial-update", args=[world.patient.pk, world.trial.pk])
    post_and_check(world, url, data, HTTP_HX_REQUEST="true")


@FUZZ
@given(data=form(OVERRIDE, VALID_OVERRIDE))
def test_trial_override_form(world, data):
    url = reverse("records:trial-override", args=[world.patient.pk, world.trial.pk])
    post_and_check(world, url, data)


@FUZZ
@given(
    data=form(VERSION, {"version": "1"}),
    name=st.sampled_from(["records:trial-delete", "records:scale-delete"]),
)
def test_delete_confirmations(world, data, name):
    target = world.trial if name == "records:trial-delete" else world.score
    post_and_check(world, reverse(name, args=[world.patient.pk, target.pk]), data)


@FUZZ
@given(
    data=form(SCALE, VALID_SCALE), scale=st.one_of(st.sampled_from(list(scales.ScaleCode)), TEXT)
)
def test_scale_create_form(world, data, scale):
    url = reverse("records:scale-create", args=[world.patient.pk, world.episode.pk])
    post_and_check(world, f"{url}?{json.dumps({'scale': str(scale)})[1:-1]}", data)


@FUZZ
@given(data=form({**SCALE, **VERSION}, {**VALID_SCALE, "version": "1"}))
def test_scale_update_form(world, data):
    url = reverse("records:scale-update", args=[world.patient.pk, world.score.pk])
    post_and_check(world, url, data)


JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(NASTY),
)
JSON_VALUE = st.recursive(
    JSON_SCALAR,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
VIGNETTES = vignettes()


def mutated(document: dict[str, Any], draw: Callable[[Any], Any]) -> dict[str, Any]:
    """Replace, add or drop a few keys of a valid history document."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        trials = document.get("trials")
        parts = [document, document.get("patient"), *(trials if isinstance(trials, list) else [])]
        target = draw(st.sampled_from(parts))
        if not isinstance(target, dict):
            continue
        keys = [
            *target,
            "baseline_severity",
            "dose_mg_per_day",
            "augments_trial",
            "id",
            "dose_steps",
        ]
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            target[key] = draw(JSON_VALUE)
        else:
            target.pop(key, None)
    return document


@st.composite
def history_files(draw: Callable[[Any], Any]) -> bytes:
    kind = draw(st.sampled_from(["mutated", "random", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "random":
        return json.dumps(draw(JSON_VALUE)).encode()
    vignette = draw(st.sampled_from(VIGNETTES))
    document = {"patient": vignette["patient"], "trials": vignette["trials"]}
    return json.dumps(mutated(document, draw)).encode()


@FUZZ
@given(content=history_files())
def test_json_import(world, content):
    upload = SimpleUploadedFile("history.json", content, "application/json")
    url = reverse("records:patient-json-import", args=[world.bare_patient.pk])
    post_and_check(world, url, {"file": upload})


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["q", "psychiatrist", "flagged", "alert", "signed_off", "sort", "page"]),
        VALUE,
    )
)
def test_patient_list_filters(world, query):
    with rolled_back():
        client = world.sessions.client(world.psychiatrist)
        assert client.get(reverse("records:patient-list"), query).status_code == 200


@FUZZ
@given(patient_id=st.integers(0, 10**30))
def test_patient_ids_out_of_range_are_not_found(world, patient_id):
    with rolled_back():
        client = world.sessions.client(world.psychiatrist)
        response = client.get(f"/patients/{patient_id}/")
        assert response.status_code in (200, 404)
