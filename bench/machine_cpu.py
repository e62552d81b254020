"""Run a command and print the whole machine's busy and stolen CPU seconds over it, and its wall.

Usage: python -m bench.machine_cpu -- make test

Per-process accounting misses the processes that exit during a run (browsers, PostgreSQL
backends, subprocesses); the kernel's counters in /proc/stat do not. On this shared machine the
same work takes noticeably different time from one run to the next, so compare changes by
alternating runs back to back (bench/README.md, session 9).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuTicks:
    """The machine's CPU time so far, in clock ticks: busy (not idle or waiting) and stolen."""

    busy: int
    stolen: int


def machine_ticks(stat: str) -> CpuTicks:
    """Read the all-CPU line of /proc/stat: user nice system idle iowait irq softirq steal."""
    fields = [int(value) for value in stat.splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return CpuTicks(user + nice + system + irq + softirq, steal)


def measured(command: list[str]) -> tuple[int, str]:
    """Run the command; return its exit status and a line of busy, stolen and wall seconds."""
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    before, started = machine_ticks(PROC_STAT.read_text()), time.monotonic()
    # The command is the caller's own, as a shell would run it.
    status = subprocess.call(command)  # noqa: S603
    after, wall = machine_ticks(PROC_STAT.read_text()), time.monotonic() - started
    busy = (after.busy - before.busy) / ticks_per_second
    stolen = (after.stolen - before.stolen) / ticks_per_second
    return status, f"machine: busy {busy:.1f} CPU s, stolen {stolen:.1f} s, wall {wall:.1f} s"


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    status, line = measured(command)
    print(line, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
