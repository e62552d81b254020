"""Canadian expert consensus definition of TRD (Rybak et al. 2021).

Rybak YE, Lai KSP, Ramasubbu R, et al. Treatment-resistant major depressive disorder: Canadian
expert consensus on definition and assessment. Depress Anxiety 2021;38(4):456-467, Table 3.
Implemented as staging-models.md section 7.5: two distinct agents failed after at least
canadian_min_weeks (4-6) at the minimum dose.
"""

from __future__ import annotations

from functools import partial

from staging.adequacy import assess_trial, num
from staging.context import Context, build_context, describe
from staging.fda import agents_result
from staging.history import History, Params, Trial
from staging.result import ModelInfo, ModelResult

INFO = ModelInfo("canadian", "Canadian consensus", "1.1", ("met",))
DEFINITION = (
    "Rybak 2021: two agents failed after at least the Canadian minimum weeks at the minimum dose "
    "(4-6 weeks; default 4), by < 50 % reduction or the failure rule chosen (12.3)."
)


def stage(history: History, params: Params) -> ModelResult:
    """Decide whether a history meets the Canadian consensus definition."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Decide whether a prepared history meets the Canadian consensus definition."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    params = ctx.params
    weeks = params.canadian_min_weeks
    between = _between(ctx.drugs, weeks, params.ad_min_weeks)
    if not between:
        return agents_result(ctx, INFO, ctx.drug_failures, ctx.line, DEFINITION)
    failures = tuple(
        trial
        for trial in ctx.drugs
        if (
            assess_trial(trial, ctx.index, params, min_weeks=weeks, explain=False)
            if trial.id in between
            else ctx.assessments[trial.id]
        ).adequate_failure
    )
    return agents_result(ctx, INFO, failures, partial(_line, ctx, between), DEFINITION)


def _between(drugs: tuple[Trial, ...], weeks: float, shared_weeks: float) -> frozenset[str]:
    """Return the trials whose weeks lie between the two minimums: only their verdict can differ."""
    if weeks == shared_weeks:
        return frozenset()
    low, high = (weeks, shared_weeks) if weeks < shared_weeks else (shared_weeks, weeks)
    return frozenset(
        trial.id for trial in drugs if trial.weeks is not None and low <= trial.weeks < high
    )


def _line(ctx: Context, between: frozenset[str], trial: Trial) -> str:
    if trial.id in between:
        weeks = ctx.params.canadian_min_weeks
        assessment = assess_trial(trial, ctx.index, ctx.params, min_weeks=weeks)
        return f"{describe(trial, assessment)} under the {num(weeks)}-week minimum"
    return ctx.line(trial)
