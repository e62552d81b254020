"""Compact rows of patients, episodes, trials and scores, for staging many episodes at once.

A model instance costs tens of microseconds to build; a change's listeners (the impasse flags
and the staging snapshots, restage's whole work) read only the fields the adapter
(records/history.py) and the snapshot read. They are loaded with `values_list` into named tuples
that borrow the models' own properties (weeks from the dates, the percent from the scores, the
dose steps), so a row reads exactly as its model instance does (issue 18). Their statements
are compiled once a process (records/statements.py).
"""

import datetime
import json
from collections.abc import Collection
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, JSONField, Lookup, Value
from django.db.models.functions import NullIf
from django.db.models.sql.compiler import SQLCompiler

from records.models import (
    Agent,
    Clinic,
    Episode,
    Patient,
    ScaleAdministration,
    TreatmentTrial,
)
from records.statements import Statement


class AnyOf(Lookup):
    """`column = ANY(ids)`: the ids as one array parameter (`filter(AnyOf(F("pk"), ids))`).

    `pk__in=ids` costs Django a preparation and a placeholder per id, about 1.5 ms for restage's
    batches of 500 episodes in each of its queries (issue 18); the driver adapts a list at once.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, [int(pk) for pk in self.rhs])


def any_of(field: str, ids: Collection[int]) -> AnyOf:
    """Return the condition that `field` is one of `ids` (an integer column)."""
    return AnyOf(F(field), list(ids))


class PatientRow(NamedTuple):
    pk: int
    clinic_id: int
    diagnosis: str
    archived_at: datetime.datetime | None


class EpisodeRow(NamedTuple):
    pk: int
    patient_id: int
    onset_date: datetime.date
    end_date: datetime.date | None
    psychotic_features: bool | None
    baseline_severity_category: str
    baseline_scale: str
    baseline_score: Decimal | None
    functional_impairment: str
    comorbid_anxiety: str
    personality_disorder: str
    psychosocial_stressors: str
    staging_parameters: dict[str, Any]


class _TrialValues(NamedTuple):
    pk: int
    episode_id: int
    code: str
    seq: int
    kind: str
    in_previous_episode: bool
    agent_id: int | None
    agent_name: str
    drug_class: str
    dose_mg_per_day: Decimal | None
    dose_mg_per_session: Decimal | None
    serum_level_mmol_per_l: Decimal | None
    start_date: datetime.date
    end_date: datetime.date | None
    weeks: Decimal | None
    dose_steps: list[dict[str, Any]] | None
    sessions: int | None
    electrode_placement: str
    therapy_type: str
    therapist_trained: bool | None
    adherence: str
    percent_symptom_reduction: Decimal | None
    outcome_scale: str
    outcome_baseline_score: Decimal | None
    outcome_end_score: Decimal | None
    outcome: str
    reason_stopped: str
    augments_id: int | None
    prospective: bool | None
    dose_optimised: bool | None
    duration_extended: bool | None
    episode: EpisodeRow
    agent: Agent | None


class TrialRow(_TrialValues):
    """A trial as the adapter reads it, with its episode's row and its catalogued agent."""

    __slots__ = ()

    # The model's own readings of these fields (records/models/trial.py).
    weeks_from_dates = TreatmentTrial.weeks_from_dates
    counted_weeks = TreatmentTrial.counted_weeks
    step_entries = TreatmentTrial.step_entries
    steps = TreatmentTrial.steps
    outcome_from_scores = TreatmentTrial.outcome_from_scores
    percent_reduction = TreatmentTrial.percent_reduction


# The trial's own columns: every field of the row but the episode and agent set by the loader.
TRIAL_COLUMNS = TrialRow._fields[:-2]
# Most trials have no dose steps: read their empty list as NULL, which costs no JSON decoding.
_DOSE_STEPS = NullIf(F("dose_steps"), Value([], output_field=JSONField()))
_TRIAL_SELECT = tuple(_DOSE_STEPS if name == "dose_steps" else name for name in TRIAL_COLUMNS)
_STEPS_AT = TRIAL_COLUMNS.index("dose_steps")


