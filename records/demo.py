"""The demo clinic: one user per role, a few patients, and one patient per staging vignette."""

import datetime
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from records import extensions, scales

from .access import access_for_user
from .history import scale_code_for_name
from .models import Clinic, Diagnosis, Episode, Membership, Patient, Role, Sex
from .services import PatientInput, ScaleInput, patient_create, scales_record
from .services.exchange import patient_history_import
from .two_factor import ALWAYS_TWO_FACTOR_ROLES

DEMO_CLINIC_NAME = "Demo Clinic"
DEMO_USERS = (
    ("demo-psychiatrist", "Dana", "Psychiatrist", Role.PSYCHIATRIST),
    ("demo-supervisor", "Sam", "Supervisor", Role.SUPERVISOR),
    ("demo-admin", "Alex", "Admin", Role.CLINIC_ADMIN),
)
DEMO_PATIENTS = (
    ("DEMO-001", "Rivera", "Ana", datetime.date(1981, 3, 14), Sex.FEMALE, Diagnosis.MDD),
    ("DEMO-002", "Okafor", "Ben", datetime.date(1975, 11, 2), Sex.MALE, Diagnosis.MDD),
    (
        "DEMO-003",
        "Lindqvist",
        "Cara",
        datetime.date(1992, 7, 21),
        Sex.FEMALE,
        Diagnosis.MDD_BIPOLARITY_SUSPECTED,
    ),
)
# Invented names for the vignette patients, in vignette order; the record number names the
# vignette (DEMO-V01 …) and the vignette's title says what it shows.
VIGNETTE_NAMES = (
    ("Hale", "Iris", Sex.FEMALE),
    ("Moreau", "Jonas", Sex.MALE),
    ("Tanaka", "Keiko", Sex.FEMALE),
    ("Tanaka-Strict", "Keiko", Sex.FEMALE),
    ("Abara", "Luca", Sex.MALE),
    ("Brennan", "Maeve", Sex.FEMALE),
    ("Castillo", "Nico", Sex.MALE),
    ("Dahl", "Oona", Sex.FEMALE),
    ("Eriksen", "Per", Sex.MALE),
    ("Eriksen-RUL", "Per", Sex.MALE),
    ("Fofana", "Quinn", Sex.OTHER),
    ("Grant", "Rosa", Sex.FEMALE),
    ("Haddad", "Samir", Sex.MALE),
    ("Ivanova", "Tess", Sex.FEMALE),
)
# The vignette patient the demo rates recently, with an open safety alert (records/demo.py).
RECENT_RATING_VIGNETTE = "V01"
NO_DEMO_MEMBERSHIP = "The demo psychiatrist has no membership in the demo clinic."
VIGNETTE_BORN = datetime.date(1980, 6, 1)
# Follow-up scores shown per vignette patient, besides the baseline, so charts have a line.
FOLLOW_UP_SCORES = 3


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str | None  # None when the account existed and its password was kept
    two_factor: bool  # whether the account signs in with an authenticator code too


def vignettes() -> list[dict[str, Any]]:
    """Return the staging vignettes shipped with staging/ (its own copy of the spec's file)."""
    text = resources.files("staging").joinpath("vignettes.json").read_text(encoding="utf-8")
    return list(json.loads(text)["vignettes"])


def vignette_record_number(vignette_id: str) -> str:
    """Return the demo record number of a vignette, e.g. DEMO-V03-STRICT."""
    return f"DEMO-{vignette_id.upper()}"


def demo_clinic_create(*, reset_passwords: bool = False) -> list[DemoAccount]:
    """Create the demo clinic, its users and patients unless they exist; return the accounts."""
    with transaction.atomic():
        # Made with two-factor sign-in for admins and supervisors only, so the demo psychiatrist
        # signs in with a password; a clinic admin may turn it on (an existing clinic is kept).
        clinic, _ = Clinic.objects.get_or_create(
            name=DEMO_CLINIC_NAME,
            defaults={"address": "1 Example Street, Demo Town", "two_factor_required": False},
        )
        accounts = []
        for username, first_name, last_name, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name, "last_name": last_name}
            )
            password = None
            if created or reset_passwords:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, clinic=clinic, role=role)
            accounts.append(
                DemoAccount(
                    username=username,
                    role=role,
                    password=password,
                    two_factor=role in ALWAYS_TWO_FACTOR_ROLES or clinic.two_factor_required,
                )
            )
        psychiatrist = User.objects.get(username=DEMO_USERS[0][0])
        for record_number, family, given, born, sex, diagnosis in DEMO_PATIENTS:
            Patient.objects.get_or_create(
                clinic=clinic,
                record_number=record_number,
                defaults={
                    "family_name": family,
                    "given_name": given,
                    "date_of_birth": born,
                    "sex": sex,
                    "diagnosis": diagnosis,
                    "psychiatrist": psychiatrist,
                    "created_by": psychiatrist,
                    "updated_by": psychiatrist,
                },
            )
        _vignette_patients_create(clinic, psychiatrist)
        supervisor = next(name for name, *_, role in DEMO_USERS if role == Role.SUPERVISOR)
        extensions.demo_data_create(clinic=clinic, supervisor=User.objects.get(username=supervisor))
    return accounts


