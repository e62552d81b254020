"""Restage's CPU time alone: the bench clinic restaged several times, each run and the median.

    python -m bench.restage --patients 300 --runs 3 [--profile]

CPU seconds of this process (`time.process_time`: the database's own time is not in it), so the
figure holds on a busy machine where wall time does not. One warm-up restage first (the first
one creates the snapshots and opens the impasse cases; later ones replace and keep them, as a
nightly run does). `--profile` prints the functions that took the most CPU time in one more run.
Runs in its own throw-away database, like `python -m bench`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Sequence

from bench.measure import django_started

PROFILE_LINES = 35


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.restage", description=__doc__)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    django_started("trdclinic_bench_restage")

    from bench import web
    from cohort.services import snapshots_restage

    with web.bench_database():
        clinic, _user, _seconds = web.build_clinic(args.patients, args.seed)
        snapshots_restage(clinic=clinic)
        seconds = []
        episodes = 0
        for run in range(1, args.runs + 1):
            started = time.process_time()
            episodes = snapshots_restage(clinic=clinic)
            seconds.append(time.process_time() - started)
            print(
                f"run {run}: {episodes:,} episodes in {seconds[-1]:.3f} CPU s "
                f"({episodes / seconds[-1]:,.0f} episodes per CPU second)"
            )
        median = statistics.median(seconds)
        print(
            f"median of {args.runs}: {median:.3f} CPU s, "
            f"{episodes / median:,.0f} episodes per CPU second"
        )
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.runcall(snapshots_restage, clinic=clinic)
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
            stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
