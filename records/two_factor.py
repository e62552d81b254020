"""Two-factor sign-in: who must use it, what a user has enrolled, and the enrolment QR code.

After the password (Django's sign-in with the lock-out), a user with an authenticator enters a
six-digit code from it or one of their single-use recovery codes (ASVS 2.7, 2.8; NIST SP 800-63B
AAL2). Clinic admins and supervisors must use it, and so must everyone in a clinic whose setting
says so; superusers, staff and accounts without a clinic must too (docs/security.md). Writes are
in records/services/two_factor.py; records/middleware.py keeps a user who owes a code on the
code, enrolment and sign-out pages.
"""

from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from records.models import Membership, Role

# The roles that always sign in with two factors: they see every patient of a clinic.
ALWAYS_TWO_FACTOR_ROLES = (Role.CLINIC_ADMIN, Role.SUPERVISOR)
RECOVERY_CODE_COUNT = 10
# RFC 6238 and every common authenticator app: six digits, 30-second steps, one step of drift.
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
TOTP_TOLERANCE_STEPS = 1
# django-otp's default: 20 random bytes (160 bits, RFC 4226 section 4's recommended length).
TOTP_KEY_BYTES = 20


def two_factor_required_for(user: User | AnonymousUser) -> bool:
    """Return whether the user must sign in with a second factor.

    Optional only for a user whose every role is psychiatrist in clinics that do not require it;
    a superuser, staff or an account without a role must (they would otherwise be the weakest
    way in: the admin, or the first role an admin gives them).
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    memberships = Membership.objects.filter(user_id=user.pk)
    if not memberships.exists():
        return True
    return memberships.filter(
        Q(role__in=ALWAYS_TWO_FACTOR_ROLES) | Q(clinic__two_factor_required=True)
    ).exists()


def totp_device_for(user: AbstractBaseUser) -> TOTPDevice | None:
    """Return the user's confirmed authenticator, if they have enrolled one."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("-pk").first()


def two_factor_enrolled(user: AbstractBaseUser) -> bool:
    """Return whether the user has an authenticator, so a code is asked after the password."""
    return bool(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists())


def two_factor_throttled(user: User) -> bool:
    """Return whether the user's devices are waiting out django-otp's back-off after wrong codes."""
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    return any(not device.verify_is_allowed()[0] for device in devices)


def recovery_codes_left(user: AbstractBaseUser) -> int:
    """Return how many unused recovery codes the user has."""
    return int(StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count())


def new_totp_key() -> str:
    """Return a new random authenticator secret, hex-encoded as django-otp stores it."""
    return str(random_hex(TOTP_KEY_BYTES))


def totp_key_valid(key: str) -> bool:
    """Return whether the text is a hex-encoded secret of the length new_totp_key makes."""
    return len(key) == 2 * TOTP_KEY_BYTES and all(c in "0123456789abcdef" for c in key)


def totp_code_step(key: str, code: str) -> int | None:
    """Return the time step whose code for the secret this is (now, or one step either side)."""
    if not (len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()):
        return None
    totp = TOTP(unhexlify(key), step=TOTP_STEP_SECONDS, digits=TOTP_DIGITS)
    if not totp.verify(int(code), tolerance=TOTP_TOLERANCE_STEPS):
        return None
    # verify() leaves the drift at the step that matched.
    return int(totp.t())


def manual_entry_secret(key: str) -> str:
    """Return the secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_url(key: str, user: User) -> str:
    """Return the otpauth:// address an authenticator app reads from the QR code."""
    issuer = str(settings.OTP_TOTP_ISSUER)
    label = quote(f"{issuer}:{user.get_username()}")
    params = urlencode(
        {
            "secret": b32encode(unhexlify(key)).decode("ascii"),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": TOTP_DIGITS,
            "period": TOTP_STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def enrolment_qr_svg(key: str, user: User) -> str:
    """Return the QR code of the otpauth:// address as an inline <svg> element.

    Drawn here, not by a script or an image from elsewhere: the page's Content-Security-Policy
    allows neither, and an inline SVG element is markup, not a loaded image.
    """
    qr = segno.make(otpauth_url(key, user), error="m")
    return str(qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="qr-code"))


def normalised_code(text: str) -> str:
    """Return a typed code without spaces or hyphens, in lower case (recovery codes' form)."""
    return "".join(text.split()).replace("-", "").lower()


def is_totp_shaped(code: str) -> bool:
    """Return whether a normalised code looks like an authenticator's (six digits)."""
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()
