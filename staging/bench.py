"""Throughput benchmark: random valid histories through every engine and through the CLI.

Run: python -m staging.bench [N]   (default 10000 histories, seed 1)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from staging.catalogue import ANTIDEPRESSANTS, AUGMENTERS, PSYCHOTHERAPY_SCHOOLS, Unit
from staging.history import (
    SEVERITY_LOWER_BOUNDS,
    Adherence,
    BaselineSeverity,
    Diagnosis,
    Episode,
    FunctionalImpairment,
    History,
    Params,
    PersonalityDisorder,
    Placement,
    Presence,
    SeverityCategory,
    Trial,
    TrialKind,
    TrialOutcome,
)
from staging.jsonio import history_to_json
from staging.registry import stage_all

# Relative frequency of each kind of trial in a generated history.
KIND_WEIGHTS = {
    TrialKind.ANTIDEPRESSANT: 50,
    TrialKind.AUGMENTATION: 12,
    TrialKind.COMBINATION: 8,
    TrialKind.PSYCHOTHERAPY: 12,
    TrialKind.ECT: 6,
    TrialKind.RTMS: 4,
    TrialKind.ESKETAMINE: 2,
    TrialKind.KETAMINE: 2,
    TrialKind.INPATIENT_ADMISSION: 3,
    TrialKind.DAY_TREATMENT: 1,
}
MAX_TRIALS = 12
THERAPIES = (*PSYCHOTHERAPY_SCHOOLS, "supportive counselling")
FIRST_ONSET = date(2012, 1, 1)
DEFAULT_COUNT = 10_000
T = TypeVar("T")


def generate_histories(n: int, seed: int) -> list[History]:
    """Generate n random valid histories, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    return [generate_history(rng) for _ in range(n)]


def generate_history(rng: random.Random) -> History:
    """Generate one random valid history from a random source (also hypothesis's randoms())."""
    onset = FIRST_ONSET + timedelta(days=rng.randrange(4000))
    assessment = onset + timedelta(days=rng.randrange(0, 1500))
    trials: list[Trial] = []
    for seq in range(1, rng.randint(0, MAX_TRIALS) + 1):
        trials.append(_trial(rng, seq, onset, assessment, trials))
    return History(
        diagnosis=rng.choices(list(Diagnosis), weights=(85, 10, 5))[0],
        episode_onset_date=onset,
        assessment_date=assessment,
        baseline_severity=_severity(rng),
        trials=tuple(trials),
        functional_impairment=_maybe(rng, list(FunctionalImpairment)),
        comorbid_anxiety=_maybe(rng, list(Presence)),
        personality_disorder=_maybe(rng, list(PersonalityDisorder)),
        psychosocial_stressors=_maybe(rng, list(Presence)),
    )


def _maybe(rng: random.Random, values: Sequence[T]) -> T | None:
    return None if rng.random() < 0.1 else rng.choice(values)


def _severity(rng: random.Random) -> BaselineSeverity:
    draw = rng.random()
    if draw < 0.1:
        return BaselineSeverity(psychotic_features=True)
    if draw < 0.6:
        return BaselineSeverity(category=rng.choice(list(SeverityCategory)))
    scale = rng.choice(list(SEVERITY_LOWER_BOUNDS))
    return BaselineSeverity(scale=scale, score=rng.randint(0, 40))


def _trial(
    rng: random.Random, seq: int, onset: date, assessment: date, earlier: list[Trial]
) -> Trial:
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    bases = [trial.id for trial in earlier if trial.kind is TrialKind.ANTIDEPRESSANT]
    if kind in (TrialKind.AUGMENTATION, TrialKind.COMBINATION) and not bases:
        kind = TrialKind.ANTIDEPRESSANT
    span = (assessment - onset).days + 1
    start = onset + timedelta(days=rng.randrange(-180, span))
    episode = rng.choice((None, None, None, Episode.CURRENT, Episode.PREVIOUS))
    if start < onset and episode is Episode.CURRENT:
        episode = None
    base = Trial(
        id=f"T{seq}",
        seq=seq,
        start_date=start,
        kind=kind,
        episode=episode,
        weeks=rng.choice((2, 4, 5, 6, 6, 8, 8, 10, 12, 16)),
        percent_symptom_reduction=None if rng.random() < 0.1 else rng.randint(-10, 90),
        prospective=rng.choice((None, None, True, False)),
        outcome=TrialOutcome.SWITCH_TO_HYPOMANIA if rng.random() < 0.02 else None,
    )
    if kind in (TrialKind.ANTIDEPRESSANT, TrialKind.COMBINATION):
        agent = rng.choice(ANTIDEPRESSANTS)
        return replace(
            base,
            agent=agent.name,
            dose_mg_per_day=agent.minimum * rng.choice((0.5, 1, 1, 1.5, 2)),
            adherence=Adherence.GOOD if rng.random() < 0.85 else Adherence.POOR,
            dose_optimised=rng.choice((None, True, False)),
            duration_extended=rng.choice((None, True, False)),
            augments_trial=rng.choice(bases) if kind is TrialKind.COMBINATION else None,
        )
    if kind is TrialKind.AUGMENTATION:
        agent = rng.choice(AUGMENTERS)
        by_level = agent.unit is Unit.MMOL_PER_L
        return replace(
            base,
            agent=agent.name,
            dose_mg_per_day=None if by_level else agent.minimum * rng.choice((0.5, 1, 2)),
            serum_level_mmol_per_l=rng.choice((None, 0.4, 0.5, 0.8)) if by_level else None,
            adherence=Adherence.GOOD if rng.random() < 0.85 else Adherence.POOR,
            augments_trial=rng.choice(bases),
        )
    if kind is TrialKind.PSYCHOTHERAPY:
        return replace(
            base,
            therapy_type=rng.choice(THERAPIES),
            sessions=rng.randint(2, 20),
            therapist_trained=rng.choice((None, True, False)),
        )
    return replace(
        base,
        sessions=rng.randint(0, 30),
        electrode_placement=rng.choice(list(Placement)) if kind is TrialKind.ECT else None,
        dose_mg_per_session=rng.choice((28, 56, 84)) if kind is TrialKind.ESKETAMINE else None,
    )


def measure(n: int, seed: int = 1) -> tuple[float, float]:
    """Return engine histories/s (best of 3) and the seconds `python -m staging` takes for n."""
    histories = generate_histories(n, seed)
    params = Params()
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for history in histories:
            stage_all(history, params)
        best = max(best, n / (time.perf_counter() - started))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "histories.json"
        path.write_text(json.dumps([history_to_json(history) for history in histories]))
        started = time.perf_counter()
        # A fresh interpreter, as a user runs it: start-up, parsing, staging and output.
        subprocess.run(  # noqa: S603 - this interpreter on a file it has just written
            [sys.executable, "-m", "staging", str(path)],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        seconds = time.perf_counter() - started
    return best, seconds


def main(argv: Sequence[str]) -> int:
    """Print the engines' histories/s and the CLI's time for N histories."""
    parser = argparse.ArgumentParser(prog="python -m staging.bench", description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=DEFAULT_COUNT)
    n = parser.parse_args(argv).count
    per_second, seconds = measure(n)
    print(f"engines: {per_second:,.0f} histories/s over {n:,} histories (all models, one core)")
    print(f"cli: {seconds:.2f} s for {n:,} histories (python -m staging, start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
