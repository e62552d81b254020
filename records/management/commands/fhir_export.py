"""manage.py fhir_export: write a patient's record as a FHIR R4 Bundle (docs/interoperability.md).

The command acts as a named clinic member, so the clinic scope and the audit trail are the web
page's: another clinic's patient is not found, and the export is logged under that user.
"""

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from records.access import access_for_user
from records.models import Clinic, Patient
from records.services.fhir_export import patient_fhir_export

NO_USER = "No active user {username!r}."
NO_ACCESS = "{username} is not a member of the clinic {clinic!r}."
NO_CLINIC = "No clinic {clinic!r}."
NO_PATIENT = "The clinic holds no patient with record number {record_number!r}."
WRITTEN = "FHIR bundle of {record_number} written to {path} ({entries} resources)."


class Command(BaseCommand):
    help = "Export one patient's record as a FHIR R4 Bundle (JSON), acting as a clinic member."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("record_number", help="the patient's record number in the clinic")
        parser.add_argument("--user", required=True, help="the exporting member's username")
        parser.add_argument("--clinic", required=True, help="the clinic's name")
        parser.add_argument("--output", type=Path, help="the file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["user"]
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(NO_USER.format(username=username))
        clinic = Clinic.objects.filter(name=options["clinic"]).first()
        if clinic is None:
            raise CommandError(NO_CLINIC.format(clinic=options["clinic"]))
        access = access_for_user(user, clinic.pk)
        if access is None or access.clinic.pk != clinic.pk:
            raise CommandError(NO_ACCESS.format(username=username, clinic=clinic.name))
        record_number = options["record_number"]
        patient = Patient.objects.filter(clinic=clinic, record_number=record_number).first()
        if patient is None:
            raise CommandError(NO_PATIENT.format(record_number=record_number))
        try:
            document = patient_fhir_export(access=access, patient_id=patient.pk)
        except Http404:
            raise CommandError(NO_PATIENT.format(record_number=record_number)) from None
        text = json.dumps(document, indent=2, ensure_ascii=False)
        path: Path | None = options["output"]
        if path is None:
            self.stdout.write(text)
            return
        path.write_text(text + "\n", encoding="utf-8")
        entries = len(document["entry"])
        self.stderr.write(WRITTEN.format(record_number=record_number, path=path, entries=entries))
