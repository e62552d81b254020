"""The cohort export's three identity levels: exactly the columns docs/cohort.md lists, per format.

Issue 13: "de-identified" exports were pseudonymised data. The pseudonymised level is today's
behaviour under its right name; the de-identified level follows HIPAA Safe Harbor
(45 CFR 164.514(b)(2)): no names of patients or clinicians, no record number or code derived from
it, every date reduced to its year, ages over 89 grouped as "90 or over".
"""

import csv
import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from cohort.snapshots import VERDICT_KEYS
from records.models import AuditAction, AuditEvent
from staging.registry import ENGINES
from tests.factories.clinic import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

EXPORT = reverse("cohort:export")
STATUS = [
    "case_status",
    "impasse_criteria",
    "impasse_case",
    "msm_score",
    "concerns",
    "data_gaps",
    "stale",
]
MODELS = [
    column
    for engine in ENGINES
    for column in (
        engine.info.label,
        *([f"{engine.info.label}: TRD threshold met"] if engine.key in VERDICT_KEYS else []),
        f"{engine.info.label}: after checklist",
    )
]
IDENTIFIED = [
    "record_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "psychiatrist",
    "episode_onset",
    "episode_end",
    "assessed_on",
    *STATUS,
    *MODELS,
]
PSEUDONYMISED = [
    "pseudonym",
    "psychiatrist",
    "episode_onset",
    "episode_end",
    "assessed_on",
    *STATUS,
    *MODELS,
]
DEIDENTIFIED = [
    "row",
    "age_at_onset",
    "onset_year",
    "end_year",
    "assessed_year",
    *STATUS,
    *MODELS,
]
COLUMNS = {"identified": IDENTIFIED, "pseudonymised": PSEUDONYMISED, "deidentified": DEIDENTIFIED}
ONSET = datetime.date(2025, 3, 10)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "cohort.md"


def exported(client: Client, level: str, file_format: str) -> tuple[list[str], list[dict]]:
    """Export and return the header and the rows (XLSX cells as openpyxl reads them)."""
    response = client.post(
        EXPORT, {"file_format": file_format, "level": level, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    if file_format == "csv":
        reader = csv.DictReader(io.StringIO(response.content.decode()))
        rows = list(reader)
        return list(reader.fieldnames or []), rows
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return header, [dict(zip(header, row, strict=True)) for row in values]


@pytest.fixture
def cohort(make_episode, restage, psychiatrist):
    psychiatrist.first_name, psychiatrist.last_name = "Imogen", "Threlkeld"
    psychiatrist.save(update_fields=["first_name", "last_name"])
    old = make_episode(
        onset=ONSET,
        record_number="RN-OLD",
        family_name="Ancient",
        given_name="Quillon",
        date_of_birth=datetime.date(1934, 3, 9),  # 91 at onset
    )
    eighty_nine = make_episode(
        onset=ONSET,
        record_number="RN-89",
        family_name="Eightynine",
        given_name="Zephyrine",
        date_of_birth=datetime.date(1935, 3, 11),  # 89 at onset, 90 the day after
    )
    restage()
    return {"old": old, "89": eighty_nine, "psychiatrist": psychiatrist}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("level", sorted(COLUMNS))
def test_each_level_has_exactly_its_columns(signed_in, supervisor, cohort, level, file_format):
    header, rows = exported(signed_in(supervisor), level, file_format)
    assert header == COLUMNS[level]
    assert len(rows) == 2


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_identified_level_carries_names_numbers_and_dates(
    signed_in, supervisor, cohort, file_format
):
    _, rows = exported(signed_in(supervisor), "identified", file_format)
    old = next(row for row in rows if row["record_number"] == "RN-OLD")
    assert (old["family_name"], old["given_name"]) == ("Ancient", "Quillon")
    assert str(old["date_of_birth"]).startswith("1934-03-09")
    assert str(old["episode_onset"]).startswith(ONSET.isoformat())
    assert old["psychiatrist"] == "Imogen Threlkeld"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_pseudonymised_level_keeps_dates_and_psychiatrist_but_no_identity(
    signed_in, supervisor, cohort, file_format
):
    _, rows = exported(signed_in(supervisor), "pseudonymised", file_format)
    assert all(re.fullmatch(r"P-[A-Z2-7]{10}", row["pseudonym"]) for row in rows)
    assert {str(row["episode_onset"])[:10] for row in rows} == {ONSET.isoformat()}
    assert {row["psychiatrist"] for row in rows} == {"Imogen Threlkeld"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_deidentified_level_is_safe_harbor(signed_in, supervisor, cohort, file_format):
    client = signed_in(supervisor)
    _, rows = exported(client, "deidentified", file_format)
    by_age = {str(row["age_at_onset"]): row for row in rows}
    assert set(by_age) == {"90 or over", "89"}
    for row in rows:
        assert str(row["onset_year"]) == "2025"
        assert row["end_year"] in ("", None)
        assert re.fullmatch(r"\d{4}", str(row["assessed_year"]))
    assert sorted(int(row["row"]) for row in rows) == [1, 2]
    response = client.post(
        EXPORT, {"file_format": "csv", "level": "deidentified", "password": DEFAULT_PASSWORD}
    )
    text = response.content.decode()
    for secret in (
        "RN-OLD",
        "RN-89",
        "Ancient",
        "Eightynine",
        "Quillon",
        "Zephyrine",
        "1934",
        "1935",
        "Imogen",
        "Threlkeld",
        cohort["psychiatrist"].username,
        ONSET.isoformat(),
        "P-",
    ):
        assert secret not in text, secret
    # No full date anywhere: every date is reduced to its year.
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert response["Content-Disposition"].endswith('-deidentified.csv"')


def test_every_level_audits_each_exported_patient(signed_in, supervisor, cohort):
    client = signed_in(supervisor)
    for level in COLUMNS:
        exported(client, level, "csv")
    patient_events = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="patient")
    assert patient_events.count() == 2 * len(COLUMNS)
    assert {event.patient_id for event in patient_events} == {
        cohort["old"].patient_id,
        cohort["89"].patient_id,
    }
    assert {event.changes["export"][1] for event in patient_events} == {
        "cohort export, identified",
        "cohort export, pseudonymised",
        "cohort export, de-identified",
    }


def test_a_level_outside_the_three_is_a_field_error(signed_in, supervisor, cohort):
    response = signed_in(supervisor).post(
        EXPORT, {"file_format": "csv", "level": "everything", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["level"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_docs_list_each_levels_columns():
    """docs/cohort.md names every column of each level, in the export's order."""
    text = DOCS.read_text(encoding="utf-8")
    for level, title in (
        ("identified", "Identified"),
        ("pseudonymised", "Pseudonymised"),
        ("deidentified", "De-identified"),
    ):
        section = text.split(f"#### {title} columns", 1)[1].split("####", 1)[0]
        listed = re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE)
        assert listed == [c for c in COLUMNS[level] if c not in MODELS] + ["(model columns)"], level
