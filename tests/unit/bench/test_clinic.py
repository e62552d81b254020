"""The benchmark's synthetic clinic is the same for the same seed (pure Python, no database)."""

from bench.clinic import MAX_TRIALS, plan_clinic
from bench.measure import percentile


def test_same_seed_same_clinic() -> None:
    assert plan_clinic(30, seed=7) == plan_clinic(30, seed=7)


def test_other_seed_other_clinic() -> None:
    assert plan_clinic(30, seed=7) != plan_clinic(30, seed=8)


def test_page_patients_and_trial_counts() -> None:
    plans = plan_clinic(50, seed=1)
    by_number = {plan.record_number: plan for plan in plans}
    assert len(by_number) == 52
    assert len(by_number["PAGE-5"].trials) == 5
    assert len(by_number["PAGE-40"].trials) == 40
    assert all(1 <= len(plan.trials) <= MAX_TRIALS for plan in plans)


def test_trials_follow_each_other_from_the_onset() -> None:
    for plan in plan_clinic(20, seed=3):
        starts = [trial.start for trial in plan.trials]
        assert starts == sorted(starts)
        assert starts[0] == plan.onset


def test_percentile_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
