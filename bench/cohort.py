"""The cohort figures of issue 7: `restage` of the bench clinic, the cohort page's time and SQL.

    python -m bench.cohort --patients 1000

Runs in the benchmark's own throw-away database (bench.web.bench_database), like `python -m bench`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bench.measure import Row, django_started, peak_python_mib, percentile
from bench.web import signed_in_client, warm_page_times

if TYPE_CHECKING:
    from records.models import Clinic

PAGE_REQUESTS = 10
WARM_UP = 2


def restage_row(clinic: Clinic, jobs: int = 1) -> Row:
    """Restage every snapshot of the clinic (timed), as `manage.py restage --clinic` does."""
    from cohort.restage import progress_line, snapshots_restage_parallel
    from cohort.services import snapshots_restage

    started = time.perf_counter()
    started_cpu = time.process_time()

    def progress(done: int, total: int) -> None:
        line = progress_line(done, total, time.perf_counter() - started)
        print(f"restage: {line}", file=sys.stderr, flush=True)

    if jobs > 1:
        episodes = snapshots_restage_parallel(jobs=jobs, clinic=clinic, progress=progress)
    else:
        episodes = snapshots_restage(clinic=clinic, progress=progress)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    rate = episodes / seconds
    cpu_note = (
        f"; {episodes / cpu:,.0f} episodes per CPU second in this process" if jobs == 1 else ""
    )
    return Row(
        f"restage, {episodes:,} episodes" + (f", {jobs} jobs" if jobs > 1 else ""),
        rate,
        "ep/s",
        target="≥ 1,500/s on one core" if jobs == 1 else "",
        note=f"{seconds:.1f} s{cpu_note}; batches of 500, one transaction each",
        extra={"seconds": seconds, "cpu_seconds": cpu},
    )


def cohort_page_rows(clinic: Clinic, requests: int = PAGE_REQUESTS) -> list[Row]:
    """Median and p95 server time and SQL count of the cohort page, as a supervisor."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    from records.models import Membership, Role

    supervisor, _ = User.objects.get_or_create(username="bench-supervisor")
    Membership.objects.get_or_create(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    client = signed_in_client(supervisor)
    get, seconds, statements = warm_page_times(client, reverse("cohort:cohort"), WARM_UP, requests)
    queries = len(statements)
    p95 = percentile(seconds, 0.95) * 1000
    return [
        Row(
            "cohort page: median",
            statistics.median(seconds) * 1000,
            "ms",
            peak_mib=peak_python_mib(get),
            note=f"{queries} SQL queries; {requests} warm requests, Django test client",
            extra={"queries": queries, "p95_ms": p95},
        ),
        Row("cohort page: p95", p95, "ms", note=f"{requests} warm requests"),
    ]


def main(argv: Sequence[str]) -> int:
    """Build the synthetic clinic, restage it, measure the cohort page; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.cohort", description=__doc__)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=PAGE_REQUESTS)
    args = parser.parse_args(argv)
    django_started("trdclinic_bench_cohort")

    from bench import web
    from bench.__main__ import print_table

    with web.bench_database():
        clinic, _user, load_seconds = web.build_clinic(args.patients, args.seed)
        rows = [Row(f"synthetic clinic, {args.patients:,} patients: bulk load", load_seconds, "s")]
        rows.append(restage_row(clinic))
        rows += cohort_page_rows(clinic, args.requests)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
