"""The staging page, the patient page's panel and the JSON results download."""

import copy
import datetime
import json
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from records.access import ClinicAccess
from records.demo import vignettes
from records.models import AuditAction, AuditEvent, Patient
from records.selectors import patient_detail
from records.services.exchange import patient_history_import
from records.services.staging_export import export_filename
from records.staging import (
    Variant,
    stage_over_time,
    staging_page,
    staging_panel_for,
    staging_results,
)
from records.wording import reason_words
from staging.jsonio import parse_history, results_to_json
from staging.registry import ENGINES, stage_all
from tests.factories import EpisodeFactory, PatientFactory

VIGNETTES = {vignette["id"]: vignette for vignette in vignettes()}
RESULT_FIELDS = ("applicable", "stage", "score", "band", "met", "items", "provisional")


def vignette_document(vignette_id: str) -> dict[str, Any]:
    """Return a vignette as a history-format.md document (with its parameters, if any)."""
    vignette = VIGNETTES[vignette_id]
    document = {"patient": vignette["patient"], "trials": vignette["trials"]}
    if vignette.get("parameters"):
        document["parameters"] = vignette["parameters"]
    return copy.deepcopy(document)


def import_patient(
    access: ClinicAccess, document: dict[str, Any], **patient_fields: Any
) -> Patient:
    """Create a patient of the access's clinic and import a history as their current episode."""
    patient = PatientFactory(
        clinic=access.clinic, diagnosis=document["patient"]["diagnosis"], **patient_fields
    )
    patient_history_import(access=access, patient=patient, data=document, acting_user=access.user)
    return patient


def vignette_patient(access: ClinicAccess, vignette_id: str, **patient_fields: Any) -> Patient:
    """Create a patient whose current episode is a vignette's history."""
    return import_patient(access, vignette_document(vignette_id), **patient_fields)


def assessed(vignette_id: str) -> str:
    return VIGNETTES[vignette_id]["patient"]["assessment_date"]


