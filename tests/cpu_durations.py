"""CPU seconds per test phase, for finding where the suite's time goes on a shared machine.

Wall-clock durations (`--durations`) swing with the other users of the cores; CPU time does not.
Opt in by naming a folder in TRDCLINIC_CPU_DURATIONS (tests/conftest.py registers this then); each
process (each xdist worker) writes one JSON line per test phase to `<folder>/<worker>.jsonl`:
the test process's own CPU, its child processes' (Chromium, the PDF charts' browser) and the
CPU of its database connection's PostgreSQL backend. `python -m tests.cpu_durations DIR` prints
the slowest tests and the totals.
"""

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest

TOP = 30


def _children_cpu(process: psutil.Process) -> float:
    total = 0.0
    for child in process.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _backend_cpu() -> float:
    """Return the CPU of this process's open database connection's backend, else 0."""
    from django.db import connection

    if connection.connection is None or connection.connection.closed:
        return 0.0
    try:
        times = psutil.Process(connection.connection.info.backend_pid).cpu_times()
    except (psutil.Error, AttributeError):
        return 0.0
    return float(times.user + times.system)


class CpuDurations:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.process = psutil.Process()

    def _sample(self) -> tuple[float, float, float, float]:
        return (time.process_time(), _children_cpu(self.process), _backend_cpu(), time.time())

    def _measure(self, item: pytest.Item, phase: str) -> Iterator[None]:
        before = self._sample()
        yield
        after = self._sample()
        own, children, backend, wall = (b - a for a, b in zip(before, after, strict=True))
        line = {
            "test": item.nodeid,
            "phase": phase,
            "own": round(own, 4),
            # A child that exited during the phase is not counted; one that started is whole.
            "children": round(max(children, 0.0), 4),
            # A new connection in the phase counts from zero; a closed one is not counted.
            "backend": round(max(backend, 0.0), 4),
            "wall": round(wall, 4),
            # When the phase ended (seconds since the epoch): lines up the workers' timelines.
            "ended": round(after[3], 3),
        }
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._measure(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._measure(item, "call"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._measure(item, "teardown"))


def register(config: pytest.Config, folder: Path) -> None:
    """Record this process's tests into the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    out = (folder / f"{worker}.jsonl").open("a", encoding="utf-8")
    config.pluginmanager.register(CpuDurations(out), "cpu-durations-recorder")
    config.add_cleanup(out.close)


def summary(folder: Path, top: int = TOP) -> str:
    """Return the slowest tests by CPU (all phases summed) and the totals per phase."""
    per_test: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, float] = defaultdict(float)
    spans: dict[str, tuple[float, float]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            first, _last = spans.get(path.stem, (line["ended"] - line["wall"], 0.0))
            spans[path.stem] = (first, line["ended"])
            cpu = line["own"] + line["children"] + line["backend"]
            per_test[line["test"]][line["phase"]] += cpu
            per_test[line["test"]]["wall"] += line["wall"]
            totals[line["phase"]] += cpu
            totals["wall"] += line["wall"]
    ranked = sorted(
        per_test.items(),
        key=lambda pair: -(pair[1]["setup"] + pair[1]["call"] + pair[1]["teardown"]),
    )
    rows = [f"{'cpu s':>7} {'setup':>7} {'call':>7} {'teardown':>8} {'wall s':>7}  test"]
    for test, phases in ranked[:top]:
        cpu = phases["setup"] + phases["call"] + phases["teardown"]
        rows.append(
            f"{cpu:7.2f} {phases['setup']:7.2f} {phases['call']:7.2f} "
            f"{phases['teardown']:8.2f} {phases['wall']:7.2f}  {test}"
        )
    cpu = totals["setup"] + totals["call"] + totals["teardown"]
    rows.append(
        f"{len(per_test)} tests: {cpu:.0f} CPU s (setup {totals['setup']:.0f}, call "
        f"{totals['call']:.0f}, teardown {totals['teardown']:.0f}); {totals['wall']:.0f} wall s"
    )
    # Each process's first test to its last, from the earliest start: an idle worker at the end
    # shows as an early finish.
    start = min((first for first, _ in spans.values()), default=0.0)
    for worker, (first, last) in sorted(spans.items()):
        rows.append(f"{worker}: tests from {first - start:.1f} s to {last - start:.1f} s")
    return "\n".join(rows)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
