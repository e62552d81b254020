"""Markowitz et al. 2022: TRD requires failed medication and failed psychotherapy.

Markowitz JC, Wright JH, Peeters F, Thase ME, Kocsis JH, Sudak DM. The neglected role of
psychotherapy for treatment-resistant depression. Am J Psychiatry 2022;179(2):90-93. Implemented as
staging-models.md section 7.4 with clarifications 12.12 and 12.13 (options
markowitz_prospective_only and markowitz_require_combined).
"""

from __future__ import annotations

from collections.abc import Iterator

from staging.adequacy import assess_trial
from staging.context import Context, build_context, describe, ids
from staging.fda import MIN_AGENTS
from staging.history import History, Params, Trial
from staging.result import Lines, ModelInfo, ModelResult

INFO = ModelInfo("markowitz", "Markowitz", "1.1", ("met",))
DAYS_PER_WEEK = 7


def stage(history: History, params: Params) -> ModelResult:
    """Decide whether a history meets the Markowitz criterion."""
    return evaluate(build_context(history, params))


def evaluate(ctx: Context) -> ModelResult:
    """Decide whether a prepared history meets the Markowitz criterion."""
    if not ctx.applicable:
        return ctx.not_applicable(INFO)
    params = ctx.params
    medication = ctx.drug_failures
    if params.markowitz_prospective_only:
        # 12.12: recalled medication trials do not count; psychotherapy is not filtered.
        medication = tuple(trial for trial in medication if trial.prospective is not False)
    therapies = ctx.failed_psychotherapies(
        params.markowitz_psychotherapy_min_sessions, trained_therapist_required=True
    )
    if params.markowitz_require_combined:
        therapies = tuple(
            therapy for therapy in therapies if any(_combined(therapy, drug) for drug in medication)
        )
    agents = {ctx.molecule(trial) for trial in medication}
    met = len(agents) >= MIN_AGENTS and bool(therapies)
    return ModelResult(
        INFO.key,
        INFO.label,
        INFO.version,
        True,
        met=met,
        counted_trials=tuple(trial.id for trial in medication + therapies),
        explanation=Lines(_explain, ctx, medication, therapies, met),
        warnings=ctx.warnings,
    )


def _combined(therapy: Trial, drug: Trial) -> bool:
    """Return whether a psychotherapy was given with a drug: linked, or overlapping (12.13)."""
    if therapy.augments_trial == drug.id or drug.augments_trial == therapy.id:
        return True
    therapy_start = therapy.start_date.toordinal()
    drug_start = drug.start_date.toordinal()
    if therapy_start == drug_start:
        return True
    therapy_end = therapy_start + (therapy.weeks or 0) * DAYS_PER_WEEK
    drug_end = drug_start + (drug.weeks or 0) * DAYS_PER_WEEK
    return therapy_start < drug_end and drug_start < therapy_end


def _explain(
    ctx: Context, medication: tuple[Trial, ...], therapies: tuple[Trial, ...], met: bool
) -> Iterator[str]:
    params = ctx.params
    counted = {trial.id for trial in medication + therapies}
    for trial in ctx.drugs:
        line = ctx.line(trial)
        if trial.id in counted:
            line = f"{line} — counts ({ctx.molecule(trial)})"
        if trial.prospective is False:
            # 12.12: recalled trials are always named.
            verdict = (
                "excluded (recalled medication outcomes are left out)"
                if params.markowitz_prospective_only
                else "counted (recalled outcomes count)"
            )
            line = f"{line} — outcome recalled, not rated at the time: {verdict}"
        yield line
    minimum = params.markowitz_psychotherapy_min_sessions
    for trial in ctx.psychotherapies:
        assessment = assess_trial(
            trial, ctx.index, params, min_sessions=minimum, trained_therapist_required=True
        )
        line = describe(trial, assessment)
        yield f"{line} — counts" if trial.id in counted else line
    if params.markowitz_require_combined:
        yield (
            "Only psychotherapy given together with a counted antidepressant counts "
            f"(reading chosen, 12.13): {ids(therapies)}."
        )
    agents = dict.fromkeys(ctx.molecule(trial) for trial in medication)
    medication_ok = len(agents) >= MIN_AGENTS
    yield (
        f"Medication: {len(agents)} distinct agent(s) failed adequately "
        f"({', '.join(agents) or 'none'}), need ≥ {MIN_AGENTS}: "
        f"{'yes' if medication_ok else 'no'}; psychotherapy (evidence-based, ≥ {minimum} "
        f"sessions, trained therapist, failed): {ids(therapies)}, need ≥ 1: "
        f"{'yes' if therapies else 'no'} → {'met' if met else 'not met'}."
    )
    yield from ctx.previous_line()
