"""The hot pages of issue 18, measured as a clinician meets them, and again in a clinic group.

    patient page (5 and 40 trials), staging page (40 trials), impasse queue (500 open cases),
    cohort page

Each figure is the median of `runs` runs (3 by default) of `requests` warm requests through
Django's test client, signed in past the second factor; beside it the run's CPU time in this
process (the machine is shared: wall time is noisy, CPU time less so) and the floor, the page's
own SQL replayed raw through psycopg2. `group_rows` prints one clinic's figures beside the same
clinic's once the group around it has grown (`--clinics`), loaded by COPY (bench/copyload.py).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.measure import Row, percentile

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client

    from records.models import Clinic

RUNS = 3
REQUESTS = 30
WARM_UP = 3
QUEUE_CASES = 500
# Issue 18's targets, by page.
TARGETS = {
    "patient page, 5 trials": "≤ 4× floor",
    "patient page, 40 trials": "p95 ≤ 35 ms, ≤ 5× floor",
    "staging page, 40 trials": "≤ 40 ms",
    f"impasse queue, {QUEUE_CASES} open cases": "≤ 40 ms",
    "cohort page": "—",
}
GROUP_TARGET = "≤ 1.25× one clinic"


@dataclass(frozen=True)
class PageFigure:
    median_ms: float
    p95_ms: float
    cpu_ms: float
    floor_ms: float
    queries: int


def measure_page(
    client: Client, url: str, runs: int = RUNS, requests: int = REQUESTS
) -> PageFigure:
    """Return the medians over `runs` runs of a page's median, p95, CPU time and SQL floor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.web import _replay

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    for _ in range(WARM_UP):
        get()
    medians, p95s, cpus, floors = [], [], [], []
    queries: list[str] = []
    for _ in range(runs):
        seconds, cpu = [], []
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            get()
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        with CaptureQueriesContext(connection) as captured:
            get()
        queries = [query["sql"] for query in captured.captured_queries]
        raw = [_replay(queries) for _ in range(requests)]
        medians.append(statistics.median(seconds))
        p95s.append(percentile(seconds, 0.95))
        cpus.append(statistics.median(cpu))
        floors.append(statistics.median(raw))
    return PageFigure(
        statistics.median(medians) * 1000,
        statistics.median(p95s) * 1000,
        statistics.median(cpus) * 1000,
        statistics.median(floors) * 1000,
        len(queries),
    )


