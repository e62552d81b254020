"""Properties over random valid histories (the benchmark's generator, driven by hypothesis)."""

import io
import json
import random
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from staging.adequacy import OutcomeCategory, assess_trial, index_history
from staging.bench import generate_history
from staging.catalogue import ANTIDEPRESSANTS
from staging.cli import main
from staging.history import (
    DRUG_KINDS,
    Adherence,
    Diagnosis,
    History,
    NonresponseRule,
    Params,
    Trial,
    TrialKind,
    is_current,
)
from staging.jsonio import history_to_json, parse_history, results_to_json
from staging.registry import stage_all
from staging.result import ModelResult
from staging.thase_rush import STAGES

histories = st.randoms(use_true_random=False).map(generate_history)
parameters = st.builds(
    Params,
    nonresponse_rule=st.sampled_from(NonresponseRule),
    canadian_min_weeks=st.sampled_from([4, 5, 6]),
    chronic_months=st.integers(12, 24),
    accept_rul_for_stage_V=st.booleans(),
    trsm_order_based=st.booleans(),
    msm_used_means_any_use=st.booleans(),
    conway_psychotherapy_schools_distinct=st.booleans(),
    markowitz_prospective_only=st.booleans(),
    markowitz_require_combined=st.booleans(),
    psychotic_requires_antipsychotic=st.booleans(),
)
EXAMPLES = settings(max_examples=150, deadline=None)


def decisions(results: dict[str, ModelResult]) -> dict[str, tuple[object, ...]]:
    """Every result field but the text (explanation and warnings)."""
    return {key: tuple(result[:15]) for key, result in results.items()}


@EXAMPLES
@given(histories, parameters)
def test_previous_episode_trials_never_change_a_result(history: History, params: Params):
    onset = history.episode_onset_date
    current = tuple(trial for trial in history.trials if is_current(trial, onset))
    alone = replace(history, trials=current)
    assert decisions(stage_all(history, params)) == decisions(stage_all(alone, params))


@EXAMPLES
@given(histories)
def test_bipolar_makes_every_model_not_applicable(history: History):
    results = stage_all(replace(history, diagnosis=Diagnosis.BIPOLAR), Params())
    assert all(not result.applicable for result in results.values())
    assert all(result[4:14] == (None,) * 10 for result in results.values())


@EXAMPLES
@given(histories, parameters, st.randoms(use_true_random=False))
def test_the_order_of_the_trial_list_changes_nothing(
    history: History, params: Params, rng: random.Random
):
    shuffled = list(history.trials)
    rng.shuffle(shuffled)
    other = replace(history, trials=tuple(shuffled))
    assert stage_all(history, params) == stage_all(other, params)


@EXAMPLES
@given(histories, st.sampled_from(ANTIDEPRESSANTS), st.integers(0, 400))
def test_another_failed_adequate_antidepressant_never_lowers_a_stage(
    history: History, agent: object, day: int
):
    added = Trial(
        id="NEW",
        seq=99,
        start_date=history.episode_onset_date + timedelta(days=day),
        kind=TrialKind.ANTIDEPRESSANT,
        agent=agent.name,  # type: ignore[attr-defined]
        dose_mg_per_day=agent.minimum,  # type: ignore[attr-defined]
        weeks=6,
        adherence=Adherence.GOOD,
        percent_symptom_reduction=0,
    )
    before = stage_all(history, Params())
    after = stage_all(replace(history, trials=(*history.trials, added)), Params())
    if history.diagnosis is Diagnosis.BIPOLAR:
        assert after == before
        return
    assert (after["mgh_s"].score or 0) >= (before["mgh_s"].score or 0)
    items_before = before["msm"].items or {"antidepressants": 0}
    assert (after["msm"].items or {})["antidepressants"] >= items_before["antidepressants"]
    assert STAGES.index(str(after["thase_rush"].stage)) >= STAGES.index(
        str(before["thase_rush"].stage)
    )


@EXAMPLES
@given(histories, parameters)
def test_json_round_trip_stages_identically(history: History, params: Params):
    parsed = parse_history(json.loads(json.dumps(history_to_json(history, params))))
    assert parsed == (history, params)
    assert stage_all(*parsed) == stage_all(history, params)


@settings(max_examples=50, deadline=None)
@given(st.lists(histories, max_size=4), parameters)
def test_cli_output_equals_the_engine_output(batch: list[History], params: Params):
    document = [history_to_json(history, params) for history in batch]
    out, err = io.StringIO(), io.StringIO()
    assert main(["-"], io.StringIO(json.dumps(document)), out, err) == 0
    engine = [results_to_json(stage_all(history, params)) for history in batch]
    assert json.loads(out.getvalue()) == json.loads(json.dumps(engine))


@EXAMPLES
@given(histories, parameters)
def test_prd_is_a_partial_response_without_the_minimal_improvement_pattern(
    history: History, params: Params
):
    # 12.4 (spec 1.2), recomputed from the trial verdicts rather than the engine's own lists.
    index = index_history(history)
    onset = history.episode_onset_date
    partial = any(
        trial.kind in DRUG_KINDS
        and is_current(trial, onset)
        and (verdict := assess_trial(trial, index, params)).adequate
        and verdict.outcome is OutcomeCategory.PARTIAL_RESPONSE
        for trial in history.trials
    )
    profile = stage_all(history, params)["response_profile"]
    if profile.applicable:
        assert profile.prd is (partial and not profile.trd_minimal_improvement)
