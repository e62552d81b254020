"""Measurements that need Django and a database: the patient page, the PDF and the CSV import.

Everything runs in a throw-away test database (TRDCLINIC_TEST_DB, trdclinic_bench by default)
created with Django's test machinery and destroyed at the end: the real data is never touched.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bench.clinic import load_clinic, plan_clinic
from bench.measure import Row, median_time, peak_python_mib

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client

    from records.models import Clinic

PAGE_REQUESTS = 30
WARM_UP = 3


@contextmanager
def bench_database() -> Iterator[None]:
    """Create the benchmark's own database, migrated, and destroy it afterwards."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


def build_clinic(patients: int, seed: int) -> tuple[Clinic, User, float]:
    """Create the clinic, its psychiatrist and the synthetic patients; return the load seconds."""
    from django.contrib.auth.models import User

    from records.models import Clinic, Membership, Role

    clinic = Clinic.objects.create(name="Benchmark Clinic")
    user = User.objects.create_user("bench-psychiatrist", password=None)
    Membership.objects.create(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    plans = plan_clinic(patients, seed)
    started = time.perf_counter()
    load_clinic(plans, clinic, user)
    return clinic, user, time.perf_counter() - started


def signed_in_client(user: User) -> Client:
    """Return a test client signed in as the user past the second factor, as after a real code.

    The clinic asks everyone for a code (Clinic.two_factor_required): the session is marked
    verified exactly as django-otp marks it, so the page is measured with every middleware on.
    """
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def page_patient_id(clinic: Clinic, record_number: str) -> int:
    from records.models import Patient

    return int(Patient.objects.get(clinic=clinic, record_number=record_number).pk)


def warm_page_times(
    client: Client, url: str, warm_up: int, requests: int
) -> tuple[Callable[[], None], list[float], list[str]]:
    """Time `requests` GETs of a page after `warm_up` ones; return the GET, seconds and its SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    for _ in range(warm_up):
        get()
    seconds = []
    for _ in range(requests):
        started = time.perf_counter()
        get()
        seconds.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        get()
    return get, seconds, [query["sql"] for query in captured.captured_queries]


def _replay(queries: list[str]) -> float:
    """Run the captured SQL through the raw psycopg2 connection in a rolled-back transaction."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    started = time.perf_counter()
    with raw.cursor() as cursor:
        cursor.execute("BEGIN")
        for sql in queries:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
        cursor.execute("ROLLBACK")
    return time.perf_counter() - started


def pdf_rows(clinic: Clinic, user: User, repeat: int) -> list[Row]:
    """The 40-trial patient's report PDFs: summary and full (appendix), first and warm."""
    import weasyprint

    from records.access import access_for_user
    from records.report import patient_report_pdf
    from records.report_charts import CHART_CACHE

    access = access_for_user(user, clinic.pk)
    assert access is not None
    patient_id = page_patient_id(clinic, "PAGE-40")

    def summary() -> None:
        patient_report_pdf(access=access, patient_id=patient_id)

    def full() -> None:
        patient_report_pdf(access=access, patient_id=patient_id, appendix=True)

    def full_redrawn() -> None:
        CHART_CACHE.clear()
        full()

    def one_page() -> None:
        weasyprint.HTML(string="<h1>Report</h1><p>One page.</p>").write_pdf()

    summary_first = median_time(summary, 1)
    full_first = median_time(full, 1)
    summary_warm = median_time(summary, repeat)
    full_warm = median_time(full, repeat)
    redrawn = median_time(full_redrawn, repeat)
    floor = median_time(one_page, repeat)
    return [
        Row(
            "report summary PDF, 40 trials: first",
            summary_first,
            "s",
            floor=floor,
            note="first PDF of the process (fonts, stylesheet); target 4 s; floor = one page",
        ),
        Row(
            "report full PDF, 40 trials: first",
            full_first,
            "s",
            floor=floor,
            note="with the appendix: includes the chart browser's start; target 4 s",
        ),
        Row(
            "report summary PDF, 40 trials: warm",
            summary_warm,
            "s",
            floor=floor,
            peak_mib=peak_python_mib(summary),
            note="two pages, no charts; target 0.8 s",
        ),
        Row(
            "report full PDF, 40 trials: warm",
            full_warm,
            "s",
            floor=floor,
            peak_mib=peak_python_mib(full),
            note="with the appendix, charts reused from the chart cache; target 1.5 s",
        ),
        Row(
            "report full PDF, 40 trials: charts redrawn",
            redrawn,
            "s",
            floor=floor,
            note="the same with the chart cache emptied each run (the warm kaleido browser draws)",
        ),
    ]


def csv_row(clinic: Clinic, user: User, rows: int, seed: int, repeat: int) -> Row:
    """Import a seeded CSV file of `rows` trial rows (new patients each run)."""
    from records.csv_sample import sample_csv
    from records.services.csv_import import csv_import

    patients = max(1, rows // 5)
    runs = iter(range(1, repeat + 2))

    def data() -> bytes:
        run = next(runs)
        return sample_csv(
            rows=rows, patients=patients, seed=seed + run, prefix=f"CSV{run}-"
        ).encode()

    seconds = []
    for _ in range(repeat):
        content = data()
        started = time.perf_counter()
        csv_import(acting_user=user, clinic=clinic, data=content)
        seconds.append(time.perf_counter() - started)
    last = data()
    peak = peak_python_mib(lambda: csv_import(acting_user=user, clinic=clinic, data=last))
    return Row(
        f"CSV import, {rows:,} trial rows",
        statistics.median(seconds),
        "s",
        peak_mib=peak,
        note=f"{patients:,} new patients per run, one transaction",
    )
