"""The chart exporter's browser start: a start that fails or hangs is abandoned and tried again.

The browsers here are real processes: a script that exits or never answers, and Chromium.
"""

import os
import stat
from pathlib import Path

import pytest

from records.charts_export import ChartExporter, default_browser_path

FIGURE = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [20, 14, 9]}]}


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    return status != "Z"


def _browser(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "chromium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_failed_start_is_tried_again_and_the_second_start_draws(tmp_path: Path) -> None:
    chromium = default_browser_path()
    if chromium is None:
        pytest.skip("no chromium to draw the charts")
    first = tmp_path / "first-start"
    script = _browser(
        tmp_path,
        f'if [ ! -e "{first}" ]; then touch "{first}"; exit 1; fi\nexec "{chromium}" "$@"',
    )
    exporter = ChartExporter(str(script))
    try:
        drawn = exporter.svg(FIGURE, width=400, height=300)
    finally:
        exporter.close()

    assert first.exists()
    assert drawn is not None
    assert drawn.lstrip().startswith("<svg")


def test_a_browser_that_hangs_is_killed_and_gives_no_chart_after_two_tries(
    tmp_path: Path,
) -> None:
    starts = tmp_path / "starts"
    # exec keeps the process id: the one written is the one that hangs.
    script = _browser(tmp_path, f'echo $$ >> "{starts}"\nexec sleep 600')
    exporter = ChartExporter(str(script), start_timeout=1.0)
    try:
        drawn = exporter.svg(FIGURE, width=400, height=300)
    finally:
        exporter.close()

    assert drawn is None
    pids = [int(line) for line in starts.read_text().split()]
    assert len(pids) == 2
    assert not any(_process_alive(pid) for pid in pids)
