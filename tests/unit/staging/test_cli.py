"""The command line: a file or stdin, one history or an array, exit 2 on invalid input."""

import io
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

from staging.cli import main
from staging.jsonio import parse_history, results_to_json
from staging.registry import stage_all
from tests.unit.staging.builders import vignette_input, vignettes


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, io.StringIO(stdin), out, err)
    return code, out.getvalue(), err.getvalue()


def expected(history: dict[str, Any]) -> dict[str, Any]:
    output = results_to_json(stage_all(*parse_history(history)))
    normalised: dict[str, Any] = json.loads(json.dumps(output))
    return normalised


def test_one_history_from_a_file(tmp_path: Path):
    history = vignette_input(vignettes()[0])
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history), encoding="utf-8")
    code, out, err = run([str(path)])
    assert (code, err) == (0, "")
    assert json.loads(out) == expected(history)


def test_an_array_from_stdin_keeps_its_order():
    histories = [vignette_input(vignette) for vignette in reversed(vignettes())]
    code, out, err = run(["-"], json.dumps(histories))
    assert (code, err) == (0, "")
    assert json.loads(out) == [expected(history) for history in histories]


def test_an_empty_array_stages_nothing():
    assert run(["-"], "[]") == (0, "[\n]\n", "")


def test_invalid_input_exits_2_and_writes_nothing_to_stdout():
    history = vignette_input(vignettes()[0])
    broken = json.loads(json.dumps(history))
    broken["trials"][1]["augments_trial"] = "T9"
    code, out, err = run(["-"], json.dumps([history, broken]))
    assert (code, out) == (2, "")
    assert err == (
        "history 1, trial T2, field augments_trial: names no trial of this history ('T9')\n"
    )


def test_missing_file_exits_2(tmp_path: Path):
    code, out, err = run([str(tmp_path / "missing.json")])
    assert (code, out) == (2, "")
    assert err.startswith("cannot read ")


def test_a_file_that_is_not_utf8_exits_2(tmp_path: Path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"patient": "é"}'.encode("latin-1"))
    assert run([str(path)]) == (2, "", f"cannot read {path}: not UTF-8 text\n")


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"]])
def test_usage_errors_exit_2(argv: list[str]):
    code, out, err = run(argv)
    assert (code, out) == (2, "")
    assert err.startswith("usage: stage FILE.json")


def test_help():
    code, out, _ = run(["--help"])
    assert code == 0
    assert out.startswith("usage: stage FILE.json")


def test_python_dash_m_staging(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(sys, "argv", ["staging", "-"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(vignette_input(vignettes()[1]))))
    monkeypatch.delitem(sys.modules, "staging.__main__", raising=False)
    with pytest.raises(SystemExit) as raised:
        runpy.run_module("staging", run_name="__main__")
    assert raised.value.code == 0
    assert json.loads(capsys.readouterr().out)["thase_rush"]["stage"] == "I"
