"""A record's check constraints validated in one query, as Django validates them one by one.

`Model.full_clean()` runs each `CheckConstraint` as its own `SELECT` inside its own savepoint:
three queries per constraint, about sixty for a treatment trial. Here the record's values are
bound once and every check condition is one column of a single `SELECT`, with Django's own
semantics: a condition that is NULL passes (as in the database), a condition naming an
excluded field is skipped, and a database error while checking lets the constraint pass (Django
logs and passes it; PostgreSQL still refuses the row at insert). Unique constraints keep
Django's own validation (one query each).
"""

from collections.abc import Collection, Sequence
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, CheckConstraint, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

CHECK_ALIAS = "_check_{index}"


def violated_checks(
    instance: models.Model,
    model: type[models.Model],
    checks: Sequence[CheckConstraint],
    *,
    exclude: set[str] | None,
    using: str,
) -> list[CheckConstraint] | None:
    """Return the check constraints the instance's values violate; None when the query failed."""
    # The values exactly as Django's CheckConstraint.validate binds them (a private helper).
    against = instance._get_field_expression_map(  # type: ignore[attr-defined]
        meta=model._meta, exclude=exclude
    )
    query = Query(None)
    for name, value in against.items():
        expression = value if hasattr(value, "resolve_expression") else Value(value)
        query.add_annotation(expression, name, select=False)
    checked: list[CheckConstraint] = []
    for constraint in checks:
        condition = Coalesce(Q(constraint.condition), Value(True), output_field=BooleanField())
        try:
            query.add_annotation(condition, CHECK_ALIAS.format(index=len(checked)))
        except FieldError:
            continue  # it names an excluded field: Django's CheckConstraint.validate skips it
        checked.append(constraint)
    if not checked:
        return []
    connection = connections[using]
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        return None
    return [constraint for constraint, holds in zip(checked, row, strict=True) if not holds]


def constraints_validate(instance: models.Model, exclude: Collection[str] | None = None) -> None:
    """Validate the instance's constraints as `Model.validate_constraints`, checks in one query."""
    excluded = None if exclude is None else set(exclude)
    using = router.db_for_write(type(instance), instance=instance)
    errors: dict[str, Any] = {}
    for model, constraints in instance.get_constraints():
        checks = [c for c in constraints if type(c) is CheckConstraint]
        violated = violated_checks(instance, model, checks, exclude=excluded, using=using)
        for constraint in constraints:
            try:
                if violated is not None and any(constraint is check for check in checks):
                    if any(constraint is check for check in violated):
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                else:
                    constraint.validate(model, instance, exclude=excluded, using=using)
            except ValidationError as error:
                fields: tuple[str, ...] = getattr(constraint, "fields", ())
                if getattr(error, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