class _ScoreValues(NamedTuple):
    pk: int
    episode_id: int
    scale: str
    scale_version: str
    administered_on: datetime.date
    total: Decimal | None


class ScoreRow(_ScoreValues):
    """A rating-scale score as the snapshot reads it."""

    __slots__ = ()

    # The model's own readings (records/models/scale.py).
    code = ScaleAdministration.code
    total_value = ScaleAdministration.total_value
    in_remission = ScaleAdministration.in_remission


_PATIENTS = Statement(
    lambda ids: Patient.objects.filter(any_of("pk", ids)).values_list(*PatientRow._fields)
)
_CLINICS = Statement(
    lambda ids: Clinic.objects.select_related("staging_defaults").filter(any_of("pk", ids))
)
_EPISODES = Statement(
    lambda ids: (
        Episode.objects.filter(any_of("patient_id", ids))
        .order_by("patient_id", "pk")
        .values_list(*EpisodeRow._fields)
    )
)
# The trial columns need no converter but the dose steps' JSON, which `HistoryRows` decodes
# (`_json_value`) as `JSONField` does: Django's converter loop cost about as much as the
# driver's own fetch for restage's 20,000 trials (issue 18).
_TRIALS = Statement(
    lambda ids: TreatmentTrial.objects.filter(any_of("episode_id", ids)).values_list(
        *_TRIAL_SELECT
    ),
    convert=False,
)
_AGENTS = Statement(lambda ids: Agent.objects.filter(any_of("pk", ids)))


class HistoryRows:
    """The rows of some patients: their clinics (with staging defaults), episodes and trials.

    Five statements whatever the number of patients and trials, each compiled once a process
    (records/statements.py).
    """

    def __init__(self, patient_ids: Collection[int]) -> None:
        ids = sorted(set(patient_ids))
        self.patients = {row[0]: PatientRow._make(row) for row in _PATIENTS.rows(ids)}
        self.clinics = _CLINICS.by_pk({patient.clinic_id for patient in self.patients.values()})
        self.episodes = {row[0]: EpisodeRow._make(row) for row in _EPISODES.rows(ids)}
        self.trials: dict[int, list[TrialRow]] = {pk: [] for pk in self.patients}
        rows = _TRIALS.rows(self.episodes)
        agent_at = TRIAL_COLUMNS.index("agent_id")
        agents = _AGENTS.by_pk({row[agent_at] for row in rows if row[agent_at]})
        episodes = self.episodes
        trials = self.trials
        for values in rows:
            episode = episodes[values[1]]
            agent_id = values[agent_at]
            if values[_STEPS_AT] is not None:
                values = (
                    *values[:_STEPS_AT],
                    _json_value(values[_STEPS_AT]),
                    *values[_STEPS_AT + 1 :],
                )
            trials[episode.patient_id].append(
                TrialRow._make((*values, episode, agents.get(agent_id) if agent_id else None))
            )


def _json_value(value: Any) -> Any:
    """Return a JSON column's value as `JSONField.from_db_value` does (the driver gives text)."""
    return json.loads(value) if isinstance(value, str) else value


_SCORES = Statement(
    lambda ids: (
        ScaleAdministration.objects.filter(any_of("episode_id", ids))
        .order_by("administered_on", "pk")
        .values_list(*ScoreRow._fields)
    )
)


def episode_scores(episode_ids: Collection[int]) -> dict[int, list[ScoreRow]]:
    """Return the rating-scale scores of episodes, by episode, in date order (one query)."""
    scores: dict[int, list[ScoreRow]] = {pk: [] for pk in episode_ids}
    for values in _SCORES.rows(episode_ids):
        scores[values[1]].append(ScoreRow._make(values))
    return scores
