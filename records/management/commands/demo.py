from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from records.demo import DEMO_CLINIC_NAME, demo_clinic_create, vignette_record_number, vignettes
from records.models import Clinic

TWO_FACTOR_NOTE = "+ a code from an authenticator app (set up at the first sign-in)"
TWO_FACTOR_SUMMARY_OFF = (
    f"Two-factor sign-in: {DEMO_CLINIC_NAME} requires it of its admin and supervisor only. They "
    "scan a QR code with any authenticator app (or type the key shown) at their first sign-in and "
    "keep the recovery codes shown; the psychiatrist signs in with the password alone."
)
TWO_FACTOR_SUMMARY_ON = (
    f"Two-factor sign-in: {DEMO_CLINIC_NAME} requires it of everyone. Each demo user scans a QR "
    "code with any authenticator app (or types the key shown) at their first sign-in."
)


def clinic_requires_two_factor() -> bool:
    return bool(
        Clinic.objects.filter(name=DEMO_CLINIC_NAME)
        .values_list("two_factor_required", flat=True)
        .first()
    )


class Command(BaseCommand):
    help = (
        "Create the demo clinic with one user per role, demo patients and one patient per "
        "staging vignette (safe to run again)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo users new passwords and print them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_clinic_create(reset_passwords=options["reset_passwords"])
        numbers = [vignette_record_number(vignette["id"]) for vignette in vignettes()]
        self.stdout.write(
            f"{DEMO_CLINIC_NAME} is ready. Vignette patients: {len(numbers)} ({numbers[0]} … "
            f"{numbers[-1]}), each with its treatment history and rating-scale scores."
        )
        self.stdout.write(
            "The clinic admin manages people on the Team page (/clinic/team/) and the letterhead, "
            "agents and staging defaults under Clinic settings; /admin/ is for superusers only."
        )
        self.stdout.write(
            TWO_FACTOR_SUMMARY_ON if clinic_requires_two_factor() else TWO_FACTOR_SUMMARY_OFF
        )
        # The accounts come last, so that `make run` shows them right above the server's address.
        self.stdout.write("Demo accounts:")
        for account in accounts:
            if account.password:
                note = f"password {account.password}  (shown once)"
            else:
                note = "password unchanged (run `manage.py demo --reset-passwords` for new ones)"
            self.stdout.write(f"  {account.username:<20} {account.role:<14} {note}")
            if account.two_factor:
                self.stdout.write(f"  {'':<35} {TWO_FACTOR_NOTE}")
