"""Dutch Measure for quantification of Treatment Resistance in Depression (DM-TRD).

Peeters FPML, Ruhé HG, Wichers M, et al. The Dutch Measure for quantification of Treatment
Resistance in Depression (DM-TRD): an extension of the Maudsley Staging Method. J Affect Disord
2016;205:365-371. The item weights are a PROVISIONAL reconstruction (staging-models.md section 5,
clarification 12.9): Peeters 2016 Table 1 could not be retrieved.
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.adequacy import assess_trial
from staging.context import Context, build_context, describe, ids, trial_label
from staging.history import (
    FunctionalImpairment,
    History,
    Params,
    PersonalityDisorder,
    Presence,
    Trial,
)
from staging.msm import NO_SEVERITY, antidepressant_points
from staging.result import Lines, ModelInfo, ModelResult, not_applicable

INFO = ModelInfo(
    "dm_trd",
    "DM-TRD",
    "1.1-provisional",
    ("score", "provisional", "items"),
)
PROVISIONAL_WARNING = (
    "DM-TRD weights are provisional: a reconstruction pending Peeters 2016 Table 1 (section 5); "
    "do not use the total clinically."
)
# Section 5 reconstruction [I]: none 0, mild 1, moderate 2, severe 3.
IMPAIRMENT_POINTS = {
    FunctionalImpairment.NONE: 0,
    FunctionalImpairment.MILD: 1,
    FunctionalImpairment.MODERATE: 2,
    FunctionalImpairment.SEVERE: 3,
}
# Section 5 [I]: one strategy or psychotherapy 1, two or more 2.
MAX_REPEAT_POINTS = 2
PATIENT_ITEMS = (
    "functional_impairment",
    "comorbid_anxiety",
    "personality_disorder",
    "psychosocial_stressors",
)


def stage(history: History, params: Params) -> ModelResult:
    """Score a history with the DM-TRD (provisional weights)."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Score a prepared history with the DM-TRD (provisional weights)."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    history = ctx.history
    warnings = (*ctx.warnings, PROVISIONAL_WARNING)
    severity = ctx.severity
    if severity is None:
        return not_applicable(INFO, (NO_SEVERITY,), warnings)
    impairment = history.functional_impairment
    if None in (
        impairment,
        history.comorbid_anxiety,
        history.personality_disorder,
        history.psychosocial_stressors,
    ):
        missing = ", ".join(name for name in PATIENT_ITEMS if getattr(history, name) is None)
        warnings = (*warnings, f"Not recorded, scored 0 (12.9): {missing}.")
    augmentations = ctx.augmentation_failures
    # 12.9: distinct agents, so two lithium courses are one strategy.
    strategies = len({ctx.molecule(trial) for trial in augmentations})
    psychotherapies = ctx.failed_psychotherapies(ctx.params.dmtrd_psychotherapy_min_sessions)
    ects = ctx.ect_failures
    items = {
        "duration": ctx.duration,
        "severity": severity,
        "functional_impairment": IMPAIRMENT_POINTS[impairment] if impairment else 0,
        "comorbid_anxiety": 1 if history.comorbid_anxiety is Presence.PRESENT else 0,
        "personality_disorder": (
            1 if history.personality_disorder is PersonalityDisorder.DISORDER else 0
        ),
        "psychosocial_stressors": 1 if history.psychosocial_stressors is Presence.PRESENT else 0,
        "antidepressants": antidepressant_points(len(ctx.failed_molecules)),
        "augmentation": min(strategies, MAX_REPEAT_POINTS),
        "ect": 1 if ects else 0,
        "psychotherapy": min(len(psychotherapies), MAX_REPEAT_POINTS),
        "intensified_treatment": 1 if ctx.intensified else 0,
    }
    counted = ctx.drug_failures + augmentations + ects + psychotherapies + ctx.intensified
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        score=sum(items.values()),
        items=items,
        counted_trials=tuple(trial.id for trial in counted),
        explanation=Lines(_explain, ctx, items, augmentations, ects, psychotherapies),
        warnings=warnings,
        provisional=True,
    )


def _explain(
    ctx: Context,
    items: dict[str, int],
    augmentations: tuple[Trial, ...],
    ects: tuple[Trial, ...],
    psychotherapies: tuple[Trial, ...],
) -> Iterator[str]:
    yield ctx.duration_line()
    yield ctx.severity_line(items["severity"])
    patient = ", ".join(f"{name.replace('_', ' ')} {items[name]}" for name in PATIENT_ITEMS)
    yield f"Patient items: {patient}."
    for trial in ctx.drug_failures:
        yield f"{ctx.line(trial)} — counts ({ctx.molecule(trial)})"
    for trial in augmentations + ects:
        yield f"{ctx.line(trial)} — counts"
    minimum = ctx.params.dmtrd_psychotherapy_min_sessions
    for trial in psychotherapies:
        assessment = assess_trial(trial, ctx.index, ctx.params, min_sessions=minimum)
        yield f"{describe(trial, assessment)} — counts"
    for trial in ctx.intensified:
        yield f"{trial_label(trial, ctx.assessments[trial.id])} — counts as intensified treatment"
    molecules = ctx.failed_molecules
    yield (
        f"Antidepressants: {len(molecules)} failed agent(s) ({', '.join(molecules) or 'none'}) → "
        f"{items['antidepressants']}"
    )
    agents = sorted({ctx.molecule(trial) for trial in augmentations})
    yield (
        f"Augmentation: {len(agents)} distinct failed adequate agent(s) "
        f"({', '.join(agents) or 'none'}) → {items['augmentation']}"
    )
    yield f"ECT: {ids(ects)} → {items['ect']}"
    yield (
        f"Psychotherapy (evidence-based, ≥ {minimum} sessions, failed): {ids(psychotherapies)} "
        f"→ {items['psychotherapy']}"
    )
    yield (
        f"Intensified treatment (inpatient or day treatment): {ids(ctx.intensified)} → "
        f"{items['intensified_treatment']}"
    )
    yield f"Total {sum(items.values())} (PROVISIONAL weights, reconstruction range 2-26)."
    yield from ctx.previous_line()
