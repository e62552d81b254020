"""The signed-in user of a request read in one statement: the user, their roles and second factors.

Every page needs three things about its user before it starts: the user (Django's session
authentication), their memberships with the clinics (records/access.py) and whether the device
that verified the session's second factor still exists, is theirs and is confirmed (django-otp's
OTPMiddleware). Through the ORM they were three queries and about 2.4 ms of CPU on every request,
almost all of it building and compiling the queries; this one statement, written once from the
models' own fields and turned back into model instances as the ORM does, takes about 0.2 ms
(issue 18, docs/adr/0010-signed-in-user-in-one-statement.md). It reads the database on every
request: nothing outlives the request's own user object, so a role removed or a device reset
counts from the next request, as before.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Field, Model
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Clinic, ClinicStagingDefaults, Membership

# The device types a session can be verified with: the authenticator app and recovery codes.
DEVICE_MODELS: tuple[type[Device], ...] = (TOTPDevice, StaticDevice)
_LOADED_ATTRIBUTE = "_trdclinic_signed_in"


@dataclass(frozen=True)
class SignedIn:
    """What the request's user holds, read with the user: memberships and confirmed devices."""

    # In Membership's order (its Meta.ordering), each with its clinic and staging defaults.
    memberships: tuple[Membership, ...]
    # django-otp's persistent ids ("otp_totp.totpdevice/7") of the user's confirmed devices.
    confirmed_devices: frozenset[str]


@dataclass(frozen=True)
class _Columns:
    """One model's columns in the statement: where they start, and how to make the instance."""

    model: type[Model]
    start: int
    attnames: list[str]
    primary_key: int
    converters: list[tuple[int, Callable[..., Any], "Field[Any, Any]"]]

    @property
    def end(self) -> int:
        return self.start + len(self.attnames)

    def instance(self, row: Sequence[Any]) -> Any:
        """Return the model instance of the row's columns, None when the outer join found none."""
        values = list(row[self.start : self.end])
        if values[self.primary_key] is None:
            return None
        for index, converter, field in self.converters:
            values[index] = converter(values[index], field, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


@dataclass(frozen=True)
class _Statement:
    sql: str
    user: _Columns
    membership: _Columns
    clinic: _Columns
    defaults: _Columns


def _columns(model: type[Model], alias: str, start: int) -> tuple[_Columns, str]:
    # Every concrete field in the model's own order, as Model.from_db takes a full row.
    fields = list(model._meta.concrete_fields)
    converters = [
        (index, converter, field)
        for index, field in enumerate(fields)
        for converter in field.get_db_converters(connection)
    ]
    attnames = [field.attname for field in fields]
    # A NULL primary key is a row the outer joins did not find.
    primary_key = next(index for index, field in enumerate(fields) if field.primary_key)
    columns = _Columns(model, start, attnames, primary_key, converters)
    quote = connection.ops.quote_name
    return columns, ", ".join(f"{alias}.{quote(cast(str, field.column))}" for field in fields)


@cache
def _statement() -> _Statement:
    """Return the statement, written once a process from the models' current fields."""
    user, user_sql = _columns(User, "u", 0)
    membership, membership_sql = _columns(Membership, "m", user.end)
    clinic, clinic_sql = _columns(Clinic, "c", membership.end)
    defaults, defaults_sql = _columns(ClinicStagingDefaults, "d", clinic.end)
    # Names from the models' metadata only; the user id is the statement's one parameter.
    devices = ", ".join(
        f'ARRAY(SELECT "id" FROM "{model._meta.db_table}" '  # noqa: S608  # nosec B608
        f'WHERE "user_id" = u."id" AND "confirmed" ORDER BY "id")'
        for model in DEVICE_MODELS
    )
    # Membership's Meta.ordering (clinic__name, role), which access_for_user's first clinic
    # follows; tests/integration/security/test_signed_in.py holds it to the ORM's.
    sql = (
        f"SELECT {user_sql}, {membership_sql}, {clinic_sql}, {defaults_sql}, {devices} "  # noqa: S608  # nosec B608
        f'FROM "{User._meta.db_table}" u '
        f'LEFT JOIN "{Membership._meta.db_table}" m ON m."user_id" = u."id" '
        f'LEFT JOIN "{Clinic._meta.db_table}" c ON c."id" = m."clinic_id" '
        f'LEFT JOIN "{ClinicStagingDefaults._meta.db_table}" d ON d."clinic_id" = c."id" '
        'WHERE u."id" = %s ORDER BY c."name", m."role"'
    )
    return _Statement(sql, user, membership, clinic, defaults)


def signed_in_user(user_id: int) -> User | None:
    """Return the user with their memberships and confirmed devices (one statement)."""
    statement = _statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [user_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    user = statement.user.instance(rows[0])
    memberships = []
    staging_defaults = Clinic._meta.get_field("staging_defaults")
    for row in rows:
        membership = statement.membership.instance(row)
        if membership is None:
            continue
        clinic = statement.clinic.instance(row)
        staging_defaults.set_cached_value(clinic, statement.defaults.instance(row))
        membership.user = user
        membership.clinic = clinic
        memberships.append(membership)
    devices = frozenset(
        f"{model.model_label()}/{pk}"
        for model, ids in zip(DEVICE_MODELS, rows[0][-len(DEVICE_MODELS) :], strict=True)
        for pk in ids
    )
    setattr(user, _LOADED_ATTRIBUTE, SignedIn(tuple(memberships), devices))
    return user  # type: ignore[no-any-return]


def signed_in(user: "User | AnonymousUser") -> SignedIn | None:
    """Return what was read with the request's user, None for a user read another way."""
    return getattr(user, _LOADED_ATTRIBUTE, None)


def confirmed_device(persistent_id: str, user: User, loaded: SignedIn) -> Device | None:
    """Return the session's device if it is one of the user's confirmed devices read with them.

    It is the model instance django-otp would have loaded, its other fields deferred (read from
    the database if anything asks for them).
    """
    if persistent_id not in loaded.confirmed_devices:
        return None
    label, pk = persistent_id.rsplit("/", 1)
    model = next(model for model in DEVICE_MODELS if model.model_label() == label)
    return model.from_db(connection.alias, ["id", "user_id", "confirmed"], [int(pk), user.pk, True])


class SignedInUserBackend(ModelBackend):
    """Django's model backend whose user comes with their memberships and confirmed devices."""

    def get_user(self, user_id: int) -> User | None:
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
