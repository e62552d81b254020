"""Every worked patient of staging/vignettes.json, compared as its conventions say."""

from typing import Any

import pytest

from staging.jsonio import parse_history
from staging.registry import stage_all
from tests.unit.staging.builders import vignette_input, vignettes

# vignettes.json conventions: fields compared exactly (score with a 1e-9 tolerance).
COMPARED = (
    "applicable",
    "stage",
    "band",
    "met",
    "items",
    "provisional",
    "chronic_resistant",
    "prd",
    "trd_minimal_improvement",
    "chronic",
)
CASES = [
    pytest.param(vignette, model, expected, id=f"{vignette['id']}-{model}")
    for vignette in vignettes()
    for model, expected in vignette["expected"].items()
]


@pytest.mark.parametrize(("vignette", "model", "expected"), CASES)
def test_vignette_model_result(vignette: dict[str, Any], model: str, expected: dict[str, Any]):
    history, params = parse_history(vignette_input(vignette))
    result = stage_all(history, params)[model]
    for name in COMPARED:
        if name in expected:
            assert getattr(result, name) == expected[name], name
    if expected.get("score") is None:
        assert result.score is None
    else:
        assert result.score == pytest.approx(expected["score"], abs=1e-9)
    if expected.get("warnings"):
        assert result.warnings
    assert result.explanation


def test_every_vignette_is_covered():
    assert len(vignettes()) == 14
    assert {vignette["id"] for vignette in vignettes()} >= {"V03-strict", "V08-rul"}
