"""Why the models disagree: one sentence per disagreement, derived from what each model counted."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from staging.context import Context, build_context
from staging.fda import MIN_AGENTS
from staging.history import History, Params, Placement
from staging.registry import ENGINES
from staging.result import ModelResult

LABELS = {engine.key: engine.info.label for engine in ENGINES}
# The definitions that say whether a history has reached treatment resistance (the registry's).
VERDICTS: dict[str, Callable[[ModelResult], bool]] = {
    engine.key: engine.reaches_trd for engine in ENGINES if engine.reaches_trd is not None
}
AGENT_COUNTERS = ("fda", "ema", "canadian")
CLASS_COUNTERS = ("thase_rush", "conway")
SIX_WEEK_MODELS = ("thase_rush", "conway", "fda", "ema", "souery", "markowitz")


def compare(history: History, params: Params, results: Mapping[str, ModelResult]) -> list[str]:
    """Explain, one sentence per disagreement, why the models' results differ for a history."""
    ctx = build_context(history, params)
    if not ctx.applicable:
        return []
    verdicts = {key: verdict(results[key]) for key, verdict in VERDICTS.items()}
    met = {key for key, value in verdicts.items() if value}
    unmet = {key for key, value in verdicts.items() if not value}
    sentences: list[str] = []
    explained: set[str] = set()
    if met and unmet:
        for mechanism in (_same_class, _psychotherapy, _short_trials, _repeats, _markowitz):
            found = mechanism(ctx, results, met, unmet)
            if found is not None and not found[1] <= explained:
                sentence, models = found
                sentences.append(sentence)
                explained |= models
        sentences.extend(_unexplained(results, met, unmet - explained))
    sentences.extend(_scored(ctx, results))
    return sentences


def _names(keys: Iterable[str]) -> str:
    labels = [LABELS[key] for key in keys]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _in(keys: Iterable[str], chosen: set[str]) -> list[str]:
    return [key for key in keys if key in chosen]


def _state(result: ModelResult) -> str:
    if result.met is not None:
        return "is met" if result.met else "is not met"
    return f"is at stage {result.stage}"


Found = tuple[str, set[str]] | None


