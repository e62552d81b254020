"""The records' check constraints validated in one query (records/models/constraints.py) give
exactly Django's errors: every check constraint of each clinical model is pushed over its edge by
hostile values of the fields it names, one field at a time and all at once."""

import copy
import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from records.models import Agent, Episode, Patient, ScaleAdministration, TreatmentTrial
from records.models.constraints import violated_checks
from tests.factories import (
    AgentFactory,
    EpisodeFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
)

HOSTILE: dict[str, list[Any]] = {
    "CharField": ["not-a-code", ""],
    "TextField": ["not-a-code", ""],
    "DecimalField": [Decimal(-1), Decimal(0), Decimal("9999.99")],
    "FloatField": [-1.0, 0.0, 1e6],
    # 10**12 is beyond an integer column: the one-row check fails and Django's own checks run.
    "IntegerField": [-1, 0, 100_000, 10**12],
    "PositiveIntegerField": [0, 100_000],
    "PositiveSmallIntegerField": [0, 30_000],
    "SmallIntegerField": [-1, 0, 30_000],
    "DateField": [datetime.date(1900, 1, 1), datetime.date(2100, 1, 1)],
    "JSONField": [[], "text", {}],
}


def _errors(error: ValidationError | None) -> dict[str, list[tuple[str, str | None]]]:
    if error is None:
        return {}
    return {
        field: sorted(
            (str(message.message % (message.params or {})), message.code) for message in messages
        )
        for field, messages in error.error_dict.items()
    }


def _outcome(check: Any, instance: models.Model, exclude: list[str] | None) -> dict[str, Any]:
    try:
        check(instance, exclude=exclude)
    except ValidationError as error:
        return _errors(error)
    return {}


def _constrained_fields(model: type[models.Model]) -> "list[models.Field[Any, Any]]":
    names = {
        reference[0]
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
        for reference in model._get_expr_references(constraint.condition)
    }
    return [model._meta.get_field(name) for name in sorted(names - {"pk"})]  # type: ignore[misc]


def _variants(instance: models.Model) -> Iterator[models.Model]:
    everything = copy.copy(instance)
    for field in _constrained_fields(type(instance)):
        values = [*HOSTILE.get(field.get_internal_type(), [])]
        if field.null:
            values.append(None)
        for value in values:
            variant = copy.copy(instance)
            setattr(variant, field.attname, value)
            setattr(everything, field.attname, value)
            yield variant
    yield everything


@pytest.fixture
def records(db: None) -> list[models.Model]:
    trial = TrialFactory(
        end_date=datetime.date(2025, 3, 1), serum_level_mmol_per_l=None, dose_mg_per_session=None
    )
    return [
        trial,
        trial.episode,
        trial.episode.patient,
        ScaleAdministrationFactory(),
        AgentFactory(),
        PatientFactory(),
        EpisodeFactory(end_date=datetime.date(2024, 9, 1)),
    ]


def test_every_check_constraint_fails_with_djangos_own_errors(records: list[models.Model]) -> None:
    compared = violations = 0
    for record in records:
        for variant in _variants(record):
            for exclude in (None, ["end_date", "total"]):
                ours = _outcome(type(variant).validate_constraints, variant, exclude)
                djangos = _outcome(models.Model.validate_constraints, variant, exclude)
                assert ours == djangos, (type(variant).__name__, exclude)
                compared += 1
                violations += bool(djangos)
    assert violations > 40, "the hostile values push constraints over their edges"
    assert compared > 100


@pytest.mark.parametrize(
    "model",
    [TreatmentTrial, Episode, Patient, ScaleAdministration, Agent],
    ids=lambda m: m.__name__,
)
def test_a_records_check_constraints_cost_one_query(
    records: list[models.Model], model: type[models.Model]
) -> None:
    record = next(record for record in records if isinstance(record, model))
    checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
    with CaptureQueriesContext(connection) as djangos:
        models.Model.validate_constraints(record)
    with CaptureQueriesContext(connection) as ours:
        record.validate_constraints()
    assert len([query for query in ours if '"_check_' in query["sql"]]) == 1
    # Django runs each check in its savepoint (three queries); the unique constraints are its own.
    assert len(ours) == len(djangos) - 3 * len(checks) + 3


def test_a_value_beyond_its_column_type_falls_back_to_djangos_checks(
    records: list[models.Model],
) -> None:
    trial = next(record for record in records if isinstance(record, TreatmentTrial))
    trial.sessions = 10**12
    checks = [c for c in TreatmentTrial._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert violated_checks(trial, TreatmentTrial, checks, exclude=None, using="default") is None
    assert _outcome(TreatmentTrial.validate_constraints, trial, None) == _outcome(
        models.Model.validate_constraints, trial, None
    )
