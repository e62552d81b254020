"""FDA usage: treatment-resistant depression as failure of two different antidepressants.

Label wording of olanzapine/fluoxetine (Symbyax) and esketamine (Spravato): no response to 2
separate trials of different antidepressants of adequate dose and duration in the current episode;
prior failures as counted from the MGH-ATRQ in the esketamine trials. Implemented as
staging-models.md section 7.2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from staging.context import Context, build_context
from staging.history import History, Params, Trial
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("fda", "FDA", "1.1", ("met",))
DEFINITION = (
    "FDA counts distinct antidepressant agents, so a same-class switch counts; augmentation, "
    "psychotherapy and ECT do not (7.2 [I])."
)
# 7.2-7.5: at least two different antidepressant agents.
MIN_AGENTS = 2


def stage(history: History, params: Params) -> ModelResult:
    """Decide whether a history meets the FDA usage."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Decide whether a prepared history meets the FDA usage."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    return agents_result(ctx, INFO, ctx.drug_failures, ctx.line, DEFINITION)


def agents_result(
    ctx: Context,
    info: ModelInfo,
    failures: tuple[Trial, ...],
    line: Callable[[Trial], str],
    definition: str,
) -> ModelResult:
    """Return whether at least two distinct molecules failed adequately (12.16)."""
    if failures is ctx.drug_failures:
        molecules = len(ctx.failed_molecules)
        counted = ctx.drug_failure_ids
    else:
        molecules = len({ctx.molecule(trial) for trial in failures})
        counted = tuple(trial.id for trial in failures)
    return ModelResult(
        info.key,
        info.label,
        info.version,
        True,
        met=molecules >= MIN_AGENTS,
        counted_trials=counted,
        explanation=Lines(_explain, ctx, failures, line, definition),
        warnings=ctx.warnings,
    )


def _explain(
    ctx: Context, failures: tuple[Trial, ...], line: Callable[[Trial], str], definition: str
) -> Iterator[str]:
    counted = {trial.id for trial in failures}
    for trial in ctx.drugs:
        if trial.id in counted:
            yield f"{line(trial)} — counts ({ctx.molecule(trial)})"
        else:
            yield line(trial)
    molecules = dict.fromkeys(ctx.molecule(trial) for trial in failures)
    met = len(molecules) >= MIN_AGENTS
    yield (
        f"{len(molecules)} distinct antidepressant(s) failed adequately "
        f"({', '.join(molecules) or 'none'}); need ≥ {MIN_AGENTS} → {'met' if met else 'not met'}."
    )
    yield definition
    yield from ctx.previous_line()
