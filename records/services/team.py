"""The clinic admin's Team page: invitations, roles, activation and unlocks, scoped and audited.

Every action is authorised in the admin's clinic (the clinic-admin role there) and touches only a
person who holds a role in that clinic (404 for anyone else, so ids of other clinics' users reveal
nothing). Credentials, identity and activation change only for an account whose every role is in
clinics the admin administers (`require_credentials_manageable`, issue 13); an account that also
works elsewhere can only have its role in this clinic changed. Each action writes one audit event
in the admin's clinic (HIPAA 164.312(b)); the view asks for the admin's password first (ASVS 4.3.3).
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from records.access import Permission
from records.audit import audit_event_write, created, deleted, display_value
from records.identity import normalise_identity_text, validate_identity_text
from records.models import AuditAction, Invitation, Membership, Role

from .accounts import (
    MEMBERSHIP_OBJECT,
    account_event_write,
    account_unlock,
    require_credentials_manageable,
)
from .common import Errors, add_error, authorise

if TYPE_CHECKING:
    from .common import Actor

# Three days to pass the link on and use it; a re-issue replaces it (choice, see docs/security.md).
INVITATION_LIFETIME = datetime.timedelta(hours=72)
# 256 bits from the OS's generator (ASVS 2.5.1 / 3.2.2 ask for at least 64/128).
TOKEN_BYTES = 32

CLINIC_NOT_FOUND = "No such clinic."
MEMBER_NOT_FOUND = "No such person in your clinic."
USERNAME_TAKEN = "Another account already has this user name."
ROLE_HELD = "{user} already holds this role here."
ROLE_NOT_HELD = "{user} does not hold this role here."
LAST_ROLE = (
    "This is {user}'s only role in this clinic: deactivate the account instead, or add another "
    "role first."
)
OWN_ADMIN_ROLE = "You cannot remove your own clinic admin role: ask another clinic admin."
OWN_ACCOUNT = "You cannot deactivate your own account."
ALREADY_ACTIVE = "{user}'s account is already active."
ALREADY_INACTIVE = "{user}'s account is already deactivated."
INACTIVE_NO_INVITATION = "{user}'s account is deactivated: reactivate it before inviting again."

INVITATION_UNKNOWN = "This invitation link is not valid: it may have been replaced by a newer one."
INVITATION_USED = "This invitation link has already been used: sign in with your password."
INVITATION_EXPIRED = "This invitation link has expired: ask your clinic admin for a new one."
INVITATION_INACTIVE = "This account is deactivated: ask your clinic admin."


class InvitationRefused(Exception):
    """An invitation link that cannot be used; the message says why, in the invitee's words."""

    def __init__(self, message: str, *, status: int = 410) -> None:
        super().__init__(message)
        self.status = status  # 404 for a link that never existed, 410 for a spent one


@dataclass(frozen=True, kw_only=True)
class InviteInput:
    """A new person: their sign-in name, name, e-mail (optional) and first role here."""

    username: str
    first_name: str
    last_name: str
    email: str
    role: str


@dataclass(frozen=True)
class IssuedInvitation:
    """The link's token, shown once to the admin; only its hash is stored."""

    user: User
    token: str
    expires_at: datetime.datetime


def token_hash(token: str) -> str:
    """Return the stored form of an invitation token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _manage(acting_user: "Actor", clinic_id: int) -> User:
    return authorise(
        acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND
    ).user


def _member(clinic_id: int, user_id: int) -> User:
    """Return the person, locked, when they hold a role in the clinic; 404 for anyone else."""
    user = (
        User.objects.select_for_update()
        .filter(pk=user_id, memberships__clinic_id=clinic_id)
        .first()
    )
    if user is None:
        raise Http404(MEMBER_NOT_FOUND)
    return user


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _issue(*, admin: User, user: User, clinic_id: int) -> IssuedInvitation:
    # A new link replaces every unused one: only the latest works.
    Invitation.objects.filter(user=user, used_at=None).delete()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = timezone.now() + INVITATION_LIFETIME
    Invitation.objects.create(
        user=user,
        clinic_id=clinic_id,
        token_hash=token_hash(token),
        created_by=admin,
        expires_at=expires_at,
    )
    return IssuedInvitation(user=user, token=token, expires_at=expires_at)


def person_invite(*, acting_user: "Actor", clinic_id: int, data: InviteInput) -> IssuedInvitation:
    """Create an account without a usable password, its role here and an invitation link."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = User(
            username=data.username.strip(),
            first_name=normalise_identity_text(data.first_name),
            last_name=normalise_identity_text(data.last_name),
            email=data.email.strip(),
        )
        user.set_unusable_password()
        errors: Errors = {}
        for field in ("first_name", "last_name"):
            try:
                validate_identity_text(getattr(user, field))
            except ValidationError as error:
                add_error(errors, field, " ".join(error.messages), "hidden_character")
        if User.objects.filter(username__iexact=user.username).exists():
            add_error(errors, "username", USERNAME_TAKEN, "username_taken")
        if data.role not in Role.values:
            add_error(errors, "role", "Choose a role.", "invalid_choice")
        try:
            user.full_clean(exclude=["password", *errors])
        except ValidationError as error:
            for field, messages in error.error_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        user.save()
        Membership.objects.create(user=user, clinic_id=clinic_id, role=data.role)
        issued = _issue(admin=admin, user=user, clinic_id=clinic_id)
        account_event_write(
            acting_user=admin,
            user=user,
            action=AuditAction.CREATE,
            clinic_ids=[clinic_id],
            changes={
                "username": [None, user.username],
                "first_name": [None, display_value(user.first_name)],
                "last_name": [None, display_value(user.last_name)],
                "email": [None, display_value(user.email)],
                "role": [None, Role(data.role).label],
                "invitation_expires": [None, display_value(issued.expires_at)],
            },
        )
    return issued


