"""Verdicts made once and reused (staging.adequacy.Assessed) stage exactly as fresh ones (issue 18).

The change listeners stage an episode twice: as recorded, and without the trials a RED
checklist concern removes. Both reuse the verdicts made for the checklist; a verdict whose
strengtheners changed with the removal must be made again, never reused.
"""

import random
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from staging.adequacy import assess_history, index_history
from staging.bench import generate_history
from staging.history import Adherence, BaselineSeverity, History, Params, TrialKind
from staging.registry import stage_all
from tests.unit.staging.builders import history, trial
from tests.unit.staging.test_properties import parameters

histories = st.randoms(use_true_random=False).map(generate_history)


@settings(max_examples=150, deadline=None)
@given(histories, parameters, st.randoms(use_true_random=False))
def test_reused_verdicts_stage_as_fresh_ones_with_and_without_some_trials(
    hist: History, params: Params, rng: random.Random
):
    made = assess_history(hist, params)
    assert stage_all(hist, params, made) == stage_all(hist, params)
    kept = tuple(t for t in hist.trials if rng.random() < 0.6)
    fewer = replace(hist, trials=kept)
    assert stage_all(fewer, params, made) == stage_all(fewer, params)


def test_a_verdict_whose_augmentation_was_removed_is_made_again():
    base = trial("T1", dose_mg_per_day=150, weeks=8)
    added = trial(
        "T2",
        kind=TrialKind.AUGMENTATION,
        agent="aripiprazole",
        dose_mg_per_day=5,
        weeks=6,
        augments_trial="T1",
        start_date=date(2024, 3, 1),
        adherence=Adherence.GOOD,
    )
    hist = history(base, added)
    params = Params()
    made = assess_history(hist, params)
    assert made.verdicts["T1"].level == 5
    alone = replace(hist, trials=(base,))
    assert made.verdict(base, index_history(alone), params) is None
    assert stage_all(alone, params, made) == stage_all(alone, params)


def test_verdicts_hold_only_for_their_own_parameters_trials_and_psychotic_features():
    base = trial("T1")
    hist = history(base)
    params = Params()
    made = assess_history(hist, params)
    index = index_history(hist)
    assert made.verdict(base, index, params) is made.verdicts["T1"]
    assert made.verdict(base, index, Params()) is None
    assert made.verdict(replace(base, weeks=2), index, params) is None
    psychotic = replace(hist, baseline_severity=BaselineSeverity(psychotic_features=True))
    assert made.verdict(base, index_history(psychotic), params) is None


def test_two_trials_with_one_id_are_each_assessed_on_their_own():
    low = trial("T1", dose_mg_per_day=25)
    high = trial("T1", dose_mg_per_day=150, start_date=date(2024, 3, 1))
    hist = history(low, high)
    params = Params()
    assert stage_all(hist, params, assess_history(hist, params)) == stage_all(hist, params)


def test_an_augmentation_whose_target_lost_another_strengthener_is_made_again():
    base = trial("T1", dose_mg_per_day=150, weeks=8)
    first, second = (
        trial(
            trial_id,
            kind=TrialKind.AUGMENTATION,
            agent=agent,
            dose_mg_per_day=dose,
            weeks=6,
            augments_trial="T1",
            start_date=date(2024, 3, 1),
            adherence=Adherence.GOOD,
        )
        for trial_id, agent, dose in (("T2", "aripiprazole", 5), ("T3", "lithium", 600))
    )
    hist = history(base, first, second)
    params = Params()
    made = assess_history(hist, params)
    without_second = replace(hist, trials=(base, first))
    index = index_history(without_second)
    assert index.strengtheners.get("T2") == made.index.strengtheners.get("T2")
    assert made.verdict(first, index, params) is None
    assert stage_all(without_second, params, made) == stage_all(without_second, params)
