"""Record numbers from an allow-list; names in NFC without control or invisible characters.

Issue 13, defect 10: CR/LF, ESC, TAB, a zero-width space or a right-to-left override in a record
number or a name made look-alike records and spoofed names on pages and in PDFs. Each path that
writes one (the patient form, the CSV import, the JSON import, the agent catalogue, the clinic
and user admin) refuses them with an error naming the row or field, and saves nothing.
"""

import copy
import csv
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.admin import ClinicUserChangeForm
from records.demo import demo_clinic_create, vignettes
from records.identity import (
    RECORD_NUMBER_INVALID,
    normalise_identity_text,
    validate_identity_text,
    validate_record_number,
)
from records.models import Agent, AuditEvent, Clinic, Episode, Patient, TreatmentTrial
from records.services import AgentInput, agent_create
from records.services.csv_import import CsvImportError, csv_import
from tests.factories import ClinicFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "ESC": "\x1b",
    "TAB": "\t",
    "ZWSP": "\u200b",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "BOM": "\ufeff",
    "NUL": "\x00",
    "DEL": "\x7f",
}
# Inside the text: a form strips what surrounds it.
HOSTILE_TEXT = {name: f"Oka{char}for" for name, char in HOSTILE.items()}
KINDS = sorted(HOSTILE)


@pytest.mark.parametrize(
    "number", ["RN-1", "A", "2024/17.3_b", "x" * 32, "DEMO-V03", "ab-CD_01/2.3"]
)
def test_record_numbers_of_the_allow_list_pass(number):
    validate_record_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "x" * 33,
        "RN 1",
        "RN\u20121",  # figure dash
        "RN-\u0410",  # Cyrillic A
        "RN-１",  # full-width digit
        "=HYPERLINK(1)",
        "RN#1",
        *(f"RN{char}1" for char in HOSTILE.values()),
    ],
)
def test_other_record_numbers_are_refused(number):
    with pytest.raises(ValidationError, match="letters A–Z, digits"):
        validate_record_number(number)


@pytest.mark.parametrize(
    "name", ["Ó Briain", "Nguyễn", "Müller-Lüdenscheidt", "O'Brien", "Δημήτρης", "محمد", "李"]
)
def test_names_of_every_script_pass(name):
    validate_identity_text(normalise_identity_text(name))


@pytest.mark.parametrize("kind", KINDS)
def test_names_with_control_or_invisible_characters_are_refused(kind):
    with pytest.raises(ValidationError, match="retype the text without it"):
        validate_identity_text(HOSTILE_TEXT[kind])


def test_names_are_kept_in_nfc():
    decomposed = "Jose\u0301"
    assert normalise_identity_text(f"  {decomposed} ") == "Jos\u00e9"


# --- the patient form --------------------------------------------------------------------------


def patient_post(**changes: str) -> dict[str, str]:
    values = {
        "record_number": "RN-9",
        "family_name": "Okafor",
        "given_name": "Ada",
        "date_of_birth": "1980-02-03",
        "sex": "female",
        "diagnosis": "MDD",
    }
    return {**values, **changes}


@pytest.mark.parametrize("field", ["record_number", "family_name", "given_name"])
@pytest.mark.parametrize("kind", KINDS)
def test_patient_form_refuses_hidden_characters_beside_the_field(
    signed_in, psychiatrist, field, kind
):
    value = f"RN{HOSTILE[kind]}9" if field == "record_number" else HOSTILE_TEXT[kind]
    response = signed_in(psychiatrist).post(
        reverse("records:patient-create"), patient_post(**{field: value})
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not Patient.objects.exists()


def test_patient_form_saves_names_in_nfc(signed_in, psychiatrist):
    response = signed_in(psychiatrist).post(
        reverse("records:patient-create"), patient_post(family_name="Jose\u0301")
    )
    assert response.status_code == 302
    assert Patient.objects.get().family_name == "Jos\u00e9"


def test_patient_form_refuses_a_record_number_outside_the_allow_list(signed_in, psychiatrist):
    response = signed_in(psychiatrist).post(
        reverse("records:patient-create"), patient_post(record_number="RN 9")
    )
    assert response.context["form"].errors["record_number"] == [RECORD_NUMBER_INVALID]
    assert not Patient.objects.exists()


def test_editing_keeps_refusing(signed_in, psychiatrist, clinic):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number="RN-1")
    data = patient_post(record_number="RN-1", given_name=HOSTILE_TEXT["RLO"], version="1")
    response = signed_in(psychiatrist).post(
        reverse("records:patient-update", args=[patient.pk]), data
    )
    assert list(response.context["form"].errors) == ["given_name"]
    patient.refresh_from_db()
    assert patient.version == 1


