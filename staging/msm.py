"""Maudsley Staging Method (MSM), total 3-15 with bands mild, moderate and severe.

Fekadu A, Wooderson S, Donaldson C, et al. A multidimensional tool to quantify treatment resistance
in depression: the Maudsley staging method. J Clin Psychiatry 2009;70(2):177-184; scoring table as
in Fekadu A, Donocik JG, Cleare AJ. BMC Psychiatry 2018;18:100, Table 3. Implemented as
staging-models.md section 4 (option msm_used_means_any_use).
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.context import Context, build_context, ids
from staging.history import History, Params, Trial
from staging.result import Lines, ModelInfo, ModelResult, not_applicable

INFO = ModelInfo("msm", "MSM", "1.1", ("score", "band", "items"))
NO_FAILURE = (
    "No failed adequate antidepressant in the current episode: the MSM stages resistance only "
    "after a failure, so no score is reported (section 4, step 7)."
)
NO_SEVERITY = "Baseline severity is not recorded, so the severity item cannot be scored (8.6)."


def antidepressant_points(agents: int) -> int:
    """Score the number of failed antidepressant agents (MSM levels 1-5; 0 for none)."""
    # Fekadu 2018 Table 3 / PLoS One 2020 Panel 1: 1-2, 3-4, 5-6, 7-10, > 10 medications.
    if agents == 0:
        return 0
    if agents <= 2:
        return 1
    if agents <= 4:
        return 2
    if agents <= 6:
        return 3
    return 4 if agents <= 10 else 5


def band(score: int) -> str:
    """Return the MSM band of a total: mild 3-6, moderate 7-10, severe 11-15 (Fekadu 2018)."""
    if score <= 6:
        return "mild"
    return "moderate" if score <= 10 else "severe"


def stage(history: History, params: Params) -> ModelResult:
    """Score a history with the Maudsley Staging Method."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Score a prepared history with the Maudsley Staging Method."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    if not ctx.failed_molecules:
        return not_applicable(INFO, Lines(_no_failure, ctx), ctx.warnings)
    severity = ctx.severity
    if severity is None:
        return not_applicable(INFO, (NO_SEVERITY,), ctx.warnings)
    # Section 4 [I]: "used" means adequate and failed unless msm_used_means_any_use.
    any_use = ctx.params.msm_used_means_any_use
    augmentations = ctx.augmentations if any_use else ctx.augmentation_failures
    ects = ctx.ects if any_use else ctx.ect_failures
    items = {
        "duration": ctx.duration,
        "severity": severity,
        "antidepressants": antidepressant_points(len(ctx.failed_molecules)),
        "augmentation": 1 if augmentations else 0,
        "ect": 1 if ects else 0,
    }
    score = sum(items.values())
    counted = ctx.drug_failures + augmentations + ects
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        score=score,
        band=band(score),
        items=items,
        counted_trials=tuple(trial.id for trial in counted),
        explanation=Lines(_explain, ctx, items, augmentations, ects),
        warnings=ctx.warnings,
    )


def _no_failure(ctx: Context) -> Iterator[str]:
    yield NO_FAILURE
    yield from ctx.previous_line()


def _explain(
    ctx: Context, items: dict[str, int], augmentations: tuple[Trial, ...], ects: tuple[Trial, ...]
) -> Iterator[str]:
    yield ctx.duration_line()
    yield ctx.severity_line(items["severity"])
    for trial in ctx.drug_failures:
        yield f"{ctx.line(trial)} — counts ({ctx.molecule(trial)})"
    for trial in augmentations + ects:
        yield f"{ctx.line(trial)} — counts"
    molecules = ctx.failed_molecules
    yield (
        f"Antidepressants: {len(molecules)} failed agent(s) ({', '.join(molecules)}) → "
        f"{items['antidepressants']}"
    )
    if ctx.params.msm_used_means_any_use:
        rule = "any use counts, adequate and failed or not (reading chosen)"
    else:
        rule = "adequate and failed [I]"
    yield f"Augmentation: {ids(augmentations)}; {rule} → {items['augmentation']}"
    yield f"ECT: {ids(ects)}; {rule} → {items['ect']}"
    score = sum(items.values())
    yield f"Total {score} → {band(score)} (mild 3-6, moderate 7-10, severe 11-15)."
    yield from ctx.previous_line()
