"""Engine throughput (pure Python, one core) and `manage.py stage` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import Row, children_max_rss_mib, median_time, peak_python_mib
from staging.bench import generate_histories
from staging.history import Params
from staging.jsonio import history_to_json, loads
from staging.registry import stage_all

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
    return [
        Row(
            "engines: histories staged/s (all models, 1 core)",
            count / stage_seconds,
            "hist/s",
            floor=count / parse_seconds,
            peak_mib=peak_python_mib(stage),
            note=f"{count:,} histories; floor = histories parsed/s (staging.jsonio)",
        )
    ]


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
