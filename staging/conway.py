"""Conway, George & Sackeim operational definition of TRD, stages 0-2.

Conway CR, George MS, Sackeim HA. Toward an evidence-based, operational definition of
treatment-resistant depression: when enough is enough. JAMA Psychiatry 2017;74(1):9-10, as quoted
by Markowitz et al., Am J Psychiatry 2022;179:90-93. Implemented as staging-models.md section 6 with
clarification 12.21 (option conway_psychotherapy_schools_distinct).
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.catalogue import psychotherapy_school
from staging.context import Context, build_context
from staging.history import DRUG_KINDS, History, Params, TrialKind
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("conway", "Conway", "1.1", ("stage",))
CANDIDATE_KINDS = DRUG_KINDS | {TrialKind.PSYCHOTHERAPY}


def stage(history: History, params: Params) -> ModelResult:
    """Stage a history with the Conway definition."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Stage a prepared history with the Conway definition."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    candidates = _candidates(ctx)
    classes = set(candidates.values())
    level = 0
    if len(classes) >= 2:
        # "A third trial" of any class [I] makes stage 2.
        level = 2 if len(candidates) >= 3 else 1
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        stage=level,
        counted_trials=tuple(candidates),
        explanation=Lines(_explain, ctx, candidates, len(classes), level),
        warnings=ctx.warnings,
    )


def _candidates(ctx: Context) -> dict[str, str]:
    """Map each failed adequate antidepressant or psychotherapy trial to its class (section 6)."""
    distinct_schools = ctx.params.conway_psychotherapy_schools_distinct
    candidates = dict(zip(ctx.drug_failure_ids, ctx.failed_classes, strict=True))
    for trial in ctx.psychotherapy_failures:
        # Section 6 [I]: one class for all psychotherapies unless schools are distinct (12.21).
        if distinct_schools:
            school = psychotherapy_school(trial.therapy_type or trial.agent)
            candidates[trial.id] = f"psychotherapy {school}"
        else:
            candidates[trial.id] = "psychotherapy"
    return candidates


def _explain(ctx: Context, candidates: dict[str, str], classes: int, level: int) -> Iterator[str]:
    for trial in ctx.current:
        if trial.id in candidates:
            yield f"{ctx.line(trial)} — counts ({candidates[trial.id]})"
        elif trial.kind in CANDIDATE_KINDS:
            yield ctx.line(trial)
    third = " (a third trial of any class [I])" if level == 2 else ""
    yield (
        f"{len(candidates)} failed adequate trial(s) in {classes} class(es), counted alone or "
        f"in combination (no merging) → stage {level}{third}."
    )
    if ctx.params.conway_psychotherapy_schools_distinct:
        yield ("Psychotherapy schools count as distinct classes (reading chosen, 12.21).")
    elif sum(1 for drug_class in candidates.values() if drug_class == "psychotherapy") >= 2:
        yield "All psychotherapies are one class by default (section 6 [I])."
    ignored = [trial.id for trial in ctx.current if trial.kind not in CANDIDATE_KINDS]
    if ignored:
        yield (
            "Not counted by this model (only antidepressants and psychotherapy, section 6): "
            f"{', '.join(ignored)}."
        )
    yield from ctx.previous_line()
