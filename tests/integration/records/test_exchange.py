"""JSON history export and import: every vignette survives the round trip and stages the same."""

import copy
import json
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from records.demo import DEMO_CLINIC_NAME, vignette_record_number, vignettes
from records.models import (
    AuditAction,
    AuditEvent,
    Episode,
    Patient,
    ScaleAdministration,
    TreatmentTrial,
)
from records.services.exchange import (
    agents_by_name,
    catalogued_agent,
    patient_history_export,
    patient_history_import,
)
from staging.history import History
from staging.jsonio import parse_history
from staging.registry import stage_all
from tests.factories import EpisodeFactory, PatientFactory, builtin_agent

VIGNETTES = {vignette["id"]: vignette for vignette in vignettes()}


def history_document(vignette_id: str) -> dict:
    vignette = VIGNETTES[vignette_id]
    document = {"patient": vignette["patient"], "trials": vignette["trials"]}
    if vignette.get("parameters"):
        document["parameters"] = vignette["parameters"]
    return copy.deepcopy(document)


def in_date_order(history: History) -> History:
    return replace(
        history, trials=tuple(sorted(history.trials, key=lambda t: (t.start_date, t.seq, t.id)))
    )


@pytest.mark.parametrize("vignette_id", sorted(VIGNETTES))
def test_export_import_round_trip_keeps_every_vignette_and_its_staging(
    vignette_id, clinic, psychiatrist, access_of
):
    document = history_document(vignette_id)
    original, params = parse_history(document)
    patient = PatientFactory(clinic=clinic, diagnosis=original.diagnosis)
    access = access_of(psychiatrist)

    patient_history_import(access=access, patient=patient, data=document, acting_user=psychiatrist)
    exported = patient_history_export(
        access=access, patient_id=patient.pk, assessment_date=original.assessment_date
    )

    again, _ = parse_history(exported)
    assert again == in_date_order(original)
    assert stage_all(again, params) == stage_all(original, params)

    # The exported file imports into another patient and exports unchanged.
    twin = PatientFactory(clinic=clinic, diagnosis=original.diagnosis)
    patient_history_import(access=access, patient=twin, data=exported, acting_user=psychiatrist)
    assert (
        patient_history_export(
            access=access, patient_id=twin.pk, assessment_date=original.assessment_date
        )
        == exported
    )


def test_import_creates_the_episode_and_its_trials_with_an_audit_trail(
    clinic, psychiatrist, access_of
):
    document = history_document("V06")
    patient = PatientFactory(clinic=clinic)
    episode = patient_history_import(
        access=access_of(psychiatrist), patient=patient, data=document, acting_user=psychiatrist
    )
    trials = {trial.code: trial for trial in episode.trials.select_related("agent", "augments")}
    assert set(trials) == {f"T{n}" for n in range(1, 8)}
    assert trials["T3"].agent.name == "lithium"
    assert trials["T3"].augments == trials["T2"]
    assert trials["T7"].agent is None
    assert (trials["T7"].agent_name, trials["T7"].drug_class) == ("ECT", "neurostimulation")
    imports = AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.IMPORT)
    assert imports.filter(object_type="episode").count() == 1
    assert imports.filter(object_type="trial").count() == 7


def test_import_marks_trials_of_an_earlier_episode(clinic, psychiatrist, access_of):
    patient = PatientFactory(clinic=clinic)
    episode = patient_history_import(
        access=access_of(psychiatrist),
        patient=patient,
        data=history_document("V09"),
        acting_user=psychiatrist,
    )
    previous = set(episode.trials.filter(in_previous_episode=True).values_list("code", flat=True))
    assert previous == {"X1", "X2", "X3", "X4"}


def test_catalogue_class_wins_and_unknown_agents_keep_theirs(clinic, psychiatrist, access_of):
    document = history_document("V01")
    document["trials"][0].update(agent="Sertraline", **{"class": "SNRI"})
    document["trials"][1].update(agent="zuranolone", **{"class": "GABA-A PAM"})
    patient = PatientFactory(clinic=clinic)
    episode = patient_history_import(
        access=access_of(psychiatrist), patient=patient, data=document, acting_user=psychiatrist
    )
    first, second = episode.trials.order_by("seq")
    assert (first.agent.name, first.class_label) == ("sertraline", "SSRI")
    assert (second.agent, second.agent_name, second.drug_class) == (
        None,
        "zuranolone",
        "GABA-A PAM",
    )


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d["trials"][1].update(dose_mg_per_day=0), "trials[T2].dose_mg_per_day"),
        (lambda d: d["trials"][1].update(dose_mg_per_day=2000), "trials[T2].dose_mg_per_day"),
        (
            lambda d: d["trials"][0].update(agent="zuranolone", **{"class": None}),
            "trials[T1].class",
        ),
        (lambda d: d["trials"][1].update(start_date="2024-01-01"), "trials[T2].start_date"),
        (lambda d: d["trials"][1].update(weeks=-1), "trials[T2].weeks"),
        (lambda d: d["trials"][1].update(start_date="2024-02-30"), "trials[T2].start_date"),
        (lambda d: d["trials"][1].update(seq=1), "trials[T2].seq"),
        (lambda d: d["trials"][1].update(augments_trial="T9"), "trials[T2].augments_trial"),
        (lambda d: d["trials"][1].update(id="T1"), "trials[T1].id"),
        (lambda d: d["patient"].update(diagnosis="bipolar"), "patient.diagnosis"),
        (
            lambda d: d["patient"].update(
                episode_onset_date="2099-01-01", assessment_date="2099-02-01"
            ),
            "patient.episode_onset_date",
        ),
        (
            lambda d: d["patient"]["baseline_severity"].update(scale="HAM-D21"),
            "patient.baseline_severity.scale",
        ),
        (
            lambda d: d["patient"]["baseline_severity"].update(score=60),
            "patient.baseline_severity.score",
        ),
    ],
)
def test_bad_history_names_the_field_and_imports_nothing(
    clinic, psychiatrist, access_of, change, key
):
    document = history_document("V01")
    change(document)
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    with pytest.raises(ValidationError) as refused:
        patient_history_import(
            access=access_of(psychiatrist), patient=patient, data=document, acting_user=psychiatrist
        )
    assert key in refused.value.message_dict
    assert not Episode.objects.exists()
    assert not TreatmentTrial.objects.exists()
    assert not AuditEvent.objects.exists()


