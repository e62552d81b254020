"""The one list of staging engines in display order, for views, reports, the CLI and cohorts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
from staging.context import Context, build_context
from staging.history import History, Params
from staging.result import ModelInfo, ModelResult


@dataclass(frozen=True, slots=True)
class Engine:
    info: ModelInfo
    stage: Callable[[History, Params], ModelResult]
    evaluate: Callable[[Context], ModelResult]

    @property
    def key(self) -> str:
        """Return the model's key, as in the JSON output."""
        return self.info.key


ENGINES: tuple[Engine, ...] = tuple(
    Engine(module.INFO, module.stage, module.evaluate)
    for module in (
        thase_rush,
        mgh_s,
        msm,
        dm_trd,
        conway,
        fda,
        ema,
        markowitz,
        souery,
        canadian,
        response_profile,
    )
)


_EVALUATORS = tuple((engine.info.key, engine.evaluate) for engine in ENGINES)


def stage_all(history: History, params: Params) -> dict[str, ModelResult]:
    """Stage one history with every engine, preparing its trials once."""
    context = build_context(history, params)
    return {key: evaluate(context) for key, evaluate in _EVALUATORS}