def _same_class(
    ctx: Context, results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Found:
    """Distinct agents of one class: agent counters reach TRD, class counters do not."""
    classes = set(ctx.failed_classes)
    counters = _in(AGENT_COUNTERS, met)
    stuck = _in(CLASS_COUNTERS, unmet)
    if len(ctx.failed_molecules) < 2 or len(classes) != 1 or not counters or not stuck:
        return None
    where = " and ".join(f"{LABELS[key]} (stage {results[key].stage})" for key in stuck)
    sentence = (
        f"{_names(counters)} count same-class switches by distinct agents "
        f"({', '.join(ctx.failed_molecules)}); {where} {'needs' if len(stuck) == 1 else 'need'} "
        f"a second class, and every failed antidepressant was {classes.pop()}."
    )
    return sentence, set(stuck)


def _psychotherapy(
    ctx: Context, results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Found:
    """Conway reaches a stage only because it counts a failed psychotherapy."""
    therapies = [
        trial
        for trial in ctx.psychotherapy_failures
        if trial.id in results["conway"].counted_trials
    ]
    others = [key for key in ("thase_rush", "fda", "ema", "canadian", "souery") if key in unmet]
    if "conway" not in met or not therapies or len(set(ctx.failed_classes)) >= 2 or not others:
        return None
    courses = ", ".join(
        f"{trial.therapy_type or trial.agent} course {trial.id}" for trial in therapies
    )
    return (
        f"Conway counts the {courses} as a class of its own; {_names(others)} ignore "
        "psychotherapy.",
        set(others),
    )


def _short_trials(
    ctx: Context, results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Found:
    """The Canadian minimum is shorter, so it counts trials the 6-week models leave out."""
    if "canadian" not in met:
        return None
    standard = set(results["fda"].counted_trials)
    extra = [
        trial
        for trial in ctx.drugs
        if trial.id in results["canadian"].counted_trials and trial.id not in standard
    ]
    strict = _in(SIX_WEEK_MODELS, unmet)
    if not extra or not strict:
        return None
    trials = ", ".join(
        f"{trial.id} {trial.agent} ({trial.weeks:g} weeks at dose)" for trial in extra
    )
    return (
        f"The Canadian consensus accepts {trials} under its {ctx.params.canadian_min_weeks:g}-week "
        f"minimum; {_names(strict)} need {ctx.params.ad_min_weeks:g} weeks.",
        set(strict),
    )


def _markowitz(
    ctx: Context, results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Found:
    """Markowitz needs two failed agents and a failed psychotherapy (7.4)."""
    if "markowitz" not in unmet:
        return None
    counted = set(results["markowitz"].counted_trials)
    agents = {ctx.molecule(trial) for trial in ctx.drug_failures if trial.id in counted}
    counters = _in(("fda", "ema"), met)
    if len(agents) < MIN_AGENTS and counters:
        recalled = ", ".join(trial.id for trial in ctx.drug_failures if trial.id not in counted)
        return (
            f"Markowitz leaves out the recalled trials {recalled} (recalled outcomes left out); "
            f"{_names(counters)} count them.",
            {"markowitz"},
        )
    if len(agents) < MIN_AGENTS:
        return (
            f"Markowitz needs ≥ {MIN_AGENTS} failed antidepressant agents as well as a failed "
            f"psychotherapy; {len(agents)} failed ({', '.join(sorted(agents)) or 'none'}).",
            {"markowitz"},
        )
    minimum = ctx.params.markowitz_psychotherapy_min_sessions
    misses = "".join(f"; {note}" for note in _near_misses(ctx, minimum))
    return (
        f"Markowitz also requires a failed adequate evidence-based psychotherapy (≥ {minimum} "
        f"sessions, trained therapist{misses}); {_names(counters)} count medication only.",
        {"markowitz"},
    )


def _near_misses(ctx: Context, minimum: int) -> Iterator[str]:
    """Say why each current psychotherapy did not count for Markowitz."""
    if not ctx.psychotherapies:
        yield "none is recorded in this episode"
    # Markowitz is not met, so none of these psychotherapies counted.
    for trial in ctx.psychotherapies:
        name = f"{trial.id} {trial.therapy_type or trial.agent or 'psychotherapy'}"
        if (trial.sessions or 0) < minimum:
            yield f"{name} had {trial.sessions or 0} sessions"
        elif trial.therapist_trained is not True:
            yield f"{name} had no therapist recorded as trained"
        elif ctx.params.markowitz_require_combined:
            yield f"{name} was not combined with a counted antidepressant"
        else:
            yield f"{name} was not an adequate failed evidence-based course"


def _repeats(
    ctx: Context, results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Found:
    """Souery counts trials, so the same agent tried twice reaches TRD1."""
    others = _in(("fda", "ema", "canadian", "markowitz", "thase_rush", "conway"), unmet)
    if "souery" not in met or len(ctx.failed_molecules) >= 2 or not others:
        return None
    return (
        f"Souery counts trials, so the repeated {', '.join(ctx.failed_molecules)} trials "
        f"({', '.join(ctx.drug_failure_ids)}) make {results['souery'].stage}; "
        f"{_names(others)} count distinct agents or classes.",
        set(others),
    )


def _unexplained(
    results: Mapping[str, ModelResult], met: set[str], unmet: set[str]
) -> Iterator[str]:
    """Name what each remaining model counted, against the first model that is met."""
    reference = next(key for key in VERDICTS if key in met)
    counted = ", ".join(results[reference].counted_trials)
    for key in VERDICTS:
        if key in unmet:
            own = ", ".join(results[key].counted_trials) or "nothing"
            yield (
                f"{LABELS[key]} {_state(results[key])} while {LABELS[reference]} "
                f"{_state(results[reference])}: {LABELS[key]} counts {own}; "
                f"{LABELS[reference]} counts {counted}."
            )


def _scored(ctx: Context, results: Mapping[str, ModelResult]) -> Iterator[str]:
    """Disagreements of the scored models (MSM, DM-TRD) and of ECT placement."""
    dm_trd = results["dm_trd"]
    if not results["msm"].applicable and dm_trd.applicable and dm_trd.items:
        other = [
            name.replace("_", " ")
            for name in ("augmentation", "ect", "psychotherapy", "intensified_treatment")
            if dm_trd.items[name]
        ]
        if other:
            yield (
                "The MSM gives no score without a failed antidepressant; DM-TRD scores "
                f"{', '.join(other)} ({', '.join(dm_trd.counted_trials)})."
            )
    unilateral = [
        trial.id for trial in ctx.ect_failures if trial.electrode_placement is Placement.RUL
    ]
    if results["thase_rush"].stage == "IV" and unilateral and not ctx.params.accept_rul_for_stage_V:
        counting = [key for key in LABELS if unilateral[0] in results[key].counted_trials]
        yield (
            f"{_names(counting)} count the right-unilateral ECT {', '.join(unilateral)}; "
            "Thase-Rush stage V needs bilateral ECT (right-unilateral ECT is not accepted for it)."
        )
