"""The compiled engines are used only when built from the current sources, and agree with them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_engines_in_use_are_the_compiled_ones_exactly_when_a_current_build_exists() -> None:
    current = compiled_build() is not None and os.environ.get(PURE_VARIABLE) != "1"
    assert staging.registry.__file__.endswith(".so") is current
    if os.environ.get("CI") == "true":
        # make test builds them; CI must exercise what production runs.
        assert current, "CI runs without the compiled engines"


def _results(pure: bool) -> object:
    environment = {**os.environ, PURE_VARIABLE: "1" if pure else "0"}
    output = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", RESULTS_SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_compiled_and_interpreted_engines_give_identical_results_and_explanations() -> None:
    compiled = _results(pure=False)
    interpreted = _results(pure=True)
    assert len(interpreted) == 400
    assert compiled == interpreted
