"""bench.machine_cpu: the machine's busy and stolen CPU over a command, from /proc/stat."""

import re
import sys

import pytest

from bench.machine_cpu import CpuTicks, machine_ticks, main, measured

STAT = """cpu  8844423 294318 1037293 2871170 31814 10 15274 6912 0 0
cpu0 4422211 147159 518646 1435585 15907 5 7637 3456 0 0
intr 1 2 3
"""


def test_busy_is_user_nice_system_irq_and_softirq_and_steal_is_apart() -> None:
    assert machine_ticks(STAT) == CpuTicks(8844423 + 294318 + 1037293 + 10 + 15274, 6912)


def test_a_command_that_works_is_measured_and_its_status_returned() -> None:
    burn = "sum(i * i for i in range(3_000_000))"
    status, line = measured([sys.executable, "-c", burn])

    assert status == 0
    found = re.fullmatch(
        r"machine: busy (\d+\.\d) CPU s, stolen (\d+\.\d) s, wall (\d+\.\d) s", line
    )
    assert found, line
    assert float(found.group(1)) > 0


def test_a_failing_commands_status_is_passed_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--", sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert "machine: busy" in capsys.readouterr().err


def test_no_command_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Usage: python -m bench.machine_cpu -- make test" in capsys.readouterr().err
