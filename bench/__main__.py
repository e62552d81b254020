"""python -m bench: print the figures of issue 9 and write bench/results.json.

Runs in its own throw-away database (TRDCLINIC_TEST_DB, default trdclinic_bench) on the
configured server (DATABASE_URL, else the embedded PostgreSQL); the real data is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from bench.measure import Row, django_started, with_peak

RESULTS = Path(__file__).resolve().parent / "results.json"
# The patient page measured under load: the 5-trial patient, a typical record.
LOADED_PAGE = "PAGE-5"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--patients", type=int, default=1_000, help="synthetic clinic size")
    parser.add_argument(
        "--clinics",
        type=int,
        default=1,
        help="above 1: load that many clinics of --patients in all (COPY) and measure the pages "
        "again beside the one-clinic figures",
    )
    parser.add_argument("--histories", type=int, default=10_000, help="engine and CLI input")
    parser.add_argument("--csv-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per median, where cheap")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="measure only the hot pages (patient, staging, queue, cohort) of the synthetic clinic",
    )
    parser.add_argument(
        "--group-only",
        action="store_true",
        help="with --clinics: only the hot pages of the synthetic clinic, the clinic group's load "
        "and the same pages again (the rows of the 100,000-patient run, without the hour)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def print_table(rows: Sequence[Row]) -> None:
    """Print the rows as a fixed-width table."""
    width = max(len(row.name) for row in rows)
    print(
        f"{'measure':<{width}}  {'value':>10} {'unit':<6} {'target':<12} {'floor':>10}  "
        f"{'peak MiB':>8}  note"
    )
    for row in rows:
        peak = "—" if row.peak_mib is None else f"{row.peak_mib:.1f}"
        print(
            f"{row.name:<{width}}  {_figure(row.value):>10} {row.unit:<6} {row.target or '—':<12} "
            f"{_figure(row.floor):>10}  {peak:>8}  {row.note}"
        )


def _step(rows: list[Row], label: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {label}", file=sys.stderr, flush=True)
    del rows


def main(argv: Sequence[str]) -> int:
    """Measure every figure and print the table."""
    args = _parser().parse_args(argv)
    django_started("trdclinic_bench")

    from bench import checklist, cohort, engine, load, pages, web

    if args.pages_only:
        return pages_only(args)
    if args.group_only:
        return group_only(args)
    began = time.perf_counter()
    rows: list[Row] = []
    rows += engine.engine_rows(args.histories, args.seed, args.repeat)
    _step(rows, "engines", began)
    rows.append(engine.stage_command_row(args.histories, args.seed, args.repeat))
    _step(rows, "manage.py stage", began)
    with web.bench_database():
        (clinic, user, load_seconds), peak = with_peak(
            lambda: web.build_clinic(args.patients, args.seed)
        )
        rows.append(
            Row(
                f"synthetic clinic, {args.patients:,} patients: bulk load",
                load_seconds,
                "s",
                peak_mib=peak,
                note="bulk_create; time measured under tracemalloc (set-up, not a target)",
            )
        )
        _step(rows, "synthetic clinic", began)
        rows += checklist.checklist_page_rows(clinic, user)
        _step(rows, "checklist page", began)
        rows.append(cohort.restage_row(clinic))
        _step(rows, "restage", began)
        rows.append(cohort.restage_row(clinic, jobs=2))
        _step(rows, "restage, 2 jobs", began)
        queue = pages.queue_clinic(args.seed)
        one_clinic = pages.hot_pages(clinic, user, queue, args.repeat)
        rows += pages.page_rows(one_clinic)
        _step(rows, "hot pages", began)
        rows += load.load_rows(clinic, user, web.page_patient_id(clinic, LOADED_PAGE))
        _step(rows, "patient page under load", began)
        if args.clinics > 1:
            rows.append(pages.load_group(args.clinics, args.patients, args.seed))
            _step(rows, "clinic group load", began)
            group = pages.hot_pages(clinic, user, queue, args.repeat)
            rows += pages.group_rows(one_clinic, group, args.clinics, args.patients)
            _step(rows, "hot pages in the clinic group", began)
        rows += web.pdf_rows(clinic, user, args.repeat)
        _step(rows, "report PDF", began)
        rows.append(web.csv_row(clinic, user, args.csv_rows, args.seed, args.repeat))
        _step(rows, "CSV import", began)
    print_table(rows)
    args.output.write_text(
        json.dumps(
            {
                "arguments": {k: str(v) for k, v in vars(args).items()},
                "python": platform.python_version(),
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "rows": [asdict(row) for row in rows],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {args.output}")
    return 0


def pages_only(args: argparse.Namespace) -> int:
    """Measure the hot pages alone: minutes instead of the whole bench's hour at 10,000."""
    from bench import pages, web
    from cohort.services import snapshots_restage

    with web.bench_database():
        clinic, user, _ = web.build_clinic(args.patients, args.seed)
        # The cohort page reads the snapshots: restaged first, as in the whole bench.
        snapshots_restage(clinic=clinic)
        queue = pages.queue_clinic(args.seed)
        rows = pages.page_rows(pages.hot_pages(clinic, user, queue, args.repeat))
    print_table(rows)
    return 0


def group_only(args: argparse.Namespace) -> int:
    """Measure the hot pages, load the clinic group around their clinic, measure them again."""
    from bench import pages, web
    from cohort.services import snapshots_restage

    if args.clinics < 2:
        print("--group-only needs --clinics 2 or more", file=sys.stderr)
        return 2
    began = time.perf_counter()
    rows: list[Row] = []
    with web.bench_database():
        clinic, user, _ = web.build_clinic(args.patients, args.seed)
        # The cohort page reads the snapshots: without them it would measure an empty cohort.
        snapshots_restage(clinic=clinic)
        _step(rows, "synthetic clinic", began)
        queue = pages.queue_clinic(args.seed)
        one_clinic = pages.hot_pages(clinic, user, queue, args.repeat)
        rows += pages.page_rows(one_clinic)
        _step(rows, "hot pages", began)
        rows.append(pages.load_group(args.clinics, args.patients, args.seed))
        _step(rows, "clinic group load", began)
        group = pages.hot_pages(clinic, user, queue, args.repeat)
        rows += pages.group_rows(one_clinic, group, args.clinics, args.patients)
        _step(rows, "hot pages in the clinic group", began)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
