"""Accounts: role changes (memberships), lock-out, passwords and identity, scoped and audited.

A clinic admin changes the roles of their own clinics only and unlocks only users who hold a
role there; a superuser (the admin, platform operators only) may do both anywhere. Each change
writes an audit event (HIPAA 164.312(b)); the pages ask for the password first (ASVS 4.3.3,
records/reauth.py). An audit event about an account never holds a password or its hash.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from records.access import administered_clinic_ids
from records.audit import audit_event_write, created, deleted, field_changes, snapshot
from records.models import AuditAction, Clinic, Membership

if TYPE_CHECKING:
    from .common import Actor

MEMBERSHIP_OBJECT = "membership"
ACCOUNT_OBJECT = "account"
MEMBERSHIP_FIELDS = ("user", "clinic", "role")
ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
)
CHANGED_BY_OWNER = "changed by its owner"
SET_BY_ADMIN = "set by an administrator"
OPERATORS_ONLY = "Only a platform operator (superuser) changes accounts in the admin."
NOT_YOUR_CLINIC = "You administer other clinics: ask an administrator of {clinic}."
NOT_YOUR_USER = "{user} holds no role in a clinic you administer."
NOT_YOUR_ACCOUNT = (
    "{user} also works in a clinic you do not administer: only their role in your clinic can be "
    "changed here. Ask an administrator of every clinic they work in."
)


def _require_clinic_admin(user: "Actor", clinic: Clinic) -> None:
    if not (user.is_superuser or clinic.pk in administered_clinic_ids(user)):
        raise PermissionDenied(NOT_YOUR_CLINIC.format(clinic=clinic.name))


def membership_save(*, acting_user: "Actor", membership: Membership) -> Membership:
    """Add a role or change one, in a clinic the acting user administers."""
    with transaction.atomic():
        _require_clinic_admin(acting_user, membership.clinic)
        before: dict[str, str | None] = {}
        if membership.pk is not None:
            stored = Membership.objects.select_for_update().get(pk=membership.pk)
            _require_clinic_admin(acting_user, stored.clinic)
            before = snapshot(stored, MEMBERSHIP_FIELDS)
        is_new = membership.pk is None
        membership.full_clean()
        membership.save()
        after = snapshot(membership, MEMBERSHIP_FIELDS)
        audit_event_write(
            actor=acting_user,  # type: ignore[arg-type]
            action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
            object_type=MEMBERSHIP_OBJECT,
            object_id=membership.pk,
            clinic_id=membership.clinic_id,
            changes=created(after) if is_new else field_changes(before, after),
        )
    return membership


def membership_delete(*, acting_user: "Actor", membership_id: int) -> None:
    """Remove a role, in a clinic the acting user administers."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        _require_clinic_admin(acting_user, membership.clinic)
        values = snapshot(membership, MEMBERSHIP_FIELDS)
        clinic_id = membership.clinic_id
        membership.delete()
        audit_event_write(
            actor=acting_user,  # type: ignore[arg-type]
            action=AuditAction.DELETE,
            object_type=MEMBERSHIP_OBJECT,
            object_id=membership_id,
            clinic_id=clinic_id,
            changes=deleted(values),
        )


def account_credentials_manageable(acting_user: "Actor", user: User) -> bool:
    """Return whether the acting user may change this account's password, identity or 2FA.

    A clinic admin may, only for an account whose every role is in clinics they administer; never
    for an account without a role, a superuser or staff (issue 13: account takeover).
    """
    if acting_user.is_superuser:
        return True
    if user.is_superuser or user.is_staff:
        return False
    clinic_ids = set(Membership.objects.filter(user=user).values_list("clinic_id", flat=True))
    return bool(clinic_ids) and clinic_ids <= administered_clinic_ids(acting_user)


def require_credentials_manageable(acting_user: "Actor", user: User) -> None:
    """Refuse (PermissionDenied) unless the acting user may change this account's credentials."""
    if not account_credentials_manageable(acting_user, user):
        raise PermissionDenied(NOT_YOUR_ACCOUNT.format(user=user.get_username()))


def unlockable_users(acting_user: "Actor") -> "set[int] | None":
    """Return the ids of the users this admin may unlock; None means everyone (superuser)."""
    if acting_user.is_superuser:
        return None
    return set(
        Membership.objects.filter(clinic_id__in=administered_clinic_ids(acting_user)).values_list(
            "user_id", flat=True
        )
    )


