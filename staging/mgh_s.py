"""Massachusetts General Hospital staging method (MGH-s), a continuous score.

Fava M. Diagnosis and definition of treatment-resistant depression. Biol Psychiatry
2003;53(8):649-659; scoring as reproduced in PLoS One 2020;15(7):e0236434, Panel 1. Implemented as
staging-models.md section 3 with clarification 12.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.adequacy import num
from staging.context import Context, build_context
from staging.history import History, Params, Trial, TrialKind
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("mgh_s", "MGH-s", "1.1", ("score",))
# PLoS One 2020 Panel 1 [C]: 1 point per failed adequate trial, 0.5 per optimisation or
# strengthening strategy, 3 per ECT course.
TRIAL_POINTS = 1.0
STRATEGY_POINTS = 0.5
ECT_POINTS = 3.0


def stage(history: History, params: Params) -> ModelResult:
    """Score a history with the MGH staging method."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Score a prepared history with the MGH staging method."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    score = 0.0
    counted: list[str] = []
    for trial, strategies in _bases(ctx):
        assessment = ctx.assessments[trial.id]
        score += TRIAL_POINTS + STRATEGY_POINTS * (
            assessment.dose_optimised + assessment.duration_extended + len(strategies)
        )
        counted.append(trial.id)
        counted.extend(added.id for added in strategies)
    ects = ctx.ect_failures
    score += ECT_POINTS * len(ects)
    counted.extend(trial.id for trial in ects)
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        score=score,
        counted_trials=tuple(counted),
        explanation=Lines(_explain, ctx, score),
        warnings=ctx.warnings,
    )


def _bases(ctx: Context) -> Iterator[tuple[Trial, list[Trial]]]:
    """Yield each failed adequate base trial with its failed adequate strategies (12.11)."""
    strengtheners = ctx.index.strengtheners
    assessments = ctx.assessments
    for trial in ctx.drug_failures:
        # A combination entry is a strategy on its base trial, not a base trial [I].
        if trial.kind is TrialKind.ANTIDEPRESSANT:
            strategies = [
                added
                for added in strengtheners.get(trial.id, ())
                if added.id in assessments and assessments[added.id].adequate_failure
            ]
            yield trial, strategies


def _explain(ctx: Context, score: float) -> Iterator[str]:
    factor = ctx.params.dose_optimised_factor
    weeks = ctx.params.duration_extended_weeks
    lines = {}
    for trial, strategies in _bases(ctx):
        assessment = ctx.assessments[trial.id]
        parts = ["1"]
        # Section 3 [I]: without the flag, optimisation is read from the dose and the weeks.
        if assessment.dose_optimised:
            how = "flag" if trial.dose_optimised else f"≥ {num(factor)} × minimum [I]"
            parts.append(f"0.5 dose optimised ({how})")
        if assessment.duration_extended:
            how = "flag" if trial.duration_extended else f"≥ {num(weeks)} weeks [I]"
            parts.append(f"0.5 duration extended ({how})")
        parts.extend(f"0.5 {added.kind} {added.id} {added.agent}" for added in strategies)
        points = TRIAL_POINTS + STRATEGY_POINTS * (len(parts) - 1)
        lines[trial.id] = f"{ctx.line(trial)} — {' + '.join(parts)} = {num(points)}"
    for trial in ctx.drugs:
        yield lines.get(trial.id) or ctx.line(trial)
    for trial in ctx.ects:
        counted = ctx.assessments[trial.id].adequate_failure
        yield f"{ctx.line(trial)} — ECT course + 3" if counted else ctx.line(trial)
    if any(trial.kind is TrialKind.COMBINATION for trial in ctx.drugs):
        yield (
            "A combination is scored as a strategy on the trial it names, not as a new trial "
            "(section 3 [I])."
        )
    yield (
        f"Total {num(score)} (no published cut-off; strategies on an inadequate or unfailed "
        "trial score 0)."
    )
    yield from ctx.previous_line()