# --- the CSV import ----------------------------------------------------------------------------

CSV_ROW = {
    "record_number": "RN-100",
    "family_name": "Rivera",
    "given_name": "Ana",
    "date_of_birth": "1980-02-03",
    "diagnosis": "MDD",
    "episode_onset_date": "2024-05-01",
    "baseline_scale": "HAM-D17",
    "baseline_score": "22",
    "trial_id": "T1",
    "kind": "antidepressant",
    "start_date": "2024-05-15",
    "agent": "sertraline",
    "dose_mg_per_day": "100",
    "weeks": "8",
}


def csv_file(**changes: str) -> bytes:
    values = {**CSV_ROW, **changes}
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(values), lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    writer.writerow(values)
    return buffer.getvalue().encode()


@pytest.mark.parametrize("column", ["record_number", "family_name", "given_name"])
# A NUL byte refuses the whole file before any row (the next test).
@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "NUL"])
def test_csv_import_names_the_row_and_column(psychiatrist, clinic, column, kind):
    value = f"RN{HOSTILE[kind]}100" if column == "record_number" else HOSTILE_TEXT[kind]
    events = AuditEvent.objects.count()
    with pytest.raises(CsvImportError) as refused:
        csv_import(acting_user=psychiatrist, clinic=clinic, data=csv_file(**{column: value}))
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, column)]
    assert not Patient.objects.exists()
    assert AuditEvent.objects.count() == events


def test_csv_import_with_a_nul_byte_is_refused_as_a_file(psychiatrist, clinic):
    with pytest.raises(CsvImportError):
        csv_import(acting_user=psychiatrist, clinic=clinic, data=csv_file(family_name="A\x00B"))
    assert not Patient.objects.exists()


def test_csv_import_stores_names_in_nfc(psychiatrist, clinic):
    csv_import(acting_user=psychiatrist, clinic=clinic, data=csv_file(given_name="Zoe\u0308"))
    assert Patient.objects.get().given_name == "Zo\u00eb"


# --- the JSON import: an uncatalogued agent's name ---------------------------------------------


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "NUL"])
def test_json_import_names_the_trial_and_field(signed_in, psychiatrist, clinic, kind):
    patient = PatientFactory(clinic=clinic, diagnosis="MDD")
    vignette = vignettes()[0]
    document = copy.deepcopy({"patient": vignette["patient"], "trials": vignette["trials"]})
    document["trials"][1]["agent"] = f"Herbal{HOSTILE[kind]}tea"
    document["trials"][1]["class"] = "other"
    upload = SimpleUploadedFile("history.json", json.dumps(document).encode(), "application/json")
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-import", args=[patient.pk]), {"file": upload}
    )
    assert response.status_code == 200
    trial_id = document["trials"][1]["id"]
    assert ("Trial " + trial_id, "agent") in {
        (p.where, p.field) for p in response.context["problems"]
    }
    assert not Episode.objects.exists()
    assert not TreatmentTrial.objects.exists()


# --- agents, clinics, users --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_agent_names_are_refused(clinic_admin, clinic, kind):
    data = AgentInput(
        name=HOSTILE_TEXT[kind],
        drug_class="SSRI",
        role="antidepressant",
        source="Clinic formulary",
        minimum_dose_mg_per_day=Decimal(50),
    )
    with pytest.raises(ValidationError) as refused:
        agent_create(acting_user=clinic_admin, clinic_id=clinic.pk, data=data)
    assert "name" in refused.value.message_dict
    assert not Agent.objects.filter(clinic=clinic).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_clinic_names_are_refused(kind):
    clinic = Clinic(name=HOSTILE_TEXT[kind], address="1 High Street")
    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()
    assert list(refused.value.message_dict) == ["name"]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "NUL"])
def test_user_names_are_refused_in_the_admin_form(field, kind):
    user = UserFactory()
    data = {**UserChangeForm(instance=user).initial, field: HOSTILE_TEXT[kind]}
    form = ClinicUserChangeForm(data, instance=user)
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_demo_and_factory_data_pass_the_rules():
    demo_clinic_create()
    ClinicFactory()
    PatientFactory()
    assert Patient.objects.count() > 1
    for model in (Clinic, Patient, Agent, TreatmentTrial):
        for instance in model.objects.all():
            instance.full_clean(validate_unique=False, validate_constraints=False)