def invitation_reissue(*, acting_user: "Actor", clinic_id: int, user_id: int) -> IssuedInvitation:
    """Replace the person's invitation link with a new one (a forgotten password, an expiry)."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = _member(clinic_id, user_id)
        require_credentials_manageable(admin, user)
        if not user.is_active:
            raise PermissionDenied(INACTIVE_NO_INVITATION.format(user=_name(user)))
        issued = _issue(admin=admin, user=user, clinic_id=clinic_id)
        account_event_write(
            acting_user=admin,
            user=user,
            action=AuditAction.UPDATE,
            clinic_ids=[clinic_id],
            changes={"invitation_expires": [None, display_value(issued.expires_at)]},
        )
    return issued


def invitation_open(*, token: str) -> Invitation:
    """Return the usable invitation of this token; InvitationRefused says why one is not."""
    invitation = (
        Invitation.objects.select_related("user", "clinic")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationRefused(INVITATION_UNKNOWN, status=404)
    if invitation.used_at is not None:
        raise InvitationRefused(INVITATION_USED)
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(INVITATION_EXPIRED)
    if not invitation.user.is_active:
        raise InvitationRefused(INVITATION_INACTIVE)
    return invitation


def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password through their link, and spend the link."""
    with transaction.atomic():
        invitation = invitation_open(token=token)
        # Locked, and checked again: two uses of one link at once set one password.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise InvitationRefused(INVITATION_USED)
        user = User.objects.select_for_update().get(pk=invitation.user_id)
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        account_event_write(
            acting_user=user,
            user=user,
            action=AuditAction.UPDATE,
            clinic_ids=[invitation.clinic_id],
            changes={"password": [None, "set through the invitation link"]},
        )
    return user


def _role_event(admin: User, membership: Membership, action: AuditAction) -> None:
    values = {"user": membership.user.get_username(), "role": Role(membership.role).label}
    audit_event_write(
        actor=admin,
        action=action,
        object_type=MEMBERSHIP_OBJECT,
        object_id=membership.pk,
        clinic_id=membership.clinic_id,
        changes=created(values) if action == AuditAction.CREATE else deleted(values),
    )


def member_role_add(*, acting_user: "Actor", clinic_id: int, user_id: int, role: str) -> None:
    """Give a person of the clinic another role in it."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = _member(clinic_id, user_id)
        if role not in Role.values:
            raise ValidationError(
                {"role": ValidationError("Choose a role.", code="invalid_choice")}
            )
        if Membership.objects.filter(user=user, clinic_id=clinic_id, role=role).exists():
            raise ValidationError({"role": ValidationError(ROLE_HELD.format(user=_name(user)))})
        membership = Membership.objects.create(user=user, clinic_id=clinic_id, role=role)
        _role_event(admin, membership, AuditAction.CREATE)


def member_role_remove(*, acting_user: "Actor", clinic_id: int, user_id: int, role: str) -> None:
    """Take a role in the clinic away from a person (see LAST_ROLE and OWN_ADMIN_ROLE)."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = _member(clinic_id, user_id)
        roles = set(
            Membership.objects.filter(user=user, clinic_id=clinic_id).values_list("role", flat=True)
        )
        if role not in roles:
            raise ValidationError({"role": ValidationError(ROLE_NOT_HELD.format(user=_name(user)))})
        if user.pk == admin.pk and role == Role.CLINIC_ADMIN:
            raise PermissionDenied(OWN_ADMIN_ROLE)
        works_elsewhere = Membership.objects.filter(user=user).exclude(clinic_id=clinic_id).exists()
        if roles == {role} and not works_elsewhere:
            raise ValidationError({"role": ValidationError(LAST_ROLE.format(user=_name(user)))})
        membership = Membership.objects.get(user=user, clinic_id=clinic_id, role=role)
        _role_event(admin, membership, AuditAction.DELETE)
        membership.delete()


def member_activation_set(
    *, acting_user: "Actor", clinic_id: int, user_id: int, active: bool
) -> None:
    """Deactivate a person's account (they can no longer sign in) or reactivate it."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = _member(clinic_id, user_id)
        require_credentials_manageable(admin, user)
        if user.pk == admin.pk:
            raise PermissionDenied(OWN_ACCOUNT)
        if user.is_active == active:
            message = ALREADY_ACTIVE if active else ALREADY_INACTIVE
            raise PermissionDenied(message.format(user=_name(user)))
        user.is_active = active
        user.save(update_fields=["is_active"])
        account_event_write(
            acting_user=admin,
            user=user,
            action=AuditAction.UPDATE,
            clinic_ids=[clinic_id],
            changes={"is_active": [display_value(not active), display_value(active)]},
        )


def member_unlock(*, acting_user: "Actor", clinic_id: int, user_id: int) -> bool:
    """Clear a person's failed sign-ins; return whether there were any."""
    with transaction.atomic():
        admin = _manage(acting_user, clinic_id)
        user = _member(clinic_id, user_id)
        return account_unlock(acting_user=admin, user=user)
