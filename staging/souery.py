"""European staging (Souery et al. 1999) with chronic resistant depression (CRD).

Souery D, Amsterdam J, de Montigny C, et al. Treatment resistant depression: methodological
overview and operational criteria. Eur Neuropsychopharmacol 1999;9:83-91; GSRD operationalisation
in Souery et al. J Clin Psychiatry 2007;68:1062-1070. Implemented as staging-models.md section 7.1.
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.context import Context, build_context, ids
from staging.history import History, Params, Trial, TrialKind, add_months
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("souery", "Souery", "1.1", ("stage", "chronic_resistant"))
# 7.1 [I]: staged by trial count, TRD1-TRD5, because the source's week ranges overlap.
MAX_TRD = 5
# 7.1: CRD needs resistance for at least 12 months.
CRD_MONTHS = 12


def stage(history: History, params: Params) -> ModelResult:
    """Stage a history with the Souery European staging."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Stage a prepared history with the Souery European staging."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    failures = ctx.drug_failures
    count = len(failures)
    if count == 0:
        level = "none"
    elif count == 1:
        level = "nonresponder"
    else:
        level = f"TRD{min(count - 1, MAX_TRD)}"
    strategies = _strategies(ctx)
    chronic = (
        count >= 2
        and bool(strategies)
        and ctx.history.assessment_date >= add_months(failures[0].start_date, CRD_MONTHS)
    )
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        stage=level,
        counted_trials=ctx.drug_failure_ids,
        explanation=Lines(_explain, ctx, level, strategies, chronic),
        warnings=ctx.warnings,
        chronic_resistant=chronic,
    )


def _strategies(ctx: Context) -> tuple[Trial, ...]:
    """Return the failed adequate augmentations and combinations (7.1 CRD)."""
    combinations = (trial for trial in ctx.drug_failures if trial.kind is TrialKind.COMBINATION)
    return (*ctx.augmentation_failures, *combinations)


def _explain(
    ctx: Context, level: str, strategies: tuple[Trial, ...], chronic: bool
) -> Iterator[str]:
    failures = ctx.drug_failures
    for trial in ctx.drugs:
        counted = trial.id in ctx.drug_failure_ids
        yield f"{ctx.line(trial)} — counts" if counted else ctx.line(trial)
    yield (
        f"{len(failures)} failed adequate antidepressant trial(s), counted as trials, not "
        f"agents, because the source's week ranges overlap (7.1 [I]) → {level}."
    )
    if len(failures) < 2:
        yield "CRD no: fewer than 2 failed trials."
    else:
        since = add_months(failures[0].start_date, CRD_MONTHS)
        yield (
            f"CRD {'yes' if chronic else 'no'}: failed augmentation or combination "
            f"{ids(strategies)}; first failed trial {failures[0].start_date.isoformat()}, "
            f"{CRD_MONTHS} months on {since.isoformat()}, assessed "
            f"{ctx.history.assessment_date.isoformat()}."
        )
    yield from ctx.previous_line()
