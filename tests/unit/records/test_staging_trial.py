"""The adapter builds staging's trial positionally (restage, issue 18): each field in its own.

Each field of a compact row is given a value no other field has, so a field out of order (or a
field added to `staging.Trial` without the adapter) fails here.
"""

import dataclasses
import datetime
from decimal import Decimal

from records.history import staging_trial
from records.history_rows import EpisodeRow, TrialRow
from staging import history as staging


def _episode(pk: int) -> EpisodeRow:
    return EpisodeRow(
        pk=pk,
        patient_id=1,
        onset_date=datetime.date(2024, 1, 1),
        end_date=None,
        psychotic_features=None,
        baseline_severity_category="",
        baseline_scale="",
        baseline_score=None,
        functional_impairment="",
        comorbid_anxiety="",
        personality_disorder="",
        psychosocial_stressors="",
        staging_parameters={},
    )


def _row(**fields: object) -> TrialRow:
    values: dict[str, object] = {
        "pk": 7,
        "episode_id": 3,
        "code": "T7",
        "seq": 7,
        "kind": "antidepressant",
        "in_previous_episode": False,
        "agent_id": None,
        "agent_name": "an uncatalogued agent",
        "drug_class": "a class of its own",
        "dose_mg_per_day": Decimal("101"),
        "dose_mg_per_session": Decimal("3"),
        "serum_level_mmol_per_l": Decimal("0.7"),
        "start_date": datetime.date(2024, 2, 1),
        "end_date": None,
        "weeks": Decimal("9"),
        "dose_steps": None,
        "sessions": 11,
        "electrode_placement": "bitemporal",
        "therapy_type": "CBT",
        "therapist_trained": True,
        "adherence": "poor",
        "percent_symptom_reduction": Decimal("12.5"),
        "outcome_scale": "",
        "outcome_baseline_score": None,
        "outcome_end_score": None,
        "outcome": "switch_to_mania",
        "reason_stopped": "",
        "augments_id": 5,
        "prospective": False,
        "dose_optimised": True,
        "duration_extended": False,
        "episode": _episode(3),
        "agent": None,
    }
    values.update(fields)
    return TrialRow(**values)


def test_every_field_of_a_row_reaches_its_own_field_of_the_staged_trial():
    staged = staging_trial(_row(), episode=_episode(3), codes={5: "T5"})
    assert staged == staging.Trial(
        id="T7",
        seq=7,
        start_date=datetime.date(2024, 2, 1),
        kind=staging.TrialKind.ANTIDEPRESSANT,
        episode=staging.Episode.CURRENT,
        agent="an uncatalogued agent",
        drug_class="a class of its own",
        dose_mg_per_day=101.0,
        dose_mg_per_session=3.0,
        serum_level_mmol_per_l=0.7,
        weeks=9.0,
        sessions=11,
        electrode_placement=staging.Placement.BITEMPORAL,
        therapy_type="CBT",
        therapist_trained=True,
        adherence=staging.Adherence.POOR,
        percent_symptom_reduction=12.5,
        outcome=staging.TrialOutcome.SWITCH_TO_MANIA,
        dose_optimised=True,
        duration_extended=False,
        augments_trial="T5",
        prospective=False,
    )
    # Every field of staging's trial is set by the adapter, none left at its default.
    assert all(getattr(staged, field.name) != field.default for field in dataclasses.fields(staged))


def test_blank_choices_are_none_and_another_episode_makes_a_previous_trial():
    row = _row(electrode_placement="", adherence="", outcome="", augments_id=None)
    staged = staging_trial(row, episode=_episode(4), codes={})
    assert (staged.electrode_placement, staged.adherence, staged.outcome) == (None, None, None)
    assert staged.augments_trial is None
    assert staged.episode is staging.Episode.PREVIOUS
