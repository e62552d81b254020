"""Read statements compiled once a process, run again with other ids (issue 18, session 8).

Django builds and compiles a queryset's SQL every time it is evaluated. For the small reads of
the one change path (a patient's rows, the cases of its episodes, its clinic's rules) that cost
more CPU than the database's answer, at every clinician's save and every import. A `Statement`
is a queryset written once over a marker list of ids (`records.history_rows.any_of`, one array
parameter) and compiled at its first run; each run binds its own ids in the marker's place,
executes the same SQL in the caller's transaction and turns the rows into what the queryset
itself gives (tuples, single values or model instances with their `select_related` objects)
through the compiler's own converters, as Django's iterables do. Only the SQL and the way to read
its rows are kept, never a row: every run reads the database again (the choice ADR 0010 made
for the signed-in user). tests/integration/records/test_statements.py holds each kind of result
to the queryset's own.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

T = TypeVar("T")

# No row has a negative id: where this list lands among the compiled parameters, ids go.
_MARKER = [-7_340_031_419]
NOT_COMPILABLE = "A statement reads model instances, value tuples or single values only: {kind}."
OUTSIDE_TRANSACTION = "select_for_update cannot be used outside of a transaction."
IDS_ONCE = "A statement binds its ids once: {sql}"
IDS_EXACTLY = "A statement written over ids is run with ids, one written without them without."

Converters = tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


@dataclass(frozen=True)
class _Compiled:
    """A statement's SQL, where its ids go, and how its rows become the queryset's results."""

    using: str
    sql: str
    params: tuple[Any, ...]
    ids_at: int | None
    # Django's own extra columns (ORDER BY terms it selects): cut off the rows, as it does.
    columns: int | None
    # SELECT ... FOR UPDATE: refused outside a transaction, as Django refuses it.
    locks: bool
    converters: Converters
    results: Callable[[list[Sequence[Any]]], list[Any]]


def _models(compiler: SQLCompiler, using: str) -> Callable[[list[Sequence[Any]]], list[Any]]:
    """Return how `ModelIterable` makes a row into a model instance and its related objects."""
    select, klass_info = compiler.select, compiler.klass_info
    if klass_info is None:
        raise TypeError(NOT_COMPILABLE.format(kind="a model query without its model"))
    model = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    # django-stubs describe Django 6's signature (a fetch mode); 5.2 takes these three.
    populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]

    def instances(rows: list[Sequence[Any]]) -> list[Any]:
        made = []
        for row in rows:
            instance = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            made.append(instance)
        return made

    return instances


def _tuples(rows: list[Sequence[Any]]) -> list[Any]:
    return [tuple(row) for row in rows]


def _firsts(rows: list[Sequence[Any]]) -> list[Any]:
    return [row[0] for row in rows]


def _compile(queryset: "QuerySet[Any, Any]", *, convert: bool) -> _Compiled:
    kind = queryset._iterable_class
    # Annotations and known related objects are set on instances by ModelIterable alone.
    known = queryset._known_related_objects  # type: ignore[attr-defined]
    plain = not queryset.query.annotation_select and not known
    if kind not in (ModelIterable, ValuesListIterable, FlatValuesListIterable) or (
        kind is ModelIterable and not plain
    ):
        raise TypeError(NOT_COMPILABLE.format(kind=kind.__name__))
    using = queryset.db
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    marked = [index for index, param in enumerate(params) if param == _MARKER]
    if len(marked) > 1:
        raise TypeError(IDS_ONCE.format(sql=sql))
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(fields) if convert else {}
    if kind is ModelIterable:
        results = _models(compiler, using)
    else:
        results = _tuples if kind is ValuesListIterable else _firsts
    return _Compiled(
        using=using,
        sql=sql,
        params=tuple(params),
        ids_at=marked[0] if marked else None,
        columns=compiler.col_count if compiler.has_extra_select else None,
        locks=bool(queryset.query.select_for_update),
        converters=tuple((at, tuple(each), field) for at, (each, field) in converters.items()),
        results=results,
    )


def _converted(
    rows: list[Sequence[Any]], converters: Converters, connection: BaseDatabaseWrapper
) -> list[Sequence[Any]]:
    """Return the rows with each column's converters applied, as `SQLCompiler.apply_converters`."""
    converted: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for at, each, field in converters:
            value = values[at]
            for converter in each:
                value = converter(value, field, connection)
            values[at] = value
        converted.append(values)
    return converted


class Statement(Generic[T]):
    """A queryset compiled once, the first time it runs; run with ids, it reads them afresh.

    `build(ids)` returns the queryset for `ids`, written with `any_of` (one array parameter) or
    without ids at all; it is called once, with a marker. `convert=False` leaves every column as
    the database driver gives it, for a caller that converts the one column needing it itself.
    """

    def __init__(
        self, build: Callable[[list[int]], "QuerySet[Any, T]"], *, convert: bool = True
    ) -> None:
        self._build = build
        self._convert = convert
        self._compiled: _Compiled | None = None

    def _statement(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile(self._build(list(_MARKER)), convert=self._convert)
        return compiled

    def rows(self, ids: Collection[int] | None = None) -> list[T]:
        """Return what the queryset gives for `ids` (None: a statement without ids)."""
        compiled = self._statement()
        params = list(compiled.params)
        if (ids is None) != (compiled.ids_at is None):
            raise TypeError(IDS_EXACTLY)
        if compiled.ids_at is not None and ids is not None:
            params[compiled.ids_at] = [int(pk) for pk in ids]
        connection = connections[compiled.using]
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(OUTSIDE_TRANSACTION)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: list[Sequence[Any]] = cursor.fetchall()
        if compiled.columns is not None:
            rows = [row[: compiled.columns] for row in rows]
        if compiled.converters:
            rows = _converted(rows, compiled.converters, connection)
        return compiled.results(rows)

    def by_pk(self, ids: Collection[int]) -> dict[Any, T]:
        """Return the model instances for `ids` by primary key, as `QuerySet.in_bulk` does."""
        return {getattr(instance, "pk"): instance for instance in self.rows(ids)}  # noqa: B009
