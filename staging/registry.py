"""The one list of staging engines in display order, for views, reports, the CLI and cohorts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from staging import (
    canadian,
    conway,
    dm_trd,
    ema,
    fda,
    markowitz,
    mgh_s,
    msm,
    response_profile,
    souery,
    thase_rush,
)
from staging.adequacy import Assessed
from staging.context import Context, build_context
from staging.history import History, Params
from staging.result import ModelInfo, ModelResult


@dataclass(frozen=True, slots=True)
class Engine:
    info: ModelInfo
    stage: Callable[[History, Params], ModelResult]
    evaluate: Callable[[Context], ModelResult]
    # The model's stages, lowest first, as `str(result.stage)` gives them; () without stages.
    stages: tuple[str, ...] = ()
    # Whether a result reaches the model's definition of treatment resistance; None for the
    # models without one (MGH-s, MSM and DM-TRD are scores, the response profile gives labels).
    reaches_trd: Callable[[ModelResult], bool] | None = None

    @property
    def key(self) -> str:
        """Return the model's key, as in the JSON output."""
        return self.info.key


def _met(result: ModelResult) -> bool:
    return bool(result.met)


def _engine(module: ModuleType, **ranking: Any) -> Engine:
    return Engine(module.INFO, module.stage, module.evaluate, **ranking)


ENGINES: tuple[Engine, ...] = (
    # Stage II and above: at least two adequate failures (staging-models.md 2).
    _engine(
        thase_rush,
        stages=thase_rush.STAGES,
        reaches_trd=lambda result: result.stage not in thase_rush.STAGES[:2],
    ),
    _engine(mgh_s),
    _engine(msm),
    _engine(dm_trd),
    # Conway's stage is the count of failed strategies beyond the first, 0-2 (section 6).
    _engine(conway, stages=("0", "1", "2"), reaches_trd=lambda result: result.stage != 0),
    _engine(fda, reaches_trd=_met),
    _engine(ema, reaches_trd=_met),
    _engine(markowitz, reaches_trd=_met),
    _engine(
        souery,
        stages=("none", "nonresponder", *(f"TRD{n}" for n in range(1, souery.MAX_TRD + 1))),
        reaches_trd=lambda result: str(result.stage).startswith("TRD"),
    ),
    _engine(canadian, reaches_trd=_met),
    _engine(response_profile),
)
BY_KEY: dict[str, Engine] = {engine.key: engine for engine in ENGINES}


_EVALUATORS = tuple((engine.info.key, engine.evaluate) for engine in ENGINES)


def stage_all(
    history: History, params: Params, assessed: Assessed | None = None
) -> dict[str, ModelResult]:
    """Stage one history with every engine, preparing its trials once.

    `assessed`: trial verdicts made before, reused where they hold (staging.adequacy.Assessed).
    """
    context = build_context(history, params, assessed)
    return {key: evaluate(context) for key, evaluate in _EVALUATORS}
