"""Two-factor sign-in: enrolment, codes, recovery codes, reset and the clinic's setting; audited.

Each change writes an audit event (object type `two_factor`, the user's id) in every clinic the
user works in, so each clinic's audit log shows it; a reset by a clinic admin, only in the
clinics they administer. Events say what changed (an authenticator set up or removed, how many
recovery codes are left), never a code or a secret.
"""

from typing import TYPE_CHECKING, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.access import administered_clinic_ids
from records.audit import audit_event_write, display_value
from records.models import AuditAction, Clinic, Membership
from records.services.accounts import require_credentials_manageable
from records.services.clinic_settings import SIGN_IN_SECURITY, clinic_settings_save
from records.two_factor import (
    RECOVERY_CODE_COUNT,
    is_totp_shaped,
    normalised_code,
    recovery_codes_left,
    totp_code_step,
    totp_device_for,
    totp_key_valid,
    two_factor_enrolled,
)

if TYPE_CHECKING:
    from .common import Actor

TWO_FACTOR_OBJECT = "two_factor"
AUTHENTICATOR = "authenticator"
RECOVERY_CODES_LEFT = "recovery_codes_left"
SET_UP = "set up"
REPLACED = "replaced"
CODE_REFUSED = "That code is not right. Type the six digits your authenticator app shows now."
KEY_INVALID = "The set-up expired. Reload the page and scan the new QR code."
NOT_ENROLLED = "Set up an authenticator app first."
# django-otp's StaticToken.token column.
RECOVERY_CODE_MAX_LENGTH = 16


def _clinic_ids(user: User) -> list[int | None]:
    ids = sorted(set(Membership.objects.filter(user=user).values_list("clinic_id", flat=True)))
    return list(ids) or [None]


def _audit(
    *,
    acting_user: "Actor",
    user: User,
    action: AuditAction,
    changes: dict[str, list[str | None]],
    clinic_ids: list[int | None] | None = None,
) -> None:
    for clinic_id in clinic_ids if clinic_ids is not None else _clinic_ids(user):
        audit_event_write(
            actor=acting_user,  # type: ignore[arg-type]
            action=action,
            object_type=TWO_FACTOR_OBJECT,
            object_id=user.pk,
            clinic_id=clinic_id,
            changes=changes,
        )


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol(*, acting_user: User, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the acting user's new authenticator by a code from it; return it and new codes.

    Replaces any authenticator and recovery codes the user had. The codes are returned once, to
    be shown once; only django-otp's single-use tokens keep them.
    """
    if not totp_key_valid(key):
        raise ValidationError({"code": ValidationError(KEY_INVALID, code="key_invalid")})
    step = totp_code_step(key, normalised_code(code))
    if step is None:
        raise ValidationError({"code": ValidationError(CODE_REFUSED, code="code_refused")})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        had_device = two_factor_enrolled(user)
        codes_before = recovery_codes_left(user)
        TOTPDevice.objects.filter(user=user).delete()
        # The confirming code is spent: it cannot pass the code step of a sign-in as well.
        device = TOTPDevice(
            user=user, name="Authenticator app", key=key, confirmed=True, last_t=step
        )
        device.full_clean()
        device.save()
        codes = _new_recovery_codes(user)
        _audit(
            acting_user=acting_user,
            user=user,
            action=AuditAction.UPDATE if had_device else AuditAction.CREATE,
            changes={
                AUTHENTICATOR: [SET_UP if had_device else None, REPLACED if had_device else SET_UP],
                RECOVERY_CODES_LEFT: [display_value(codes_before or None), str(len(codes))],
            },
        )
    return device, codes


def two_factor_recovery_codes_regenerate(*, acting_user: User) -> list[str]:
    """Replace the acting user's recovery codes with RECOVERY_CODE_COUNT new ones; return them."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        if not two_factor_enrolled(user):
            raise ValidationError(NOT_ENROLLED, code="not_enrolled")
        before = recovery_codes_left(user)
        codes = _new_recovery_codes(user)
        _audit(
            acting_user=acting_user,
            user=user,
            action=AuditAction.UPDATE,
            changes={RECOVERY_CODES_LEFT: [str(before), str(len(codes))]},
        )
    return codes


def two_factor_verify(*, acting_user: User, code: str) -> Device | None:
    """Check an authenticator code or a recovery code; return the device that accepted it.

    django-otp's throttling applies (a device refuses every code for 1, 2, 4 ... seconds after
    each wrong one) and a recovery code is deleted as it is used, which is audited. None when the
    code is wrong or the device is waiting out its back-off.
    """
    typed = normalised_code(code)
    if not typed or len(typed) > RECOVERY_CODE_MAX_LENGTH:
        return None
    with transaction.atomic():
        if is_totp_shaped(typed):
            totp = (
                TOTPDevice.objects.select_for_update()
                .filter(user_id=acting_user.pk, confirmed=True)
                .order_by("-pk")
                .first()
            )
            return totp if totp is not None and totp.verify_token(typed) else None
        recovery = (
            StaticDevice.objects.select_for_update()
            .filter(user_id=acting_user.pk, confirmed=True)
            .order_by("-pk")
            .first()
        )
        if recovery is None:
            return None
        before = recovery.token_set.count()
        if not recovery.verify_token(typed):
            return None
        _audit(
            acting_user=acting_user,
            user=acting_user,
            action=AuditAction.UPDATE,
            changes={RECOVERY_CODES_LEFT: [str(before), str(before - 1)]},
        )
        return recovery


def two_factor_reset(*, acting_user: "Actor", user: User) -> bool:
    """Remove the user's authenticator and recovery codes, so they enrol again at next sign-in.

    For a clinic admin of every clinic the user works in (or a superuser); audited in the
    acting admin's clinics. Return whether the user had anything to remove.
    """
    require_credentials_manageable(acting_user, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        device = totp_device_for(locked)
        codes_before = recovery_codes_left(locked)
        removed_totp, _ = TOTPDevice.objects.filter(user=locked).delete()
        removed_static, _ = StaticDevice.objects.filter(user=locked).delete()
        clinic_ids = _clinic_ids(locked)
        if not acting_user.is_superuser:
            administered = administered_clinic_ids(acting_user)
            clinic_ids = [pk for pk in clinic_ids if pk in administered]
        _audit(
            acting_user=acting_user,
            user=locked,
            action=AuditAction.DELETE,
            changes={
                AUTHENTICATOR: [SET_UP if device is not None else None, None],
                RECOVERY_CODES_LEFT: [display_value(codes_before or None), None],
            },
            clinic_ids=clinic_ids,
        )
    return bool(removed_totp or removed_static)


def clinic_two_factor_update(*, acting_user: "Actor", clinic_id: int, required: bool) -> Clinic:
    """Turn two-factor sign-in for every member of the clinic on or off (its clinic admins)."""
    saved = clinic_settings_save(
        acting_user=acting_user,
        clinic_id=clinic_id,
        row=SIGN_IN_SECURITY,
        values={"two_factor_required": required},
    )
    return cast(Clinic, saved)
