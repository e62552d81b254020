"""JSON history pages: download a patient's history, upload one as a new episode."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from records.demo import vignettes
from records.models import AuditAction, AuditEvent, Episode, Role, TreatmentTrial
from records.views.exchange import export_filename
from tests.factories import PatientFactory, TrialFactory
from tests.factories.clinic import DEFAULT_PASSWORD

VIGNETTES = {vignette["id"]: vignette for vignette in vignettes()}


def history_file(document: dict, name: str = "history.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(document).encode(), "application/json")


def vignette_document(vignette_id: str) -> dict:
    vignette = VIGNETTES[vignette_id]
    return copy.deepcopy({"patient": vignette["patient"], "trials": vignette["trials"]})


def test_export_downloads_the_history_named_by_record_number_and_date(
    signed_in, psychiatrist, episode
):
    TrialFactory(episode=episode, code="T1", seq=1)
    episode.patient.record_number = "RN/7 Ü"
    episode.patient.save(update_fields=["record_number"])
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-export", args=[episode.patient_id]),
        {"password": DEFAULT_PASSWORD},
    )
    today = timezone.localdate().isoformat()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="trdclinic-history-RN_7-{today}.json"'
    )
    assert episode.patient.family_name not in response["Content-Disposition"]
    document = json.loads(response.content)
    assert [trial["id"] for trial in document["trials"]] == ["T1"]
    assert AuditEvent.objects.filter(
        patient_id=episode.patient_id, action=AuditAction.EXPORT
    ).exists()


def test_export_filename_never_is_empty():
    assert export_filename("///").startswith("trdclinic-history-patient-")


def test_export_without_an_episode_returns_to_the_patient_page_with_the_reason(
    signed_in, psychiatrist, patient
):
    client = signed_in(psychiatrist)
    response = client.post(
        reverse("records:patient-json-export", args=[patient.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "This patient has no episode to export yet." in page


def test_clinic_admin_may_export(signed_in, clinic_admin, episode):
    url = reverse("records:patient-json-export", args=[episode.patient_id])
    response = signed_in(clinic_admin).post(url, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_export_asks_for_the_password_and_exports_nothing_without_it(
    signed_in, psychiatrist, episode
):
    url = reverse("records:patient-json-export", args=[episode.patient_id])
    client = signed_in(psychiatrist)
    page = client.get(url)
    assert page.status_code == 200
    assert "password" in page.context["form"].fields
    refused = client.post(url, {"password": "not-my-password"})
    assert refused.status_code == 200
    assert refused["Content-Type"].startswith("text/html")
    assert refused.context["form"].errors["password"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_import_creates_the_episode_and_its_trials(signed_in, psychiatrist, clinic):
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    url = reverse("records:patient-json-import", args=[patient.pk])
    client = signed_in(psychiatrist)
    preview = client.post(url, {"file": history_file(vignette_document("V01"))})
    assert preview.status_code == 200
    assert preview.context["preview"].trials == len(VIGNETTES["V01"]["trials"])
    assert not Episode.objects.filter(patient=patient).exists()
    token = preview.context["confirm_form"].initial["upload"]
    response = client.post(url, {"upload": token})
    assert response.status_code == 302
    episode = Episode.objects.get(patient=patient)
    assert episode.trials.count() == len(VIGNETTES["V01"]["trials"])


def test_import_errors_are_listed_by_trial_and_field_and_nothing_is_saved(
    signed_in, psychiatrist, clinic
):
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    document = vignette_document("V02")
    for trial in document["trials"]:
        trial["dose_mg_per_day"] = 0
    events = AuditEvent.objects.count()
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-import", args=[patient.pk]), {"file": history_file(document)}
    )
    problems = response.context["problems"]
    assert response.status_code == 200
    assert {(p.where, p.field) for p in problems} >= {
        (f"Trial T{n}", "dose_mg_per_day") for n in range(1, 6)
    }
    assert 'data-testid="import-problems"' in response.content.decode()
    assert not Episode.objects.exists()
    assert not TreatmentTrial.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("raw", "where", "field", "message"),
    [
        ("9" * 5000, "Trial T2", "dose_mg_per_day", "A number of 5000 digits"),
        ('"sertra\\u0000line"', "Trial T2", "agent", "NUL character"),
        ('"\\ud800"', "Patient and episode", "functional_impairment", "invalid character"),
    ],
    ids=["5000-digit integer", "NUL", "lone surrogate"],
)
def test_import_of_a_value_no_history_may_hold_names_trial_and_field(
    signed_in, psychiatrist, clinic, raw, where, field, message
):
    """Issue 13, defect 8: these answered 500; now a field error and nothing saved."""
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    document = vignette_document("V01")
    target = document["patient"] if where.startswith("Patient") else document["trials"][1]
    target[field] = "__raw__"
    content = json.dumps(document).replace('"__raw__"', raw).encode()
    events = AuditEvent.objects.count()
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-import", args=[patient.pk]),
        {"file": SimpleUploadedFile("history.json", content, "application/json")},
    )
    assert response.status_code == 200
    [problem] = response.context["problems"]
    assert (problem.where, problem.field) == (where, field)
    assert message in problem.message
    assert not Episode.objects.exists()
    assert AuditEvent.objects.count() == events


def test_import_refused_for_a_current_episode_names_the_patient_part(
    signed_in, psychiatrist, episode
):
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-import", args=[episode.patient_id]),
        {"file": history_file(vignette_document("V01"))},
    )
    (problem,) = response.context["problems"]
    assert problem.where == "Patient and episode"
    assert "already has a current episode" in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b'{"patient": ', "not valid JSON (line 1, column 13)"),
        (b"[1, 2]", "must hold one history object"),
        (b'{"patient": NaN}', "NaN, which JSON does not allow"),
        (b"[" * 100_000, "nests too deeply"),
    ],
)
def test_unreadable_files_are_refused_beside_the_file_field(
    signed_in, psychiatrist, patient, content, message
):
    upload = SimpleUploadedFile("history.json", content, "application/json")
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-import", args=[patient.pk]), {"file": upload}
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert not Episode.objects.exists()


def test_import_of_another_clinics_patient_is_404(signed_in, stranger, patient):
    url = reverse("records:patient-json-import", args=[patient.pk])
    client = signed_in(stranger)
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": history_file(vignette_document("V01"))}).status_code == 404
    export = reverse("records:patient-json-export", args=[patient.pk])
    assert client.get(export).status_code == 404
    assert client.post(export, {"password": DEFAULT_PASSWORD}).status_code == 404


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_import_refuses_roles_that_do_not_edit(signed_in, member, patient, role):
    url = reverse("records:patient-json-import", args=[patient.pk])
    client = signed_in(member(role))
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": history_file(vignette_document("V01"))}).status_code == 403
    assert not Episode.objects.exists()
