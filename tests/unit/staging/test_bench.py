"""The benchmark's generator is deterministic and valid; the script runs end to end."""

import runpy
import sys

import pytest

from staging import bench
from staging.jsonio import history_to_json, parse_history


def test_generator_is_deterministic_per_seed():
    assert bench.generate_histories(20, 7) == bench.generate_histories(20, 7)
    assert bench.generate_histories(20, 7) != bench.generate_histories(20, 8)


def test_generated_histories_are_valid_input():
    for history in bench.generate_histories(200, 3):
        assert parse_history(history_to_json(history))[0] == history


def test_measure_reports_rates():
    per_second, seconds = bench.measure(30)
    assert per_second > 0
    assert seconds > 0


def test_script_prints_both_figures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(sys, "argv", ["bench", "25"])
    # Run the module afresh as a script, as `python -m staging.bench 25` does.
    monkeypatch.delitem(sys.modules, "staging.bench")
    with pytest.raises(SystemExit) as raised:
        runpy.run_module("staging.bench", run_name="__main__")
    assert raised.value.code == 0
    out = capsys.readouterr().out
    assert "histories/s over 25 histories" in out
    assert "s for 25 histories (python -m staging" in out
