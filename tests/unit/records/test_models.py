"""Records models: the catalogue matches staging's, and the database refuses malformed rows."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from records.models import Agent, AuditAction, AuditEvent
from staging.catalogue import AGENTS, Unit
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    builtin_agent,
)

pytestmark = pytest.mark.django_db


def test_builtin_catalogue_matches_staging_catalogue():
    """The data migration copied staging/catalogue.py; a drift needs a new data migration."""
    builtins = {agent.name.lower(): agent for agent in Agent.objects.filter(clinic=None)}
    assert set(builtins) == set(AGENTS)
    for key, entry in AGENTS.items():
        agent = builtins[key]
        minimum = (
            agent.minimum_serum_level_mmol_per_l
            if entry.unit is Unit.MMOL_PER_L
            else agent.minimum_dose_mg_per_day
        )
        assert (agent.name, agent.molecule, agent.drug_class, agent.role, agent.source) == (
            entry.name,
            entry.molecule,
            entry.drug_class,
            entry.role,
            entry.source,
        )
        assert float(minimum) == entry.minimum
        expected_weeks = None if entry.min_weeks is None else Decimal(str(entry.min_weeks))
        assert agent.minimum_weeks == expected_weeks


def refused(**fields: object) -> None:
    """Assert the database itself refuses a trial saved without validation."""
    with pytest.raises(IntegrityError), transaction.atomic():
        TrialFactory(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"end_date": datetime.date(2024, 1, 1)},
        {"dose_mg_per_day": Decimal(0)},
        {"sessions": -1},
        {"weeks": Decimal(-1)},
        {"percent_symptom_reduction": Decimal(101)},
        {"serum_level_mmol_per_l": Decimal("3.01")},
        {"override_adequate": True, "override_reason": ""},
        {"kind": "homeopathy"},
        {"agent_name": "sertraline"},
        {"outcome_scale": "HAMD17", "outcome_baseline_score": Decimal(20)},
    ],
)
def test_database_refuses_malformed_trials(fields):
    episode = EpisodeFactory()
    refused(episode=episode, start_date=datetime.date(2024, 6, 1), **fields)


def test_database_refuses_a_second_open_episode_and_an_end_before_onset():
    patient = PatientFactory()
    EpisodeFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeFactory(end_date=datetime.date(2024, 1, 1))


def test_database_refuses_a_negative_scale_total_and_a_trial_added_to_itself():
    with pytest.raises(IntegrityError), transaction.atomic():
        ScaleAdministrationFactory(total=Decimal(-1))
    trial = TrialFactory()
    trial.augments = trial
    with pytest.raises(IntegrityError), transaction.atomic():
        trial.save(update_fields=["augments"])


def test_trial_clean_names_the_fields_of_its_own_rules():
    trial = TrialFactory.build(
        episode=EpisodeFactory(),
        agent=None,
        agent_name="zuranolone",
        start_date=datetime.date(2024, 6, 1),
        end_date=datetime.date(2024, 5, 1),
        override_adequate=False,
        outcome_scale="MADRS",
        outcome_baseline_score=Decimal(61),
        outcome_end_score=Decimal(10),
    )
    with pytest.raises(ValidationError) as error:
        trial.full_clean()
    assert {
        "drug_class",
        "end_date",
        "override_reason",
        "outcome_baseline_score",
        "percent_symptom_reduction",
    } <= set(error.value.message_dict)


def test_derived_values_and_labels():
    episode = EpisodeFactory(baseline_score=Decimal(20))
    trial = TrialFactory(episode=episode, code="T1", agent=builtin_agent("moclobemide"))
    unknown = TrialFactory(
        episode=episode, code="T2", agent=None, agent_name="zuranolone", drug_class="GABA"
    )
    assert str(trial) == "T1 moclobemide (Antidepressant)"
    assert (trial.class_label, unknown.class_label) == ("RIMA", "GABA")
    assert str(episode) == "Episode 2024-05-01 – current"
    assert episode.is_current
    assert episode.baseline_category_for_staging == "moderate"
    episode.baseline_severity_category = ""
    assert episode.baseline_category_for_staging == "moderate"  # HAM-D17 20, from the score
    episode.baseline_score = Decimal(7)
    assert episode.baseline_category_for_staging == "subsyndromal"
    scored = ScaleAdministrationFactory(episode=episode, scale="MADRS", total=Decimal(36))
    assert (scored.band, scored.in_remission, scored.safety_alert) == ("severe", False, None)
    assert str(scored) == "MADRS 36 on 2024-05-08"
    event = AuditEvent.objects.create(action=AuditAction.VIEW, object_type="patient", object_id=1)
    assert "system opened patient 1" in str(event)
