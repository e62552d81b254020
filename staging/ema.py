"""EMA definition: failure of at least two different antidepressant agents.

Guideline on clinical investigation of medicinal products in the treatment of depression,
EMA/CHMP/185423/2010 Rev. 2 (2013): lack of clinically meaningful improvement with adequate trials
of at least two different antidepressant agents of the same or different classes. Implemented as
staging-models.md section 7.3 (the FDA algorithm).
"""

from __future__ import annotations

from staging.context import Context, build_context
from staging.fda import agents_result
from staging.history import History, Params
from staging.result import ModelInfo, ModelResult

INFO = ModelInfo("ema", "EMA", "1.1", ("met",))
DEFINITION = (
    "EMA counts different agents of the same or different classes, with adequate dose, duration "
    "and adherence (7.3)."
)


def stage(history: History, params: Params) -> ModelResult:
    """Decide whether a history meets the EMA definition."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Decide whether a prepared history meets the EMA definition."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    return agents_result(ctx, INFO, ctx.drug_failures, ctx.line, DEFINITION)
