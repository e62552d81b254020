"""Response profile: partial-response depression, TRD with minimal improvement, chronicity.

Patient-level labels of staging-models.md 1.3.7 and clarification 12.4, after the literature that
distinguishes TRD (< 25 % improvement; Sforzini et al., Mol Psychiatry 2022) from partially
responsive depression (25-49 %). They describe the treatments tried so far, never the person.
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.adequacy import OutcomeCategory
from staging.context import Context, build_context, ids
from staging.history import History, Params, Trial, add_months
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo(
    "response_profile",
    "Response profile",
    "1.2",
    ("prd", "trd_minimal_improvement", "chronic"),
)
# 1.3.7: at least two adequate trials with < 25 % improvement.
MIN_MINIMAL_IMPROVEMENT_TRIALS = 2


def stage(history: History, params: Params) -> ModelResult:
    """Describe a history's response profile."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Describe a prepared history's response profile."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    partial: list[Trial] = []
    minimal: list[Trial] = []
    # 12.4: adequate current-episode antidepressant or combination trials, counted per trial.
    for trial in ctx.drugs:
        assessment = ctx.assessments[trial.id]
        if assessment.adequate:
            if assessment.outcome is OutcomeCategory.PARTIAL_RESPONSE:
                partial.append(trial)
            elif assessment.outcome is OutcomeCategory.NON_RESPONSE:
                minimal.append(trial)
    trd_minimal_improvement = len(minimal) >= MIN_MINIMAL_IMPROVEMENT_TRIALS
    # 12.4 (spec 1.2): PRD whatever FDA/EMA says, unless the < 25 % TRD pattern holds.
    prd = bool(partial) and not trd_minimal_improvement
    history = ctx.history
    chronic_from = add_months(history.episode_onset_date, ctx.params.chronic_months)
    chronic = history.assessment_date > chronic_from
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        counted_trials=tuple(trial.id for trial in partial + minimal),
        explanation=Lines(_explain, ctx, partial, minimal, prd, chronic),
        warnings=ctx.warnings,
        prd=prd,
        trd_minimal_improvement=trd_minimal_improvement,
        chronic=chronic,
    )


def _explain(
    ctx: Context, partial: list[Trial], minimal: list[Trial], prd: bool, chronic: bool
) -> Iterator[str]:
    enough = len(minimal) >= MIN_MINIMAL_IMPROVEMENT_TRIALS
    yield (
        f"Minimal improvement (< 25 %) on adequate trials: {ids(minimal)}; need ≥ "
        f"{MIN_MINIMAL_IMPROVEMENT_TRIALS} → {'yes' if enough else 'no'}."
    )
    pattern = "holds" if enough else "does not hold"
    yield (
        f"Partial response (25-49 %) on an adequate trial: {ids(partial)}; the minimal-improvement "
        f"pattern {pattern} → PRD {'yes' if prd else 'no'}."
    )
    history = ctx.history
    months = ctx.params.chronic_months
    chronic_from = add_months(history.episode_onset_date, months)
    yield (
        f"Chronic: assessed {history.assessment_date.isoformat()}, onset + {months} months = "
        f"{chronic_from.isoformat()} (the chronic-course months) → {'yes' if chronic else 'no'}."
    )
    yield from ctx.previous_line()