def staging_url(patient: Patient, **query: str) -> str:
    url = reverse("records:patient-staging", args=[patient.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def json_url(patient: Patient, **query: str) -> str:
    url = reverse("records:patient-staging-json", args=[patient.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def access(psychiatrist, access_of) -> ClinicAccess:
    return access_of(psychiatrist)


def test_staging_page_shows_every_model_with_its_result_explanation_and_version(
    access, psychiatrist, signed_in
):
    patient = vignette_patient(access, "V03")
    response = signed_in(psychiatrist).get(staging_url(patient, on=assessed("V03")))

    assert response.status_code == 200
    page = response.content.decode()
    results = response.context["results"]
    assert [row.key for row in results.rows] == [engine.key for engine in ENGINES]
    expected = VIGNETTES["V03"]["expected"]
    for row in results.rows:
        assert f'data-testid="model-{row.key}"' in page
        assert row.label in page
        assert f"version {row.version}" in page
        assert row.explanation
        for line in row.explanation:
            # In clinic words, with the specification's sources behind a disclosure.
            reason = reason_words(line)
            assert escape(reason.text) in page
            for source in reason.sources:
                assert escape(source) in page
        result = results.results[row.key]
        for name in RESULT_FIELDS:
            if name in expected[row.key]:
                assert getattr(result, name) == expected[row.key][name], (row.key, name)
    # Headlines in clinic words, and the DM-TRD caveat visible on its card.
    by_key = {row.key: row for row in results.rows}
    assert by_key["thase_rush"].headline == "stage I"
    assert by_key["msm"].headline == "score 6 (mild)"
    assert by_key["fda"].headline == "definition met"
    assert by_key["dm_trd"].warnings[0].startswith("DM-TRD weights are provisional")
    assert 'data-testid="model-dm_trd-warning"' in page


def test_staging_page_says_why_the_models_disagree(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V03")
    response = signed_in(psychiatrist).get(staging_url(patient, on=assessed("V03")))

    sentences = response.context["results"].disagreements
    # FDA, EMA and Canadian count the SSRI-to-SSRI switch; Thase-Rush and Conway need a class.
    assert any(
        "same-class switches" in sentence and "Thase-Rush (stage I)" in sentence
        for sentence in sentences
    )
    section = response.content.decode().split('data-testid="disagreements"')[1]
    assert "same-class switches by distinct agents" in section


def test_models_that_agree_get_no_disagreement_section(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V02")  # no definition is met: the models agree
    response = signed_in(psychiatrist).get(staging_url(patient, on=assessed("V02")))
    assert response.context["results"].disagreements == ()
    assert 'data-testid="disagreements"' not in response.content.decode()


def test_strict_toggle_gives_the_v03_strict_results(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V03")
    client = signed_in(psychiatrist)

    clinic_page = client.get(staging_url(patient, on=assessed("V03")))
    strict_page = client.get(staging_url(patient, on=assessed("V03"), rule="strict"))

    strict = strict_page.context["results"]
    assert strict.variant is Variant.STRICT
    assert strict.params.nonresponse_rule == "le25"
    for key, expected in VIGNETTES["V03-strict"]["expected"].items():
        for name in RESULT_FIELDS:
            if name in expected:
                assert getattr(strict.results[key], name) == expected[name], (key, name)
    rows = {row.key: row.headline for row in strict.rows}
    clinic_rows = {row.key: row.headline for row in clinic_page.context["results"].rows}
    assert (clinic_rows["fda"], rows["fda"]) == ("definition met", "definition not met")
    assert rows["msm"] == "not applicable"
    html = strict_page.content.decode()
    assert 'aria-current="page" data-testid="variant-strict"' in html
    rule_row = next(p for p in strict.parameters if p.name == "nonresponse_rule")
    assert rule_row.changed
    assert rule_row.value == "25 % reduction or less (strict, MGH-ATRQ)"


def test_staging_page_lists_the_parameters_used(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    response = signed_in(psychiatrist).get(staging_url(patient))
    parameters = response.context["results"].parameters
    assert [p.name for p in parameters][:3] == [
        "nonresponse_rule",
        "ad_min_weeks",
        "canadian_min_weeks",
    ]
    assert not any(p.changed for p in parameters)
    html = response.content.decode()
    section = html.split('data-testid="parameters-used"')[1]
    assert "Minimum weeks at dose for an antidepressant trial" in section
    assert "Less than 50 % reduction (default)" in section


def test_shared_warnings_show_once_for_the_page(access, psychiatrist, signed_in):
    document = vignette_document("V03")
    document["trials"][0]["prospective"] = False
    bipolar_suspected = vignette_patient(access, "V07")
    recalled = import_patient(access, document)
    client = signed_in(psychiatrist)

    suspected = client.get(staging_url(bipolar_suspected, on=assessed("V07"))).context["results"]
    with_recall = client.get(staging_url(recalled, on=assessed("V03"))).context["results"]

    assert any(w.startswith("Bipolarity suspected") for w in suspected.shared_warnings)
    assert any("Outcome recalled, not rated at the time" in w for w in with_recall.shared_warnings)
    for results in (suspected, with_recall):
        for row in results.rows:
            assert not set(row.warnings) & set(results.shared_warnings)


def test_stage_over_time_has_a_point_at_each_trial_end_and_the_staging_date(access):
    patient = vignette_patient(access, "V06")
    day = datetime.date.fromisoformat(assessed("V06"))
    detail = patient_detail(access=access, patient_id=patient.pk, assessment_date=day)

    series = stage_over_time(detail.history, detail.params)

    current = [t for t in VIGNETTES["V06"]["trials"] if t.get("episode") != "previous"]
    ends = {
        min(
            datetime.date.fromisoformat(t["start_date"])
            + datetime.timedelta(weeks=t.get("weeks") or 0),
            day,
        )
        for t in current
    }
    assert series.dates == tuple(sorted(ends | {day}))
    thase_rush = next(model for model in series.models if model.key == "thase_rush")
    # V06 climbs the whole Thase-Rush ladder; the last point is the page's result.
    assert thase_rush.values == tuple(sorted(thase_rush.values))
    assert thase_rush.shown[-1] == "stage V"
    assert thase_rush.axis["ticktext"] == ["0", "I", "II", "III", "IV", "V"]
    final = staging_results(detail.history, detail.params)
    headlines = {row.key: row.headline for row in final.rows}
    assert all(model.shown[-1] == headlines[model.key] for model in series.models)
    assert "response_profile" not in {model.key for model in series.models}


def test_stage_over_time_uses_recorded_end_dates(access):
    patient = vignette_patient(access, "V01")
    day = datetime.date.fromisoformat(assessed("V01"))
    detail = patient_detail(access=access, patient_id=patient.pk, assessment_date=day)
    first = detail.history.trials[0]
    recorded = first.start_date + datetime.timedelta(days=30)

    series = stage_over_time(detail.history, detail.params, recorded_ends={first.id: recorded})

    assert series.dates[0] == recorded
    assert series.events[0] == first.id
    assert series.events[-1] == "assessed"


CLIMBING_HISTORY = {
    "patient": {
        "diagnosis": "MDD",
        "episode_onset_date": "2024-01-01",
        "assessment_date": "2025-01-01",
        "baseline_severity": {"scale": "HAM-D17", "score": 22, "psychotic_features": False},
    },
    "trials": [
        {"id": "T1", "seq": 1, "start_date": "2024-02-01", "kind": "antidepressant",
         "agent": "sertraline", "dose_mg_per_day": 100, "weeks": 8, "adherence": "good",
         "percent_symptom_reduction": 10},
        {"id": "T2", "seq": 2, "start_date": "2024-03-28", "kind": "antidepressant",
         "agent": "venlafaxine", "dose_mg_per_day": 150, "weeks": 8, "adherence": "good",
         "percent_symptom_reduction": 10},
        {"id": "P3", "seq": 3, "start_date": "2024-04-15", "kind": "psychotherapy",
         "therapy_type": "CBT", "sessions": 12, "therapist_trained": True,
         "percent_symptom_reduction": 10},
    ],
}  # fmt: skip


def test_stage_over_time_sees_only_what_was_known_at_each_point(access):
    patient = import_patient(access, copy.deepcopy(CLIMBING_HISTORY))
    # The CBT course's sessions are not dated: counted pro rata up to its recorded end.
    patient.episodes.get().trials.filter(code="P3").update(end_date=datetime.date(2024, 8, 24))

    page = staging_page(
        access=access, patient_id=patient.pk, assessment_date=datetime.date(2025, 1, 1)
    )

    series = page.series
    assert [day.isoformat() for day in series.dates] == [
        "2024-03-28",
        "2024-05-23",
        "2024-08-24",
        "2025-01-01",
    ]
    shown = {model.key: model.shown for model in series.models}
    # T1 ends the day T2 starts: T2's eventual weeks and outcome are not known yet.
    assert shown["thase_rush"][:2] == ("stage I", "stage II")
    # When T2 ends, the CBT course given alongside it is under way: Markowitz waits for its end.
    assert shown["markowitz"] == ("definition not met",) * 2 + ("definition met",) * 2
    assert shown["fda"][:2] == ("definition not met", "definition met")


def test_staging_page_draws_the_chart_from_a_data_island(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V06")
    response = signed_in(psychiatrist).get(staging_url(patient, on=assessed("V06")))
    html = response.content.decode()

    island = html.split('<script id="stage-chart-data" type="application/json">')[1]
    data = json.loads(island.split("</script>")[0])
    assert data["dates"][-1] == assessed("V06")
    assert {model["key"] for model in data["models"]} == {
        engine.key for engine in ENGINES if engine.key != "response_profile"
    }
    assert all(len(model["values"]) == len(data["dates"]) for model in data["models"])
    assert 'data-stage-chart="stage-chart-data"' in html
    assert "js/staging.js" in html
    # No inline script: only the JSON island and script files.
    assert html.count("<script>") == 0


def test_a_lone_staging_date_is_drawn_a_week_either_side(access, psychiatrist, signed_in):
    patient = PatientFactory(clinic=access.clinic, psychiatrist=psychiatrist)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2025, 1, 6))
    response = signed_in(psychiatrist).get(staging_url(patient, on="2025-03-10"))

    island = response.content.decode().split(
        '<script id="stage-chart-data" type="application/json">'
    )
    data = json.loads(island[1].split("</script>")[0])
    # No trial has ended: the staging date alone, not plotly's millisecond ticks around it.
    assert data["dates"] == ["2025-03-10"]
    assert data["range"] == ["2025-03-03", "2025-03-17"]


def test_other_clinics_patient_is_404_on_every_staging_url(
    access, stranger, signed_in, other_clinic
):
    patient = vignette_patient(access, "V01")
    client = signed_in(stranger)
    assert client.get(staging_url(patient)).status_code == 404
    assert client.get(json_url(patient)).status_code == 404


def test_signed_out_user_is_sent_to_sign_in(access, client):
    patient = vignette_patient(access, "V01")
    response = client.get(staging_url(patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_role_may_open_the_staging_page(access, supervisor, clinic_admin, signed_in):
    patient = vignette_patient(access, "V01")
    for user in (supervisor, clinic_admin):
        assert signed_in(user).get(staging_url(patient)).status_code == 200


def test_opening_the_staging_page_is_logged(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    signed_in(psychiatrist).get(staging_url(patient))
    event = AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.VIEW).get()
    assert event.actor_id == psychiatrist.pk


def test_staging_page_takes_the_same_queries_for_few_and_many_trials(
    access, psychiatrist, signed_in
):
    few = vignette_patient(access, "V01")  # 2 trials
    many = vignette_patient(access, "V08")  # 19 trials
    client = signed_in(psychiatrist)
    client.get(staging_url(few))  # the session and user are loaded once warm

    counts = []
    for patient in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(staging_url(patient)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_date_before_onset_is_refused_with_a_message(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    response = signed_in(psychiatrist).get(staging_url(patient, on="2000-01-01"))
    assert response.status_code == 200
    assert "is before the episode onset" in response.context["page"].date_error
    assert response.context["detail"].assessment_date > datetime.date(2000, 1, 1)


def test_future_date_is_ignored_with_a_message(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    response = signed_in(psychiatrist).get(staging_url(patient, on="2999-01-01"))
    assert "in the future" in response.context["query_errors"]
    assert response.context["detail"].assessment_date < datetime.date(2999, 1, 1)


def test_patient_without_an_episode_says_there_is_nothing_to_stage(
    access, psychiatrist, signed_in, clinic
):
    patient = PatientFactory(clinic=clinic)
    client = signed_in(psychiatrist)
    response = client.get(staging_url(patient))
    assert response.status_code == 200
    assert "No episode is recorded yet" in response.content.decode()
    assert client.get(json_url(patient)).status_code == 404


def test_panel_stages_the_page_history_without_queries(
    access, psychiatrist, django_assert_num_queries
):
    patient = vignette_patient(access, "V03")
    detail = patient_detail(access=access, patient_id=patient.pk)

    with django_assert_num_queries(0):
        panel = staging_panel_for(detail)
        html = render_to_string("staging/_patient_panel.html", {"panel": panel})

    assert [row.key for row in panel.rows] == [engine.key for engine in ENGINES]
    assert panel.disagreements > 0
    assert reverse("records:patient-staging", args=[patient.pk]) in html
    for row in panel.rows:
        # Each model named in full, with its result and range (report_models.model_line).
        assert row.name in unescape(html)
        assert row.result_text in unescape(html)


def test_panel_without_an_episode_says_so(access, clinic):
    patient = PatientFactory(clinic=clinic)
    panel = staging_panel_for(patient_detail(access=access, patient_id=patient.pk))
    html = render_to_string("staging/_patient_panel.html", {"panel": panel})
    assert panel.rows == ()
    assert "No episode is recorded yet" in html


def test_json_download_is_the_cli_output_named_by_record_number_and_date(
    access, psychiatrist, signed_in
):
    patient = vignette_patient(access, "V03", family_name="Tanaka", record_number="RN 7/B")
    response = signed_in(psychiatrist).get(json_url(patient, on=assessed("V03")))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="staging-RN-7-B-{assessed("V03")}.json"'
    assert "Tanaka" not in disposition
    history, params = parse_history(vignette_document("V03"))
    expected = results_to_json(stage_all(history, params))
    assert response.content.decode() == json.dumps(expected, indent=2) + "\n"
    event = AuditEvent.objects.get(patient_id=patient.pk, action=AuditAction.EXPORT)
    assert event.actor_id == psychiatrist.pk


def test_json_download_follows_the_strict_toggle(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V03")
    response = signed_in(psychiatrist).get(json_url(patient, on=assessed("V03"), rule="strict"))
    history, params = parse_history(vignette_document("V03-strict"))
    assert json.loads(response.content) == results_to_json(stage_all(history, params))
    assert response["Content-Disposition"].endswith(f'{assessed("V03")}-strict.json"')


@pytest.mark.parametrize(
    "query",
    [{"on": "2000-01-01"}, {"on": "15/02/2025"}, {"on": "2999-01-01"}, {"rule": "lax"}],
)
def test_json_download_refuses_a_bad_date_or_rule(access, psychiatrist, signed_in, query):
    patient = vignette_patient(access, "V01")
    response = signed_in(psychiatrist).get(json_url(patient, **query))
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.EXPORT)


def test_export_filename_never_carries_unsafe_characters():
    day = datetime.date(2025, 2, 15)
    assert export_filename('../"x"\n', day, Variant.CLINIC) == "staging-x-2025-02-15.json"
    assert export_filename("", day, Variant.STRICT) == "staging-patient-2025-02-15-strict.json"
