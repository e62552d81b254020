"""Thase & Rush staging model (TRSM), stages 0-V.

Thase ME, Rush AJ. When at first you don't succeed: sequential strategies for antidepressant
nonresponders. J Clin Psychiatry 1997;58(Suppl 13):23-29. Implemented as staging-models.md section 2
(set-based reading) with clarification 12.15 (option trsm_order_based).
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.catalogue import DrugClass
from staging.context import Context, build_context
from staging.history import DRUG_KINDS, History, Params, Placement, Trial, TrialKind
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("thase_rush", "Thase-Rush", "1.1", ("stage",))
STAGES = ("0", "I", "II", "III", "IV", "V")
BILATERAL = frozenset({Placement.BITEMPORAL, Placement.BIFRONTAL})
SCORED_KINDS = DRUG_KINDS | {TrialKind.ECT}
TCA = DrugClass.TCA
MAOI = DrugClass.MAOI


def stage(history: History, params: Params) -> ModelResult:
    """Stage a history with the Thase-Rush model."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Stage a prepared history with the Thase-Rush model."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    ects = [trial for trial in ctx.ect_failures if _counts_as_bilateral(ctx, trial)]
    if ctx.params.trsm_order_based:
        level, counted = _order_based(ctx, ects)
    else:
        level, counted = _set_based(ctx, ects)
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        stage=STAGES[level],
        counted_trials=counted,
        explanation=Lines(_explain, ctx, ects, level),
        warnings=ctx.warnings,
    )


def _counts_as_bilateral(ctx: Context, trial: Trial) -> bool:
    placement = trial.electrode_placement
    if placement is Placement.RUL:
        # 1.3.5 [I]: right-unilateral ECT qualifies only with accept_rul_for_stage_V.
        return ctx.params.accept_rul_for_stage_V
    return placement in BILATERAL


def _class_counts(ctx: Context) -> dict[str, int]:
    counts: dict[str, int] = {}
    for drug_class in ctx.failed_classes:
        counts[drug_class] = counts.get(drug_class, 0) + 1
    return counts


def _span_without(counts: dict[str, int], removed: tuple[str, ...]) -> int:
    """Count the classes left after removing one trial of each removed class."""
    return len(counts) - sum(1 for drug_class in removed if counts[drug_class] == 1)


def _steps(counts: dict[str, int]) -> tuple[bool, bool]:
    """Return S3 (a TCA beyond two classes) and S4 (an MAOI beyond S3) of section 2."""
    tca = TCA in counts and _span_without(counts, (TCA,)) >= 2
    maoi = MAOI in counts and TCA in counts and _span_without(counts, (TCA, MAOI)) >= 2
    return tca, maoi


def _set_based(ctx: Context, ects: list[Trial]) -> tuple[int, tuple[str, ...]]:
    """Apply the order-independent reading of section 2 [I]."""
    failures = ctx.drug_failures
    if not failures:
        return 0, ()
    counts = _class_counts(ctx)
    tca, maoi = _steps(counts)
    counted = ctx.drug_failure_ids
    if maoi:
        if ects:
            return 5, (*counted, ects[0].id)
        return 4, counted
    return 3 if tca else 2 if len(counts) >= 2 else 1, counted


def _order_based(ctx: Context, ects: list[Trial]) -> tuple[int, tuple[str, ...]]:
    """Walk the trials by (start date, seq) as the sequential source does (12.15)."""
    roles = _order_roles(ctx, ects)
    counted = tuple(trial_id for trial_id, advanced in roles.items() if advanced)
    return len(counted), counted


def _order_roles(ctx: Context, ects: list[Trial]) -> dict[str, bool]:
    """Map each failed trial, in order, to whether it advanced the stage."""
    classes = dict(zip(ctx.drug_failure_ids, ctx.failed_classes, strict=True))
    bilateral = {trial.id for trial in ects}
    level = 0
    first_class = ""
    roles: dict[str, bool] = {}
    for trial in ctx.current:
        drug_class = classes.get(trial.id)
        if drug_class is not None:
            advanced = (
                level == 0
                or (level == 1 and drug_class != first_class)
                or (level == 2 and drug_class == TCA)
                or (level == 3 and drug_class == MAOI)
            )
            if level == 0:
                first_class = drug_class
        elif trial.id in bilateral:
            advanced = level == 4
        else:
            continue
        level += advanced
        roles[trial.id] = advanced
    return roles


def _explain(ctx: Context, ects: list[Trial], level: int) -> Iterator[str]:
    roles = _order_explained(ctx, ects) if ctx.params.trsm_order_based else _set_roles(ctx, ects)
    for trial in ctx.drugs + ctx.ects:
        role = roles.get(trial.id)
        yield f"{ctx.line(trial)} — {role}" if role else ctx.line(trial)
    for trial in ctx.ect_failures:
        if trial.electrode_placement is Placement.RUL:
            option = "accepted" if ctx.params.accept_rul_for_stage_V else "not accepted"
            yield (
                f"{trial.id} was right-unilateral ECT: it counts as bilateral for stage V only "
                f"where right-unilateral ECT is accepted for it (here {option}; 1.3.5 [I])."
            )
        elif trial.electrode_placement is None:
            yield f"{trial.id}: ECT placement not recorded, so not bilateral for stage V."
    if ctx.params.trsm_order_based:
        yield (
            f"Order-based reading (trials in the order given, 12.15): trials taken by start date "
            f"and seq → stage {STAGES[level]}."
        )
    elif not ctx.drug_failures:
        yield "No failed adequate antidepressant trial in the current episode → stage 0."
    else:
        counts = _class_counts(ctx)
        tca, maoi = _steps(counts)
        yield (
            f"Set-based reading [I] (section 2): {len(ctx.drug_failures)} failed adequate "
            f"trial(s) in {len(counts)} class(es) ({', '.join(counts)}); TCA step "
            f"{'yes' if tca else 'no'}, MAOI step {'yes' if maoi else 'no'}; failed bilateral "
            f"ECT {'yes' if ects else 'no'} → stage {STAGES[level]}."
        )
    ignored = [trial.id for trial in ctx.current if trial.kind not in SCORED_KINDS]
    if ignored:
        yield (
            "Not counted by this model (augmentation, psychotherapy and other treatments are "
            f"ignored, section 2): {', '.join(ignored)}."
        )
    yield from ctx.previous_line()


def _set_roles(ctx: Context, ects: list[Trial]) -> dict[str, str]:
    failures = ctx.drug_failures
    counts = _class_counts(ctx)
    tca, maoi = _steps(counts)
    roles = {
        trial.id: f"counts for stage {'II' if len(counts) >= 2 else 'I'}" for trial in failures
    }
    classes = ctx.failed_classes
    if tca:
        roles[failures[classes.index(TCA)].id] = "counts for stage III (TCA)"
    if maoi:
        roles[failures[classes.index(MAOI)].id] = "counts for stage IV (MAOI)"
        if ects:
            roles[ects[0].id] = "counts for stage V (bilateral ECT)"
    return roles


def _order_explained(ctx: Context, ects: list[Trial]) -> dict[str, str]:
    roles = {}
    level = 0
    for trial_id, advanced in _order_roles(ctx, ects).items():
        level += advanced
        roles[trial_id] = (
            f"counts for stage {STAGES[level]} (in order)"
            if advanced
            else "does not advance the stage in this order"
        )
    return roles
