"""A deterministic synthetic clinic: a pure plan from a seed, then a fast bulk load."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.models import Clinic

MAX_TRIALS = 40
FIRST_ONSET = datetime.date(2010, 1, 1)
# Kinds that need no link to an earlier trial, with their relative frequency.
KINDS = (("antidepressant", 80), ("psychotherapy", 12), ("ECT", 5), ("rTMS", 3))
SCALES = (("PHQ9", 27), ("MADRS", 60), ("HAMD17", 52))


@dataclass(frozen=True)
class TrialPlan:
    kind: str
    agent_index: int | None  # into the sorted built-in antidepressants
    start: datetime.date
    weeks: int
    dose_factor: Decimal | None
    sessions: int | None
    percent: int | None


@dataclass(frozen=True)
class ScorePlan:
    scale: str
    on: datetime.date
    total: int


@dataclass(frozen=True)
class PatientPlan:
    record_number: str
    family_name: str
    given_name: str
    date_of_birth: datetime.date
    onset: datetime.date
    trials: tuple[TrialPlan, ...]
    scores: tuple[ScorePlan, ...]


def plan_patient(rng: random.Random, number: str, trials: int) -> PatientPlan:
    """Plan one patient with one current episode and the given number of trials."""
    onset = FIRST_ONSET + datetime.timedelta(days=rng.randrange(2000))
    day = onset
    planned = []
    for _ in range(trials):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        weeks = rng.choice((4, 6, 8, 8, 10, 12))
        drug = kind == "antidepressant"
        planned.append(
            TrialPlan(
                kind=kind,
                agent_index=rng.randrange(1000) if drug else None,
                start=day,
                weeks=weeks,
                dose_factor=Decimal(rng.choice(("0.5", "1", "1", "1.5", "2"))) if drug else None,
                sessions=None if drug else rng.randint(4, 20),
                percent=None if rng.random() < 0.1 else rng.randint(-10, 90),
            )
        )
        day += datetime.timedelta(weeks=weeks, days=rng.randrange(0, 30))
    scores = []
    for _ in range(rng.randint(1, 6)):
        scale, top = rng.choice(SCALES)
        on = onset + datetime.timedelta(days=rng.randrange(0, 700))
        scores.append(ScorePlan(scale=scale, on=on, total=rng.randint(0, top)))
    return PatientPlan(
        record_number=number,
        family_name=f"Bench{rng.randrange(10**6):06d}",
        given_name=rng.choice(("Alex", "Sam", "Robin", "Jo", "Kim", "Lee", "Noor", "Ana")),
        date_of_birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(25000)),
        onset=onset,
        trials=tuple(planned),
        scores=tuple(scores),
    )


def plan_clinic(patients: int, seed: int) -> list[PatientPlan]:
    """Plan the clinic: `patients` patients with 1-40 trials, then one with 5 and one with 40."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not security
    plans = [
        plan_patient(rng, f"B{index:06d}", rng.randint(1, MAX_TRIALS)) for index in range(patients)
    ]
    plans.append(plan_patient(rng, "PAGE-5", 5))
    plans.append(plan_patient(rng, "PAGE-40", 40))
    return plans


def load_clinic(plans: list[PatientPlan], clinic: Clinic, user: User, batch: int = 2000) -> None:
    """Bulk-load the plans into the clinic (bulk_create, no per-row saves or audit events)."""
    from records.models import Agent, Episode, Patient, ScaleAdministration, TreatmentTrial

    agents = list(
        Agent.objects.filter(clinic=None, role="antidepressant", minimum_dose_mg_per_day__gt=0)
        .order_by("name")
        .only("pk", "minimum_dose_mg_per_day")
    )
    stamp = {"created_by": user, "updated_by": user}
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                record_number=plan.record_number,
                family_name=plan.family_name,
                given_name=plan.given_name,
                date_of_birth=plan.date_of_birth,
                psychiatrist=user,
                **stamp,
            )
            for plan in plans
        ],
        batch_size=batch,
    )
    episodes = Episode.objects.bulk_create(
        [
            Episode(patient=patient, onset_date=plan.onset, **stamp)
            for patient, plan in zip(patients, plans, strict=True)
        ],
        batch_size=batch,
    )
    trials: list[TreatmentTrial] = []
    scores: list[ScaleAdministration] = []
    for episode, plan in zip(episodes, plans, strict=True):
        for seq, trial in enumerate(plan.trials, start=1):
            agent = None if trial.agent_index is None else agents[trial.agent_index % len(agents)]
            dose = None
            minimum = None if agent is None else agent.minimum_dose_mg_per_day
            if minimum is not None and trial.dose_factor is not None:
                dose = minimum * trial.dose_factor
            trials.append(
                TreatmentTrial(
                    episode=episode,
                    code=f"T{seq}",
                    seq=seq,
                    kind=trial.kind,
                    agent=agent,
                    dose_mg_per_day=dose,
                    start_date=trial.start,
                    end_date=trial.start + datetime.timedelta(weeks=trial.weeks),
                    weeks=Decimal(trial.weeks),
                    sessions=trial.sessions,
                    adherence="good" if agent is not None else "",
                    percent_symptom_reduction=(
                        None if trial.percent is None else Decimal(trial.percent)
                    ),
                    **stamp,
                )
            )
        scores.extend(
            ScaleAdministration(
                episode=episode,
                scale=score.scale,
                administered_on=score.on,
                total=Decimal(score.total),
                **stamp,
            )
            for score in plan.scores
        )
    TreatmentTrial.objects.bulk_create(trials, batch_size=batch)
    ScaleAdministration.objects.bulk_create(scores, batch_size=batch)
