"""manage.py restage: restage episodes through records' one change path, in batches, with progress.

Snapshots are stored and impasse cases opened or closed as after any change (by the system), so
a nightly run fires the criteria that depend on the date (docs/cohort.md shows how to schedule).
"""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cohort.restage import progress_line, snapshots_restage_parallel
from cohort.services import RESTAGE_BATCH, snapshots_restage
from records.models import Clinic

NO_SUCH_CLINIC = "No clinic with id {clinic}."


class Command(BaseCommand):
    help = (
        "Restage episodes as a change by the system: store the staging snapshots the cohort page "
        "reads and open or close impasse cases by the date-dependent criteria. Every episode "
        "(nightly, or after a new engine version), or only the stale ones (--stale), of every "
        "clinic or one (--clinic)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--stale",
            action="store_true",
            help="only episodes without a snapshot, marked stale, or staged with other engine "
            "versions or parameters",
        )
        parser.add_argument("--clinic", type=int, help="the id of one clinic")
        parser.add_argument("--batch", type=int, default=RESTAGE_BATCH, help="episodes per batch")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="worker processes, each with its own database connection (2 uses both cores "
            "of a two-core server)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"] is not None:
            clinic = Clinic.objects.filter(pk=options["clinic"]).first()
            if clinic is None:
                raise CommandError(NO_SUCH_CLINIC.format(clinic=options["clinic"]))
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.stdout.write(progress_line(done, total, time.perf_counter() - started))

        arguments = {
            "clinic": clinic,
            "stale_only": options["stale"],
            "batch_size": max(1, options["batch"]),
            "progress": progress,
        }
        if options["jobs"] > 1:
            total = snapshots_restage_parallel(jobs=options["jobs"], **arguments)
        else:
            total = snapshots_restage(**arguments)
        elapsed = time.perf_counter() - started
        rate = f" ({total / elapsed:,.0f} episodes/s)" if elapsed > 0 and total else ""
        self.stdout.write(
            self.style.SUCCESS(f"Restaged {total:,} episodes in {elapsed:.1f} s{rate}.")
        )
