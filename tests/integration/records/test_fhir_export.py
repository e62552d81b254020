"""FHIR R4 export: every vignette patient's bundle is valid FHIR, self-contained and audited."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from records import codes
from records.demo import vignettes
from records.fhir.bundle import STAGING_MODEL_SYSTEM, bundle_references
from records.models import AuditAction, AuditEvent, ScaleAdministration
from records.services.common import ObjectType
from records.services.fhir_export import patient_fhir_export
from staging.registry import ENGINES
from tests.factories import PatientFactory, ScaleAdministrationFactory, TrialFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.integration.records.test_staging_page import vignette_patient

VIGNETTE_IDS = [vignette["id"] for vignette in vignettes()]


@pytest.fixture
def access(psychiatrist, access_of):
    return access_of(psychiatrist)


def resources(bundle, kind):
    return [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]


def test_there_are_fourteen_vignettes():
    assert len(VIGNETTE_IDS) == 14


@pytest.mark.parametrize("vignette_id", VIGNETTE_IDS)
def test_every_vignette_bundle_is_valid_fhir_and_self_contained(access, vignette_id):
    patient = vignette_patient(access, vignette_id)
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    references = bundle_references(bundle)
    assert references
    assert set(references) <= urls
    trials = patient.episodes.get().trials.all()
    courses = resources(bundle, "MedicationStatement") + resources(bundle, "Procedure")
    assert len(courses) == trials.count()
    staging = resources(bundle, "Observation")
    for observation in staging:
        given = [key for key in observation if key.startswith("value")]
        assert given or "dataAbsentReason" in observation or observation.get("component")
    assert {
        o["code"]["coding"][0]["code"]
        for o in staging
        if o["code"]["coding"][0]["system"] == STAGING_MODEL_SYSTEM
    } == {engine.key for engine in ENGINES}


def test_patient_carries_the_record_number_only(access):
    patient = vignette_patient(access, "V01", record_number="RN-77")
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    (resource,) = resources(bundle, "Patient")
    assert [identifier["value"] for identifier in resource["identifier"]] == ["RN-77"]
    text = json.dumps(bundle)
    assert patient.family_name not in text
    assert patient.given_name not in text
    assert patient.date_of_birth.isoformat() not in text


def test_medication_courses_are_coded_with_period_dosage_and_status(access):
    patient = vignette_patient(access, "V01")
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    statements = resources(bundle, "MedicationStatement")
    assert statements
    for statement in statements:
        assert statement["status"] in {"active", "completed", "stopped"}
        assert statement["effectivePeriod"]["start"]
        systems = {
            coding["system"] for coding in statement["medicationCodeableConcept"].get("coding", [])
        }
        assert codes.ATC_SYSTEM in systems
    sertraline = [s for s in statements if s["medicationCodeableConcept"]["text"] == "sertraline"]
    for statement in sertraline:
        codings = statement["medicationCodeableConcept"]["coding"]
        assert {"system": codes.ATC_SYSTEM, "code": "N06AB06", "display": "sertraline"} in codings
        assert {c["code"] for c in codings} >= {"N06AB06", "36437"}


def test_condition_names_the_diagnosis_in_snomed_and_icd10(access):
    patient = vignette_patient(access, "V01")
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    (condition,) = resources(bundle, "Condition")
    assert {"system": codes.SNOMED_SYSTEM, "code": "370143000"} in condition["code"]["coding"]
    assert condition["onsetDateTime"] == patient.episodes.get().onset_date.isoformat()


def test_phq9_total_is_coded_in_loinc_with_its_items_as_components(access):
    patient = vignette_patient(access, "V01")
    episode = patient.episodes.get()
    items = {str(number): 1 for number in range(1, 10)}
    ScaleAdministrationFactory(episode=episode, scale="PHQ9", total=9, items=items)
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    (phq9,) = [
        o
        for o in resources(bundle, "Observation")
        if any(c.get("code") == "44261-6" for c in o["code"].get("coding", []))
    ]
    assert phq9["valueQuantity"]["value"] == 9
    assert len(phq9["component"]) == 9
    assert ScaleAdministration.objects.filter(episode=episode).count() >= 1


def test_export_is_audited_as_an_export_of_the_patient(access):
    patient = vignette_patient(access, "V02")
    before = AuditEvent.objects.count()
    patient_fhir_export(access=access, patient_id=patient.pk)
    event = AuditEvent.objects.order_by("pk").last()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == AuditAction.EXPORT
    assert event.object_type == ObjectType.PATIENT
    assert event.patient_id == patient.pk
    assert event.actor_id == access.user.pk


def test_page_asks_for_the_password_and_exports_nothing_without_it(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V01")
    url = reverse("records:patient-fhir-export", args=[patient.pk])
    client = signed_in(psychiatrist)
    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": "wrong"})
    assert response.status_code == 200
    assert "attachment" not in response.get("Content-Disposition", "")
    assert not exports.exists()


def test_page_downloads_a_valid_bundle_after_the_password(access, psychiatrist, signed_in):
    patient = vignette_patient(access, "V05", record_number="RN/5")
    response = signed_in(psychiatrist).post(
        reverse("records:patient-fhir-export", args=[patient.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert 'filename="trdclinic-fhir-RN_5-' in response["Content-Disposition"]
    Bundle.model_validate(json.loads(response.content))
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, patient_id=patient.pk).exists()


def test_supervisor_may_export(access, supervisor, signed_in):
    patient = vignette_patient(access, "V01")
    response = signed_in(supervisor).post(
        reverse("records:patient-fhir-export", args=[patient.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_other_clinics_user_gets_404(access, stranger, signed_in):
    patient = vignette_patient(access, "V01")
    url = reverse("records:patient-fhir-export", args=[patient.pk])
    client = signed_in(stranger)
    assert client.get(url).status_code == 404
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_command_writes_the_bundle_as_the_named_member(access, psychiatrist, clinic, tmp_path):
    patient = vignette_patient(access, "V01", record_number="CLI-1")
    path = tmp_path / "bundle.json"
    call_command(
        "fhir_export",
        "CLI-1",
        user=psychiatrist.username,
        clinic=clinic.name,
        output=path,
        stderr=StringIO(),
    )
    Bundle.model_validate(json.loads(path.read_text()))
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, patient_id=patient.pk)
    assert event.actor_id == psychiatrist.pk


def test_command_refuses_another_clinics_member(access, stranger, clinic):
    vignette_patient(access, "V01", record_number="CLI-2")
    with pytest.raises(CommandError, match="not a member"):
        call_command("fhir_export", "CLI-2", user=stranger.username, clinic=clinic.name)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_patient_without_an_episode_exports_only_the_patient(access, clinic):
    patient = PatientFactory(clinic=clinic)
    bundle = patient_fhir_export(access=access, patient_id=patient.pk)
    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_status_reason_and_procedure_codes(access, episode):
    stopped = TrialFactory(
        episode=episode,
        end_date=episode.onset_date + datetime.timedelta(days=40),
        weeks=Decimal(3),
        reason_stopped="adverse_effects",
    )
    TrialFactory(
        episode=episode,
        kind="psychotherapy",
        agent=None,
        therapy_type="CBT",
        dose_mg_per_day=None,
        sessions=16,
    )
    bundle = patient_fhir_export(access=access, patient_id=episode.patient_id)
    Bundle.model_validate(bundle)
    (statement,) = resources(bundle, "MedicationStatement")
    assert statement["status"] == "stopped"
    assert statement["statusReason"][0]["text"] == stopped.get_reason_stopped_display()
    assert statement["dosage"][0]["timing"]["repeat"]["boundsDuration"]["value"] == 3
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["status"] == "in-progress"
    assert {"system": codes.SNOMED_SYSTEM, "code": "228557008"} in procedure["code"]["coding"]
    assert {"text": "16 sessions attended"} in procedure["note"]


def test_a_titrated_course_exports_one_dosage_per_step(access, episode):
    start = episode.onset_date + datetime.timedelta(days=7)
    TrialFactory(
        episode=episode,
        start_date=start,
        end_date=start + datetime.timedelta(weeks=12),
        dose_mg_per_day=None,
        weeks=None,
        dose_steps=[
            {"dose_mg_per_day": "50", "start_date": start.isoformat()},
            {
                "dose_mg_per_day": "150",
                "start_date": (start + datetime.timedelta(weeks=4)).isoformat(),
            },
        ],
    )
    bundle = patient_fhir_export(access=access, patient_id=episode.patient_id)
    Bundle.model_validate(bundle)
    (statement,) = resources(bundle, "MedicationStatement")
    steps = [
        (
            dosage["sequence"],
            dosage["doseAndRate"][0]["doseQuantity"]["value"],
            dosage["timing"]["repeat"]["boundsDuration"]["value"],
        )
        for dosage in statement["dosage"]
    ]
    assert steps == [(1, 50, 4), (2, 150, 8)]
