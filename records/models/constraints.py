"""A record's check constraints validated in one query, as Django validates them one by one.

`Model.full_clean()` runs each `CheckConstraint` as its own `SELECT` inside its own savepoint:
three queries per constraint, about sixty for a treatment trial. Here the record's values are
bound once, as one row, and every check condition is one column of a single `SELECT` compiled
once per model and set of excluded fields, with Django's own semantics: a condition that is
NULL passes (as in the database), a condition naming an excluded field is skipped, and a
database error while checking lets the constraint pass (Django logs and passes it; PostgreSQL
still refuses the row at insert). Unique constraints keep Django's own validation (one query
each).
"""

import re
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import CheckConstraint, Q
from django.db.models.sql import Query

CHECK_ALIAS = "_check_{index}"
# A column type's modifiers ("numeric(6, 2)", "varchar(40)"): the row is cast to the bare type,
# so a value is compared as given, not first rounded or cut to the column.
_TYPE_MODIFIERS = re.compile(r"\(.*\)")


@dataclass(frozen=True)
class _Statement:
    """One model's check conditions over one row of values, compiled once per excluded fields."""

    sql: str
    condition_params: tuple[Any, ...]
    fields: tuple["models.Field[Any, Any]", ...]
    checked: tuple[CheckConstraint, ...]


_statements: dict[tuple[type[models.Model], tuple[str, ...], frozenset[str], str], _Statement] = {}


def _statement(
    model: type[models.Model], checks: Sequence[CheckConstraint], names: frozenset[str], using: str
) -> _Statement:
    """Return the SELECT of the checks whose fields are all among `names`, over a VALUES row.

    Each condition is compiled as Django compiles it into the table's own CHECK constraint
    (`CheckConstraint._get_check_sql`, unqualified columns), here over a one-row VALUES list
    named like the table, so the database evaluates exactly the constraint it enforces.
    """
    key = (model, tuple(check.name for check in checks), names, using)
    if (statement := _statements.get(key)) is None:
        connection = connections[using]
        quote = connection.ops.quote_name
        references = {check.name: Q(check.condition).referenced_base_fields for check in checks}
        checked = tuple(check for check in checks if references[check.name] <= names)
        referenced = set().union(*(references[check.name] for check in checked))
        fields = tuple(
            field
            for field in model._meta.local_concrete_fields
            if field.name in referenced or (field.primary_key and "pk" in referenced)
        )
        query = Query(model=model, alias_cols=False)
        compiler = query.get_compiler(connection=connection)
        conditions: list[str] = []
        params: list[Any] = []
        for index, constraint in enumerate(checked):
            sql, condition_params = query.build_where(Q(constraint.condition)).as_sql(
                compiler, connection
            )
            # A condition that is NULL passes, as in the database.
            alias = quote(CHECK_ALIAS.format(index=index))
            conditions.append(f"({sql}) IS NOT FALSE AS {alias}")
            params.extend(condition_params)
        row = ", ".join(
            f"%s::{_TYPE_MODIFIERS.sub('', str(field.db_type(connection)))}" for field in fields
        )
        columns = ", ".join(quote(str(field.column)) for field in fields)
        # Names and types from the model, conditions compiled by Django; values are parameters.
        sql = (
            f"SELECT {', '.join(conditions)} "  # noqa: S608  # nosec B608
            f"FROM (VALUES ({row})) AS {quote(model._meta.db_table)} ({columns})"
        )
        statement = _statements[key] = _Statement(sql, tuple(params), fields, checked)
    return statement


def _names(model: type[models.Model], exclude: set[str]) -> frozenset[str]:
    """Return the names a check may use, as `Model._get_field_expression_map` offers them."""
    names = {field.name for field in model._meta.local_concrete_fields} - exclude
    if "pk" not in exclude:
        names.add("pk")
    return frozenset(names)


def violated_checks(
    instance: models.Model,
    model: type[models.Model],
    checks: Sequence[CheckConstraint],
    *,
    exclude: set[str] | None,
    using: str,
) -> list[CheckConstraint] | None:
    """Return the check constraints the instance's values violate; None when the query failed.

    A check naming an excluded field is skipped, as Django's `CheckConstraint.validate` skips
    it. Values Django would not bind as plain values (an expression assigned to a field, a
    generated field) take Django's own way, one check at a time (None).
    """
    if not checks:
        return []
    if any(field.generated for field in model._meta.local_concrete_fields):
        return None
    statement = _statement(model, checks, _names(model, exclude or set()), using)
    if not statement.checked:
        return []
    connection = connections[using]
    values = []
    for field in statement.fields:
        value = getattr(instance, field.attname)
        if hasattr(value, "resolve_expression"):
            return None
        values.append(field.get_db_prep_value(value, connection=connection))
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint, connection.cursor() as cursor:
            cursor.execute(statement.sql, (*statement.condition_params, *values))
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return [
        constraint for constraint, holds in zip(statement.checked, row, strict=True) if not holds
    ]


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
