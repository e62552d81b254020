"""Small measuring tools: wall time of repeated runs, medians, percentiles and peak memory."""

from __future__ import annotations

import math
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MIB = 1024 * 1024


@dataclass
class Row:
    """One line of the table: a figure, its unit, the floor beside it and the peak memory."""

    name: str
    value: float | None
    unit: str
    floor: float | None = None
    peak_mib: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The target for this figure, in words ("≤ 35 ms"); blank where there is none.
    target: str = ""


def timed(action: Callable[[], object]) -> float:
    """Return the seconds one call of action takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_time(action: Callable[[], object], repeat: int) -> float:
    """Return the median seconds of `repeat` calls of action."""
    return statistics.median(timed(action) for _ in range(max(1, repeat)))


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (fraction 0.95 = p95) of the values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def with_peak(action: Callable[[], T]) -> tuple[T, float]:
    """Return action's result and its peak Python heap (MiB, tracemalloc) in one call."""
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / MIB


def peak_python_mib(action: Callable[[], object]) -> float:
    """Return the peak Python heap (MiB, tracemalloc) of one un-timed call of action."""
    return with_peak(action)[1]


def children_max_rss_mib() -> float:
    """Return the largest resident set of any finished child process so far (MiB, Linux KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def django_started(database: str) -> None:
    """Start Django for a bench script: local mode, its own test database, quiet logs."""
    os.environ.setdefault("TRDCLINIC_MODE", "local")
    os.environ.setdefault("TRDCLINIC_TEST_DB", database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")
    os.environ.setdefault("TRDCLINIC_LOG_LEVEL", "WARNING")
    import django

    django.setup()
