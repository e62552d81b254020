"""The compiled engines are used only when built from the current sources, and agree with them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pseudoresistance.derived
import pseudoresistance.models
import pseudoresistance.status
import staging.registry
from trdclinic import compiled_engines
from trdclinic.compiled_engines import PURE_VARIABLE, STAMP_NAME, compiled_build, source_hash

ROOT = Path(__file__).resolve().parents[3]
# Every result field, explanations and warnings as text, for generated histories and vignettes.
RESULTS_SCRIPT = """
import json, sys
import trdclinic
from staging.bench import generate_histories
from staging.history import Params
from staging.registry import stage_all
histories = generate_histories(400, 7)
print(json.dumps([
    {key: {**result._asdict(), "explanation": list(result.explanation)}
     for key, result in stage_all(history, Params()).items()}
    for history in histories
], default=str))
"""
# The checklist's compiled modules (issue 18): every trial rule's decision, the pre-answers and
# the case status they make, for generated histories, some trials stopped for adverse effects.
CHECKLIST_SCRIPT = """
import json
import trdclinic
from pseudoresistance import derived, status
from pseudoresistance.checklist_data import ITEMS
from staging.adequacy import assess_trial, index_history
from staging.bench import generate_histories
from staging.history import DRUG_KINDS, Params, is_current
print(json.dumps([derived.__file__, status.__file__]))
for history in generate_histories(300, 11):
    index = index_history(history)
    onset = history.episode_onset_date
    by_trial, facts, fired_all = {}, [], []
    for n, trial in enumerate(history.trials):
        verdict = assess_trial(trial, index, Params(), explain=False)
        stopped = derived.STOPPED_FOR_ADVERSE_EFFECTS if n % 3 == 0 else ""
        fired = derived.trial_rules_fired(trial, verdict, onset=onset, reason_stopped=stopped)
        fired_all.append(fired)
        by_trial[trial.id] = {
            code: status.Effective(answer, red, True)
            for code, (answer, red) in derived.answers_of(fired).items()
        }
        claimed = is_current(trial, onset) and trial.kind in DRUG_KINDS and verdict.failed
        facts.append(status.TrialFacts(trial.id, claimed, trial.kind))
    episode = derived.episode_pre_answers(history)
    by_trial[None] = {
        code: status.Effective(answer.answer, answer.escalate, True)
        for code, answer in episode.items()
    }
    report = status.grouped_status_report(items=ITEMS, trials=facts, by_trial=by_trial)
    print(json.dumps([
        fired_all,
        {code: [answer.answer, answer.reason, answer.escalation_reason]
         for code, answer in episode.items()},
        report.status, report.text, report.n_claimed, report.n_valid, report.n_unverified,
        [[finding.where, finding.gap_text] for finding in report.data_gaps],
        [finding.where for finding in report.red_concerns],
        [finding.where for finding in report.contributors],
        [finding.where for finding in report.process_concerns],
        sorted(report.excluded), report.valid, report.unverified,
    ], default=str))
"""


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    copy = tmp_path / "staging"
    shutil.copytree(compiled_engines.SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_hash_changes_with_any_engine_source(sources: Path) -> None:
    before = source_hash(sources)
    engine = sources / "msm.py"
    engine.write_text(engine.read_text() + "\n# changed\n")
    assert source_hash(sources) != before


def test_a_build_counts_only_when_stamped_with_the_current_sources(
    sources: Path, tmp_path: Path
) -> None:
    build = tmp_path / "build"
    build.mkdir()
    assert compiled_build(build, sources) is None
    (build / STAMP_NAME).write_text(source_hash(sources) + "\n")
    assert compiled_build(build, sources) == build
    (sources / "fda.py").write_text("# edited after the build\n")
    assert compiled_build(build, sources) is None


def test_the_hash_changes_with_a_compiled_checklist_module(sources: Path, tmp_path: Path) -> None:
    checklist = tmp_path / "pseudoresistance"
    checklist.mkdir()
    for name in (*compiled_engines.CHECKLIST_COMPILED, *compiled_engines.CHECKLIST_READ):
        shutil.copy2(compiled_engines.CHECKLIST / name, checklist / name)
    before = source_hash(sources, checklist)
    status = checklist / "status.py"
    status.write_text(status.read_text() + "\n# changed\n")
    assert source_hash(sources, checklist) != before


def test_the_engines_in_use_are_the_compiled_ones_exactly_when_a_current_build_exists() -> None:
    current = compiled_build() is not None and os.environ.get(PURE_VARIABLE) != "1"
    assert staging.registry.__file__.endswith(".so") is current
    # The checklist modules restage runs per trial come with them; the app's others never do.
    assert pseudoresistance.status.__file__.endswith(".so") is current
    assert pseudoresistance.derived.__file__.endswith(".so") is current
    assert Path(str(pseudoresistance.models.__file__)).is_relative_to(compiled_engines.CHECKLIST)
    if os.environ.get("CI") == "true":
        # make test builds them; CI must exercise what production runs.
        assert current, "CI runs without the compiled engines"


def _output(script: str, *, pure: bool) -> str:
    environment = {**os.environ, PURE_VARIABLE: "1" if pure else "0"}
    return subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _results(pure: bool) -> object:
    return json.loads(_output(RESULTS_SCRIPT, pure=pure))


def test_compiled_and_interpreted_engines_give_identical_results_and_explanations() -> None:
    compiled = _results(pure=False)
    interpreted = _results(pure=True)
    assert len(interpreted) == 400
    assert compiled == interpreted


def test_compiled_and_interpreted_checklist_modules_decide_alike() -> None:
    compiled = _output(CHECKLIST_SCRIPT, pure=False).splitlines()
    interpreted = _output(CHECKLIST_SCRIPT, pure=True).splitlines()
    assert not any(path.endswith(".so") for path in json.loads(interpreted[0]))
    if compiled_build() is not None:
        assert all(path.endswith(".so") for path in json.loads(compiled[0]))
    assert len(interpreted) == 301
    assert compiled[1:] == interpreted[1:]
