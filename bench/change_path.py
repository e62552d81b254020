"""The one change path's CPU and queries per change: trials by hand, JSON and CSV imports.

    python -m bench.change_path --histories 20 --runs 3 [--profile]

Each run enters seeded generated histories (staging.bench, as tests/integration/
test_one_change_path.py does) into new patients of the bench clinic three ways: each as a JSON
history import (one change each), then each again by hand, trial after trial through
`trial_record` (one change each), and seeded CSV files of as many new patients, each one import
(one change). Every change is a service call as a form or an upload makes it, ending in
`records.services.episode_changed` (restage, snapshot, impasse flags).

CPU per change is this process's (`time.process_time`) plus its database connection's
PostgreSQL backend (psutil), so the figure holds on a busy machine where wall time does not;
queries are counted by Django. The medians of the runs' means are printed. `--profile` prints
where one more run's trials by hand spend their CPU. Runs in its own throw-away database, like
`python -m bench`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.measure import django_started

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.access import ClinicAccess
    from records.models import Clinic, Patient

PROFILE_LINES = 40
CSV_ROWS_PER_PATIENT = 4
# CSV files per run, each of as many new patients as histories (the backend's CPU is counted in
# ticks of 10 ms: several files make its mean meaningful).
CSV_IMPORTS = 3


@dataclass
class Measured:
    """The changes of one kind in one run: CPU milliseconds and queries of each."""

    own_ms: list[float] = field(default_factory=list)
    backend_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def mean(self) -> tuple[float, float, float]:
        return (
            statistics.fmean(self.own_ms),
            statistics.fmean(self.backend_ms),
            statistics.fmean(self.queries),
        )


def _backend_seconds() -> float:
    import psutil
    from django.db import connection

    connection.ensure_connection()
    times = psutil.Process(connection.connection.info.backend_pid).cpu_times()
    return float(times.user + times.system)


def _measured(into: Measured, action: Callable[[], Any]) -> Any:
    """Run one change, adding its CPU (own, backend) and query count to `into`."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    backend = _backend_seconds()
    with CaptureQueriesContext(connection) as queries:
        started = time.process_time()
        result = action()
        own = time.process_time() - started
    into.own_ms.append(own * 1000)
    into.backend_ms.append((_backend_seconds() - backend) * 1000)
    into.queries.append(len(queries))
    return result


def _documents(count: int, seed: int) -> list[dict[str, Any]]:
    """Return seeded generated histories of at least one trial, none dated after today."""
    import datetime

    from staging.bench import generate_history
    from staging.jsonio import history_to_json

    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not security
    today = datetime.date.today()
    documents: list[dict[str, Any]] = []
    while len(documents) < count:
        history = generate_history(rng)
        dates = [history.assessment_date, *(trial.start_date for trial in history.trials)]
        if history.trials and max(dates) <= today:
            documents.append(history_to_json(history))
    return documents


def _patient(clinic: Clinic, user: User, record_number: str, diagnosis: str) -> Patient:
    import datetime

    from records.services import PatientInput, patient_create

    return patient_create(
        acting_user=user,
        clinic=clinic,
        data=PatientInput(
            record_number=record_number,
            family_name="Bench",
            given_name="Change",
            date_of_birth=datetime.date(1970, 1, 1),
            diagnosis=diagnosis,
        ),
    )


def _by_hand(user: User, source: Patient, target: Patient, trials: Measured) -> None:
    """Enter the source's episode into the target: the episode, then each trial, measured."""
    from records.models import TreatmentTrial
    from records.services import EpisodeInput, TrialInput, episode_create, trial_record
    from records.services.episodes import EPISODE_FIELDS
    from records.services.trials import TRIAL_FIELDS

    episode = source.episodes.get()
    entered = episode_create(
        acting_user=user,
        patient_id=target.pk,
        data=EpisodeInput(**{name: getattr(episode, name) for name in EPISODE_FIELDS}),
    )
    by_code: dict[str, TreatmentTrial] = {}
    for trial in TreatmentTrial.objects.filter(episode=episode).order_by("seq"):
        values = {name: getattr(trial, name) for name in TRIAL_FIELDS}
        if trial.augments is not None:
            values["augments"] = by_code[trial.augments.code]
        by_code[trial.code] = _measured(
            trials,
            partial(
                trial_record, acting_user=user, episode_id=entered.pk, data=TrialInput(**values)
            ),
        )


def run(
    clinic: Clinic,
    user: User,
    access: ClinicAccess,
    documents: Sequence[dict[str, Any]],
    tag: str,
    seed: int,
) -> dict[str, Measured]:
    """Enter the documents three ways under new record numbers tagged `tag`; return the figures."""
    from django.core.exceptions import ValidationError

    from records.csv_sample import sample_csv
    from records.services.csv_import import csv_import
    from records.services.exchange import patient_history_import

    measured = {"trial by hand": Measured(), "JSON import": Measured(), "CSV import": Measured()}
    sources = []
    for number, document in enumerate(documents):
        source = _patient(clinic, user, f"{tag}J{number}", document["patient"]["diagnosis"])
        try:
            _measured(
                measured["JSON import"],
                partial(
                    patient_history_import,
                    access=access,
                    patient=source,
                    data=document,
                    acting_user=user,
                ),
            )
        except ValidationError:
            continue
        sources.append(source)
    for number, source in enumerate(sources):
        target = _patient(clinic, user, f"{tag}H{number}", source.diagnosis)
        _by_hand(user, source, target, measured["trial by hand"])
    patients = len(documents)
    for number in range(CSV_IMPORTS):
        content = sample_csv(
            rows=patients * CSV_ROWS_PER_PATIENT,
            patients=patients,
            seed=seed * CSV_IMPORTS + number,
            prefix=f"{tag}C{number}-",
        ).encode()
        _measured(
            measured["CSV import"],
            partial(csv_import, acting_user=user, clinic=clinic, data=content),
        )
    return measured


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.change_path", description=__doc__)
    parser.add_argument("--patients", type=int, default=100, help="the bench clinic's size")
    parser.add_argument("--histories", type=int, default=20, help="histories entered per run")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    django_started("trdclinic_bench_change")

    from bench import web
    from records.access import access_for_user

    with web.bench_database():
        clinic, user, _seconds = web.build_clinic(args.patients, args.seed)
        access = access_for_user(user, clinic.pk)
        assert access is not None
        documents = _documents(args.histories, args.seed)
        # A warm-up run: the first change of a process compiles and caches what later ones reuse.
        run(clinic, user, access, documents, "W", args.seed)
        runs = [
            run(clinic, user, access, documents, f"R{number}", args.seed + number)
            for number in range(1, args.runs + 1)
        ]
        print(f"medians of {args.runs} runs' means, CPU ms per change (process + backend)")
        print(
            f"{'change':<14} {'count':>5} {'own ms':>8} {'backend':>8} {'total':>8} {'queries':>8}"
        )
        for kind in runs[0]:
            means = [each[kind].mean() for each in runs]
            own, backend, queries = (
                statistics.median(column) for column in zip(*means, strict=True)
            )
            count = len(runs[0][kind].own_ms)
            print(
                f"{kind:<14} {count:>5} {own:>8.2f} {backend:>8.2f} {own + backend:>8.2f} "
                f"{queries:>8.1f}"
            )
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.runcall(run, clinic, user, access, documents, "P", args.seed)
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
            stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