def queue_clinic(seed: int) -> tuple[Clinic, User]:
    """Make a clinic of QUEUE_CASES patients, each with an open impasse case, and its supervisor."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from bench.clinic import plan_clinic
    from bench.copyload import copy_clinic
    from records.models import Clinic, Membership, Role

    clinic = Clinic.objects.create(name="Benchmark Queue Clinic")
    psychiatrist = User.objects.create_user("bench-queue-psychiatrist", password=None)
    Membership.objects.create(user=psychiatrist, clinic=clinic, role=Role.PSYCHIATRIST)
    supervisor = User.objects.create_user("bench-queue-supervisor", password=None)
    Membership.objects.create(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    with transaction.atomic():
        copy_clinic(plan_clinic(QUEUE_CASES - 2, seed), clinic, psychiatrist, case_every=1)
    return clinic, supervisor


def hot_pages(
    clinic: Clinic, user: User, queue: tuple[Clinic, User], runs: int = RUNS
) -> dict[str, PageFigure]:
    """Measure every hot page of the clinic (the queue in its own clinic of open cases)."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.urls import reverse

    from bench.web import page_patient_id, signed_in_client
    from records.models import Membership, Role
    from trdclinic.startup import freeze_loaded_application

    supervisor, _ = User.objects.get_or_create(username="bench-supervisor")
    Membership.objects.get_or_create(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    clinician = signed_in_client(user)
    page_40 = page_patient_id(clinic, "PAGE-40")
    urls = {
        "patient page, 5 trials": (
            clinician,
            reverse("records:patient-detail", args=[page_patient_id(clinic, "PAGE-5")]),
        ),
        "patient page, 40 trials": (
            clinician,
            reverse("records:patient-detail", args=[page_40]),
        ),
        "staging page, 40 trials": (
            clinician,
            reverse("records:patient-staging", args=[page_40]),
        ),
        f"impasse queue, {QUEUE_CASES} open cases": (
            signed_in_client(queue[1]),
            reverse("pseudoresistance:queue"),
        ),
        "cohort page": (signed_in_client(supervisor), reverse("cohort:cohort")),
    }
    # The clinics were loaded in bulk moments ago; a clinic's database has its planner statistics
    # (autovacuum analyses tables as they grow), so measure with them, not with stale ones: the
    # queue's count of waiting cases took 26 ms on a stale plan and 0.4 ms once analysed.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # As each gunicorn worker does once loaded (trdclinic/wsgi.py): what is alive now is frozen
    # out of the cyclic collector's walks while the pages are measured, and thawed after.
    freeze_loaded_application()
    try:
        return {name: measure_page(client, url, runs) for name, (client, url) in urls.items()}
    finally:
        gc.unfreeze()


def page_rows(figures: dict[str, PageFigure]) -> list[Row]:
    """Return a median and a p95 row for each page, beside its target and floor."""
    rows = []
    for name, figure in figures.items():
        ratio = figure.median_ms / figure.floor_ms if figure.floor_ms else 0
        rows.append(
            Row(
                f"{name}: median",
                figure.median_ms,
                "ms",
                floor=figure.floor_ms,
                target=TARGETS.get(name, ""),
                note=f"{ratio:.1f}× floor; CPU {figure.cpu_ms:.1f} ms; {figure.queries} SQL "
                f"queries; medians of {RUNS} runs of {REQUESTS}",
                extra={"cpu_ms": figure.cpu_ms, "queries": figure.queries, "ratio": ratio},
            )
        )
        rows.append(Row(f"{name}: p95", figure.p95_ms, "ms", target=TARGETS.get(name, ""), note=""))
    return rows


def group_rows(
    one: dict[str, PageFigure], group: dict[str, PageFigure], clinics: int, patients: int
) -> list[Row]:
    """Return each page's median in one clinic beside the same page once the group is loaded."""
    rows = []
    for name, small in one.items():
        big = group[name]
        ratio = big.median_ms / small.median_ms if small.median_ms else 0
        # CPU moves less than wall time with the shared machine's load: the ratio to trust there.
        cpu_ratio = big.cpu_ms / small.cpu_ms if small.cpu_ms else 0
        rows.append(
            Row(
                f"{name}: {clinics} × {patients:,} patients",
                big.median_ms,
                "ms",
                target=GROUP_TARGET,
                note=f"{ratio:.2f}× the one-clinic {small.median_ms:.1f} ms; CPU "
                f"{big.cpu_ms:.1f} ms, {cpu_ratio:.2f}× (was {small.cpu_ms:.1f}); "
                f"{big.queries} SQL queries",
                extra={"one_clinic_ms": small.median_ms, "ratio": ratio, "cpu_ratio": cpu_ratio},
            )
        )
    return rows


def load_group(clinics: int, patients: int, seed: int) -> Row:
    """COPY `clinics - 1` more clinics of `patients` patients beside the bench clinic; time it.

    The clock runs from the first COPY to the rows being queryable with planner statistics:
    the COPY of every table, the rebuilt indexes and re-added unique constraints, the foreign
    keys checked, the commit and ANALYZE of the loaded tables. The clinics, their users and the
    synthetic plans are made before it starts.
    """
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from bench.clinic import plan_clinic
    from bench.copyload import Member, copy_group, loaded_tables, server_cpu_seconds
    from records.models import Clinic, Membership, Role

    members = []
    for number in range(1, clinics):
        clinic = Clinic.objects.create(name=f"Benchmark Group Clinic {number}")
        user = User.objects.create_user(f"bench-group-{number}", password=None)
        Membership.objects.create(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
        members.append(Member(clinic, user, plan_clinic(patients, seed + number)))
    loaded = sum(len(member.plans) for member in members)
    server_started = server_cpu_seconds()
    started, started_cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        report = copy_group(members, bulk=True)

    def analyse() -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(f'"{t}"' for t in loaded_tables()))

    report.timed("ANALYZE", analyse)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    server_ended = server_cpu_seconds()
    server = (
        None if server_started is None or server_ended is None else server_ended - server_started
    )
    print(f"clinic group load: {report.summary()}", file=sys.stderr, flush=True)
    rate = loaded / seconds if seconds else 0
    cpu_note = f"CPU {cpu:.1f} s in this process (the rows written)"
    if server is not None:
        cpu_note += (
            f" and {server:.1f} s in PostgreSQL: {loaded / (cpu + server):,.0f} patients per CPU "
            "second"
        )
    return Row(
        f"clinic group: COPY of {clinics - 1} more clinics, {loaded:,} patients",
        seconds,
        "s",
        target="≥ 2,000 patients/s",
        note=f"{rate:,.0f} patients/s from the first COPY to the data queryable with statistics: "
        "COPY of patients, episodes, trials, scores, open cases (one per table), indexes rebuilt, "
        f"unique and foreign keys checked, commit, ANALYZE; {cpu_note}; the synthetic plans "
        "made before",
        extra={
            "patients_per_s": rate,
            "cpu_s": cpu,
            "server_cpu_s": server,
            "steps": report.summary(),
        },
    )
