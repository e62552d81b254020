"""Engine throughput, compiled and interpreted, and `manage.py stage` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import staging.registry
from bench.measure import Row, children_max_rss_mib, median_time, peak_python_mib
from staging.bench import generate_histories
from staging.history import Params
from staging.jsonio import history_to_json, loads
from staging.registry import stage_all
from trdclinic.compiled_engines import PURE_VARIABLE

ROOT = Path(__file__).resolve().parent.parent


def engine_rows(count: int, seed: int, repeat: int) -> list[Row]:
    """Histories staged per second by every model, with parsing the same histories as floor."""
    histories = generate_histories(count, seed)
    params = Params()
    text = json.dumps([history_to_json(history) for history in histories])

    def stage() -> None:
        for history in histories:
            stage_all(history, params)

    def parse() -> None:
        loads(text)

    stage_seconds = median_time(stage, repeat)
    parse_seconds = median_time(parse, repeat)
    compiled = staging.registry.__file__.endswith(".so")
    return [
        Row(
            "engines: histories staged/s (all models, 1 core)",
            count / stage_seconds,
            "hist/s",
            floor=count / parse_seconds,
            peak_mib=peak_python_mib(stage),
            note=(
                f"{count:,} histories, {'compiled with mypyc' if compiled else 'interpreted'}; "
                "floor = histories parsed/s (staging.jsonio)"
            ),
        ),
        Row(
            "engines, interpreted: histories staged/s",
            _interpreted_rate(count, seed, repeat),
            "hist/s",
            note="the same loop in a fresh interpreter with TRDCLINIC_PURE_ENGINES=1",
        ),
    ]


INTERPRETED_SCRIPT = """
import statistics, sys, time
import trdclinic
from staging.bench import generate_histories
from staging.history import Params
import staging.registry
from staging.registry import stage_all
from trdclinic.compiled_engines import PURE_VARIABLE
count, seed, repeat = map(int, sys.argv[1:])
histories = generate_histories(count, seed)
params = Params()
seconds = []
for _ in range(max(1, repeat)):
    started = time.perf_counter()
    for history in histories:
        stage_all(history, params)
    seconds.append(time.perf_counter() - started)
print(count / statistics.median(seconds))
"""


def _interpreted_rate(count: int, seed: int, repeat: int) -> float:
    """Return histories/s of the interpreted engines, measured in a child interpreter."""
    output = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", INTERPRETED_SCRIPT, str(count), str(seed), str(repeat)],
        env={**os.environ, PURE_VARIABLE: "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output)


def stage_command_row(count: int, seed: int, repeat: int) -> Row:
    """Wall time of `manage.py stage` on a file of `count` histories, start-up included."""
    histories = generate_histories(count, seed)
    env = {**os.environ, "TRDCLINIC_MODE": os.environ.get("TRDCLINIC_MODE", "local")}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "histories.json"
        path.write_text(json.dumps([history_to_json(history) for history in histories]))

        def run() -> None:
            subprocess.run(  # noqa: S603 - this interpreter on a file it has just written
                [sys.executable, str(ROOT / "manage.py"), "stage", str(path)],
                stdout=subprocess.DEVNULL,
                check=True,
                env=env,
                cwd=ROOT,
            )

        seconds = median_time(run, repeat)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import django"], check=True, cwd=ROOT)
        floor = time.perf_counter() - started
    return Row(
        f"manage.py stage, {count:,} histories",
        seconds,
        "s",
        floor=floor,
        peak_mib=children_max_rss_mib(),
        note="subprocess wall time; floor = python -c 'import django'; memory = child max RSS",
    )