def test_every_bad_trial_is_reported_at_once(clinic, psychiatrist, access_of):
    document = history_document("V02")
    for trial in document["trials"]:
        trial["dose_mg_per_day"] = 0
    patient = PatientFactory(clinic=clinic)
    with pytest.raises(ValidationError) as refused:
        patient_history_import(
            access=access_of(psychiatrist), patient=patient, data=document, acting_user=psychiatrist
        )
    assert {f"trials[T{n}].dose_mg_per_day" for n in range(1, 6)} <= set(refused.value.message_dict)


def test_import_is_refused_while_the_patient_has_a_current_episode(
    episode, psychiatrist, access_of
):
    with pytest.raises(ValidationError) as refused:
        patient_history_import(
            access=access_of(psychiatrist),
            patient=episode.patient,
            data=history_document("V01"),
            acting_user=psychiatrist,
        )
    assert "patient" in refused.value.message_dict
    assert Episode.objects.count() == 1


def test_import_and_export_are_scoped_and_permissioned(
    clinic, other_clinic, psychiatrist, clinic_admin, stranger, access_of
):
    patient = PatientFactory(clinic=clinic)
    foreign = PatientFactory(clinic=other_clinic)
    with pytest.raises(Http404):
        patient_history_import(
            access=access_of(psychiatrist),
            patient=foreign,
            data=history_document("V01"),
            acting_user=psychiatrist,
        )
    with pytest.raises(PermissionDenied):
        patient_history_import(
            access=access_of(clinic_admin),
            patient=patient,
            data=history_document("V01"),
            acting_user=clinic_admin,
        )
    with pytest.raises(Http404):
        patient_history_export(access=access_of(psychiatrist), patient_id=foreign.pk)


def test_export_is_audited_and_needs_a_baseline(clinic, psychiatrist, clinic_admin, access_of):
    patient = PatientFactory(clinic=clinic)
    patient_history_import(
        access=access_of(psychiatrist),
        patient=patient,
        data=history_document("V01"),
        acting_user=psychiatrist,
    )
    document = patient_history_export(access=access_of(clinic_admin), patient_id=patient.pk)
    assert document["patient"]["assessment_date"] == timezone.localdate().isoformat()
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert (event.actor_id, event.patient_id) == (clinic_admin.pk, patient.pk)

    bare = PatientFactory(clinic=clinic)
    EpisodeFactory(
        patient=bare, baseline_severity_category="", baseline_scale="", baseline_score=None
    )
    with pytest.raises(ValidationError, match="baseline_severity"):
        patient_history_export(access=access_of(psychiatrist), patient_id=bare.pk)
    with pytest.raises(ValidationError, match="no episode"):
        patient_history_export(
            access=access_of(psychiatrist), patient_id=PatientFactory(clinic=clinic).pk
        )


@pytest.mark.django_db
def test_demo_creates_one_patient_per_vignette_and_stays_idempotent():
    call_command("demo", stdout=StringIO())
    clinic_patients = Patient.objects.filter(clinic__name=DEMO_CLINIC_NAME)
    for vignette_id, vignette in VIGNETTES.items():
        patient = clinic_patients.get(record_number=vignette_record_number(vignette_id))
        episode = patient.episodes.get()
        assert episode.trials.count() == len(vignette["trials"])
        assert episode.scale_administrations.exists()
    counts = [
        model.objects.count()
        for model in (Patient, Episode, TreatmentTrial, ScaleAdministration, AuditEvent)
    ]

    call_command("demo", stdout=StringIO())

    assert [
        model.objects.count()
        for model in (Patient, Episode, TreatmentTrial, ScaleAdministration, AuditEvent)
    ] == counts


def test_the_documented_example_imports_and_exports_unchanged(clinic, psychiatrist, access_of):
    text = (Path(__file__).resolve().parents[3] / "docs" / "history-json.md").read_text()
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    original, _ = parse_history(example)
    patient = PatientFactory(clinic=clinic)
    access = access_of(psychiatrist)
    patient_history_import(access=access, patient=patient, data=example, acting_user=psychiatrist)
    exported = patient_history_export(
        access=access, patient_id=patient.pk, assessment_date=original.assessment_date
    )
    assert parse_history(exported)[0] == original


def test_an_imported_brand_name_is_the_catalogued_generic(clinic):
    agents = agents_by_name(clinic.pk)
    assert catalogued_agent("Lustral", agents) == builtin_agent("sertraline")
    assert catalogued_agent("Seroquel XL", agents) == builtin_agent("quetiapine")
    assert catalogued_agent("Unheardofan", agents) is None
