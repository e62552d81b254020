"""The demo clinic: one user per role and a few patients, for trying trdclinic locally."""

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from .models import Clinic, Diagnosis, Membership, Patient, Role, Sex

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


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str | None  # None when the account existed and its password was kept


def demo_clinic_create(*, reset_passwords: bool = False) -> list[DemoAccount]:
    """Create the demo clinic, its users and patients unless they exist; return the accounts."""
    with transaction.atomic():
        clinic, _ = Clinic.objects.get_or_create(
            name=DEMO_CLINIC_NAME, defaults={"address": "1 Example Street, Demo Town"}
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
            accounts.append(DemoAccount(username=username, role=role, password=password))
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
    return accounts
