"""Measure the demo clinic's build: CPU seconds and queries, medians of 3 (not a test by default).

Run: TRDCLINIC_PURE_ENGINES=1 .venv/bin/pytest -q -s -p no:cacheprovider -n 0 \
    tests/measure_demo_build.py
Each run builds the demo in a transaction rolled back after it. CPU, not wall time: the machine's
cores are shared: "python" is this process, "backend" its PostgreSQL backend. The functions'
figures are their cumulative CPU seconds (cProfile timed by `time.process_time`, so waiting for
PostgreSQL is not counted) in a separate, fourth run.
"""

import cProfile
import pstats
import statistics
import time
from collections import Counter

import psutil
from django.db import connection, transaction

from records.demo import demo_clinic_create

RUNS = 3
# The functions whose cumulative CPU the report names: the build and where it goes.
PROFILED = (
    ("records/demo.py", "demo_clinic_create"),
    ("records/demo.py", "_vignette_patients_create"),
    ("records/demo.py", "_scores_create"),
    ("records/services/exchange.py", "patient_history_import"),
    ("records/services/scale_administrations.py", "scale_record"),
    ("records/services/scale_administrations.py", "scales_record"),
    ("records/services/changes.py", "episode_changed"),
    ("records/models/constraints.py", "constraints_validate"),
    ("django/db/models/base.py", "full_clean"),
    ("django/db/models/base.py", "validate_constraints"),
)


def _backend_cpu() -> float:
    connection.ensure_connection()
    times = psutil.Process(connection.connection.info.backend_pid).cpu_times()
    return float(times.user + times.system)


def _kind(sql: str) -> str:
    text = sql.lstrip().upper()
    if text.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
        return "savepoint"
    if text.startswith("SELECT") and 'AS "_CHECK"' in text:
        return "check-constraint"
    return text.split(" ", 1)[0].lower()


def _build(profile: cProfile.Profile | None = None) -> tuple[float, float, Counter[str]]:
    with transaction.atomic():
        before_own, before_backend = time.process_time(), _backend_cpu()
        kinds: Counter[str] = Counter()

        def counted(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            kinds[_kind(sql)] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            if profile is not None:
                profile.enable()
            demo_clinic_create()
            if profile is not None:
                profile.disable()
        own, backend = time.process_time() - before_own, _backend_cpu() - before_backend
        transaction.set_rollback(True)
    return own, backend, kinds


def test_measure_demo_build(db: None) -> None:
    runs = [_build() for _ in range(RUNS)]
    own = statistics.median(run[0] for run in runs)
    backend = statistics.median(run[1] for run in runs)
    kinds = runs[-1][2]
    print(
        f"\ndemo build, median of {RUNS}: {own:.2f} CPU s (python), {backend:.2f} CPU s (backend)"
    )
    print(f"  per run: {[f'{run[0]:.2f}+{run[1]:.2f}' for run in runs]}")
    print(f"  queries: {sum(kinds.values())} {dict(kinds.most_common())}")
    profile = cProfile.Profile(time.process_time)
    _build(profile)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for path, name in PROFILED:
        cumulative = sum(
            row[3]
            for (file, _, function), row in stats.items()
            if file.endswith(path) and function == name
        )
        calls = sum(
            row[1]
            for (file, _, function), row in stats.items()
            if file.endswith(path) and function == name
        )
        print(
            f"  {path}:{name}: {calls} calls, {cumulative:.2f} s cumulative (CPU, under cProfile)"
        )
