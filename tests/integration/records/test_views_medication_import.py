"""The medication import page: upload, review and confirm; nothing saved before the confirmation."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import AuditAction, AuditEvent, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory
from tests.unit.records.test_medication_import import dispensing_csv

ROWS = [
    (0, "Sertraline", "50", 30, 30),
    (30, "Sertraline", "100", 30, 30),
    (60, "Sertraline", "100", 30, 30),
    (200, "Venlafaxine", "75", 60, 30),
    (200, "Hypericum extract", "300", 30, 30),
]


@pytest.fixture
def patient(clinic):
    patient = PatientFactory(clinic=clinic)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2021, 6, 1))
    return patient


def url(patient):
    return reverse("records:patient-medication-import", args=[patient.pk])


def upload(client, patient, text, name="pharmacy.csv"):
    file = SimpleUploadedFile(name, text.encode(), "text/csv")
    return client.post(url(patient), {"file": file})


def preview_post_data(page: str) -> dict[str, str]:
    """Return the preview form's fields as the browser would send them unchanged."""
    data: dict[str, str] = {}
    tags = re.findall(r"<input[^>]*>", page) + re.findall(r"<select.*?</select>", page, re.S)
    for tag in tags:
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name[1] == "csrfmiddlewaretoken":
            continue
        if tag.startswith("<select"):
            chosen = re.search(r'<option value="([^"]*)"[^>]*selected', tag)
            data[name[1]] = chosen[1] if chosen else ""
        elif 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name[1]] = "on"
        else:
            value = re.search(r'value="([^"]*)"', tag)
            data[name[1]] = value[1] if value else ""
    return data


def test_upload_proposes_courses_and_saves_nothing(signed_in, psychiatrist, patient):
    page = upload(signed_in(psychiatrist), patient, dispensing_csv(ROWS)).content.decode()
    assert 'data-testid="proposed-courses"' in page
    assert "Hypericum extract" in page
    assert "100 % of days covered" in page
    assert not TreatmentTrial.objects.filter(episode__patient=patient).exists()


def test_confirm_imports_the_ticked_courses_as_edited(signed_in, psychiatrist, patient):
    client = signed_in(psychiatrist)
    data = preview_post_data(upload(client, patient, dispensing_csv(ROWS)).content.decode())
    keys = {v: k.removesuffix("-key") for k, v in data.items() if k.endswith("-key")}
    sertraline, venlafaxine = keys["C1"], keys["C2"]
    data[f"{sertraline}-dose_mg_per_day"] = "150"
    data.pop(f"{venlafaxine}-include")
    response = client.post(url(patient), data)
    assert response.status_code == 302
    (trial,) = TreatmentTrial.objects.filter(episode__patient=patient)
    assert (trial.agent.name, trial.dose_mg_per_day) == ("sertraline", 150)
    assert trial.start_date == datetime.date(2022, 1, 3)
    assert trial.information_source == "pharmacy"
    event = AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=trial.pk)
    assert event.changes["source"][1].startswith("pharmacy.csv: Row 2, Row 3, Row 4")


def test_a_changed_dose_is_imported_as_dose_steps_unless_one_dose_is_typed(
    signed_in, psychiatrist, patient
):
    client = signed_in(psychiatrist)
    page = upload(client, patient, dispensing_csv(ROWS)).content.decode()
    assert "Dose steps, imported as such:" in page
    data = preview_post_data(page)
    keys = {v: k.removesuffix("-key") for k, v in data.items() if k.endswith("-key")}
    data.pop(f"{keys['C2']}-include")
    assert client.post(url(patient), data).status_code == 302
    (trial,) = TreatmentTrial.objects.filter(episode__patient=patient)
    assert (trial.dose_mg_per_day, trial.weeks, trial.weeks_reason) == (None, None, "")
    assert [(step.dose_mg_per_day, step.weeks) for step in trial.steps()] == [
        (50, Decimal("4.3")),
        (100, Decimal("8.4")),
    ]


def test_an_unknown_drug_needs_an_agent_before_it_is_imported(signed_in, psychiatrist, patient):
    client = signed_in(psychiatrist)
    data = preview_post_data(upload(client, patient, dispensing_csv(ROWS)).content.decode())
    keys = {v: k.removesuffix("-key") for k, v in data.items() if k.endswith("-key")}
    unknown = keys["C3"]
    assert f"{unknown}-include" not in data
    data[f"{unknown}-include"] = "on"
    response = client.post(url(patient), data)
    assert response.status_code == 200
    assert "Choose the agent this course is" in response.content.decode()
    assert not TreatmentTrial.objects.filter(episode__patient=patient).exists()


def test_bad_rows_are_listed_and_nothing_is_saved(signed_in, psychiatrist, patient):
    text = dispensing_csv(ROWS) + "2023-02-30,sertraline,50,-3,30\n"
    response = upload(signed_in(psychiatrist), patient, text)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="import-problems"' in page
    assert "Row 7" in page
    assert not TreatmentTrial.objects.filter(episode__patient=patient).exists()


def test_a_tampered_confirmation_imports_nothing(signed_in, psychiatrist, patient):
    client = signed_in(psychiatrist)
    data = preview_post_data(upload(client, patient, dispensing_csv(ROWS)).content.decode())
    data["upload"] = data["upload"][:-3] + "abc"
    response = client.post(url(patient), data)
    assert response.status_code == 302
    assert not TreatmentTrial.objects.filter(episode__patient=patient).exists()


def test_supervisor_may_not_import(signed_in, supervisor, patient):
    assert signed_in(supervisor).get(url(patient)).status_code == 403
    response = upload(signed_in(supervisor), patient, dispensing_csv(ROWS))
    assert response.status_code == 403


def test_other_clinics_user_gets_404(signed_in, stranger, patient):
    client = signed_in(stranger)
    assert client.get(url(patient)).status_code == 404
    assert upload(client, patient, dispensing_csv(ROWS)).status_code == 404
    assert not TreatmentTrial.objects.filter(episode__patient=patient).exists()