def _vignette_patients_create(clinic: Clinic, psychiatrist: User) -> None:
    """Create one patient per vignette, imported through the history import, with scores."""
    access = access_for_user(psychiatrist, clinic.pk)
    if access is None:
        raise RuntimeError(NO_DEMO_MEMBERSHIP)
    for vignette, (family, given, sex) in zip(vignettes(), VIGNETTE_NAMES, strict=True):
        record_number = vignette_record_number(vignette["id"])
        if Patient.objects.filter(clinic=clinic, record_number=record_number).exists():
            continue
        # The vignette's own parameters (the strict rule of V03, right-unilateral ECT of V08)
        # come along and become the episode's, as any imported history's do.
        history = {
            "patient": vignette["patient"],
            "trials": vignette["trials"],
            "parameters": vignette.get("parameters") or {},
        }
        patient = patient_create(
            acting_user=psychiatrist,
            clinic=clinic,
            data=PatientInput(
                record_number=record_number,
                family_name=family,
                given_name=given,
                date_of_birth=VIGNETTE_BORN,
                sex=sex,
                diagnosis=vignette["patient"]["diagnosis"],
                psychiatrist=psychiatrist,
            ),
        )
        episode = patient_history_import(
            access=access, patient=patient, data=history, acting_user=psychiatrist
        )
        scores = _scores(episode, vignette, psychiatrist)
        if vignette["id"] == RECENT_RATING_VIGNETTE:
            scores.extend(_recent_rating(episode, psychiatrist))
        # One call for the patient's scores: the episode is restaged once, not once a score.
        scales_record(acting_user=psychiatrist, episode_id=episode.pk, data=scores)


def _recent_rating(episode: Episode, psychiatrist: User) -> list[ScaleInput]:
    """Rate one patient a week ago with a raised suicide item: the caseload's open safety alert.

    The other patients' latest scores are those of their vignettes, months old: overdue.
    """
    code = scales.ScaleCode.MADRS
    rule = scales.SCALES[code].safety
    if rule is None or episode.end_date is not None:
        return []
    return [
        ScaleInput(
            scale=code,
            administered_on=timezone.localdate() - datetime.timedelta(days=7),
            total=Decimal(30),
            items={rule.item: rule.alert_at + 1},
            rater=psychiatrist.get_full_name(),
        )
    ]


def _scores(episode: Episode, vignette: dict[str, Any], psychiatrist: User) -> list[ScaleInput]:
    """Return the baseline score and illustrative follow-ups at the end of the last trials.

    Each follow-up applies that trial's recorded percent reduction to the baseline score:
    demo data for the charts, not a clinical derivation.
    """
    severity = vignette["patient"]["baseline_severity"]
    code = scale_code_for_name(severity["scale"])
    if code is None:
        return []
    maximum = scales.SCALES[code].total_range
    baseline = Decimal(severity["score"])
    scores = [
        ScaleInput(
            scale=code,
            administered_on=episode.onset_date + datetime.timedelta(days=7),
            total=baseline,
            rater=psychiatrist.get_full_name(),
        )
    ]
    finished = [
        trial
        for trial in vignette["trials"]
        if trial.get("episode") != "previous"
        and trial.get("percent_symptom_reduction") is not None
        and trial.get("weeks")
    ]
    for trial in finished[-FOLLOW_UP_SCORES:]:
        ended = datetime.date.fromisoformat(trial["start_date"]) + datetime.timedelta(
            weeks=trial["weeks"]
        )
        reduction = Decimal(trial["percent_symptom_reduction"]) / 100
        total = (baseline * (1 - reduction)).quantize(Decimal(1))
        if maximum is not None:
            total = min(max(total, Decimal(maximum[0])), Decimal(maximum[1]))
        scores.append(
            ScaleInput(
                scale=code, administered_on=ended, total=total, rater=psychiatrist.get_full_name()
            )
        )
    return scores