def account_failures(user: User) -> int:
    """Return the user's failed sign-ins that still count towards a lock-out."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(
        username=user.get_username(), attempt_time__gte=since
    ).aggregate(failures=Sum("failures_since_start"))["failures"]
    return int(total or 0)


def account_is_locked(user: User) -> bool:
    """Return whether the user's failed sign-ins lock them out now."""
    return account_failures(user) >= settings.AXES_FAILURE_LIMIT


def account_unlock(*, acting_user: "Actor", user: User) -> bool:
    """Clear the user's failed sign-ins (unlocking them); return whether there were any."""
    from axes.models import AccessAttempt

    allowed = unlockable_users(acting_user)
    if allowed is not None and user.pk not in allowed:
        raise PermissionDenied(NOT_YOUR_USER.format(user=user.get_username()))
    with transaction.atomic():
        failures = account_failures(user)
        removed, _ = AccessAttempt.objects.filter(username=user.get_username()).delete()
        clinic_ids = sorted(
            Membership.objects.filter(user=user).values_list("clinic_id", flat=True).distinct()
        )
        if allowed is not None:
            clinic_ids = [pk for pk in clinic_ids if pk in administered_clinic_ids(acting_user)]
        # One event per clinic, so each clinic's audit log shows the unlock.
        for clinic_id in clinic_ids or [None]:  # type: ignore[list-item]
            audit_event_write(
                actor=acting_user,  # type: ignore[arg-type]
                action=AuditAction.UPDATE,
                object_type=ACCOUNT_OBJECT,
                object_id=user.pk,
                clinic_id=clinic_id,
                changes={"failed_sign_ins": [str(failures), "0"]},
            )
    return bool(removed)


def account_clinic_ids(user: User) -> list[int | None]:
    """Return the clinics whose audit log shows a change to this account ([None] for none)."""
    clinic_ids = sorted(
        Membership.objects.filter(user=user).values_list("clinic_id", flat=True).distinct()
    )
    return [*clinic_ids] if clinic_ids else [None]


def account_event_write(
    *,
    acting_user: "Actor",
    user: User,
    action: AuditAction,
    changes: dict[str, list[str | None]],
    clinic_ids: "list[int | None] | None" = None,
) -> None:
    """Audit a change to an account: one event per clinic (default: every clinic it works in)."""
    for clinic_id in account_clinic_ids(user) if clinic_ids is None else clinic_ids:
        audit_event_write(
            actor=acting_user,  # type: ignore[arg-type]
            action=action,
            object_type=ACCOUNT_OBJECT,
            object_id=user.pk,
            clinic_id=clinic_id,
            changes=changes,
        )


def _require_operator(acting_user: "Actor") -> None:
    if not acting_user.is_superuser:
        raise PermissionDenied(OPERATORS_ONLY)


def account_operator_save(*, acting_user: "Actor", user: User) -> User:
    """Save an operator's new account or change to one (the admin) and audit it."""
    with transaction.atomic():
        _require_operator(acting_user)
        is_new = user.pk is None
        before: dict[str, str | None] = {}
        if not is_new:
            before = snapshot(User.objects.select_for_update().get(pk=user.pk), ACCOUNT_FIELDS)
        user.save()
        after = snapshot(user, ACCOUNT_FIELDS)
        changes = created(after) if is_new else field_changes(before, after)
        if is_new and user.has_usable_password():
            changes["password"] = [None, SET_BY_ADMIN]
        if changes:
            account_event_write(
                acting_user=acting_user,
                user=user,
                action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
                changes=changes,
            )
    return user


def account_password_set_audit(*, acting_user: "Actor", user: User) -> None:
    """Audit the password an operator has just set for an account in the admin's own form."""
    _require_operator(acting_user)
    account_event_write(
        acting_user=acting_user,
        user=user,
        action=AuditAction.UPDATE,
        changes={"password": [None, SET_BY_ADMIN]},
    )


def account_password_change(*, acting_user: User, new_password: str) -> None:
    """Change the acting user's own password (the old one is checked by the form, with the lock)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        validate_password(new_password, user)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        acting_user.password = user.password
        account_event_write(
            acting_user=acting_user,
            user=user,
            action=AuditAction.UPDATE,
            changes={"password": [None, CHANGED_BY_OWNER]},
        )
