"""Signing in with the second factor in tests: a verified session, and authenticator codes.

`verified_login(client, user)` is the test client's sign-in for every test that is not about
signing in: a session holding what Django's `login` stores (the user, the backend, the password
hash) and marked verified exactly as django-otp marks it after a real code (its device id under
django-otp's session key), so TwoFactorMiddleware and OTPMiddleware run as in production rather
than being switched off. Codes are computed with pyotp,
independently of django-otp's own TOTP.
"""

import time
from base64 import b32encode
from binascii import unhexlify
from importlib import import_module
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.signed_in import SignedInUserBackend
from trdclinic.middleware import SEEN_AT_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Page

STEP_SECONDS = 30
BACKEND = f"{SignedInUserBackend.__module__}.{SignedInUserBackend.__qualname__}"


def authenticator_for(user: User) -> TOTPDevice:
    """Return the user's confirmed authenticator, enrolling one first when they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    return device


def verified_session(user: User) -> str:
    """Write a session signed in as the user, past the second factor; return its key.

    The session is written once, with what a real sign-in leaves in it, rather than through
    `force_login`: that creates an empty session, cycles its key, sends the signed-in signal
    (django-axes records an access, the user's last sign-in is saved) and reads the session back
    to add the device, about 14 queries against 3 here, in the thousands of tests that sign in.
    The sign-in's own requests stamp when it happened and when the user was last seen
    (trdclinic/middleware.py); without the stamps each test's first request saved the session
    again, and every request did where a module's sessions are shared and each test rolled back.
    """
    now = time.time()
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session[SIGNED_IN_AT_SESSION_KEY] = now
    session[SEEN_AT_SESSION_KEY] = now
    session.save()
    return str(session.session_key)


def verified_login(client: Client, user: User) -> Client:
    """Sign the client in as the user, past the second factor, as after a real code."""
    client.cookies[settings.SESSION_COOKIE_NAME] = verified_session(user)
    return client


def base32_secret(device: TOTPDevice) -> str:
    """Return the device's secret as the enrolment page shows it to type into an app."""
    return b32encode(unhexlify(device.key)).decode("ascii")


def totp_code(secret: str, *, after_step: int = -1) -> str:
    """Return the authenticator's code for the secret (base32, spaces allowed), now or just after.

    django-otp accepts each time step's code once and one step either side of now; a test that
    signs in twice within 30 seconds gets the next step's code, or waits for one.
    """
    totp = pyotp.TOTP(secret.replace(" ", ""))
    while True:
        now = time.time()
        current = int(now // STEP_SECONDS)
        for step in (current, current + 1):
            if step > after_step:
                return totp.at(step * STEP_SECONDS)
        time.sleep(STEP_SECONDS - now % STEP_SECONDS + 0.1)


def device_code(device: TOTPDevice) -> str:
    """Return a code the device accepts now (one after the last it accepted)."""
    device.refresh_from_db()
    return totp_code(base32_secret(device), after_step=device.last_t)


def code_step_passed(client: Client, user: User) -> Client:
    """Pass the sign-in's code step with the user's authenticator (enrolled if need be)."""
    response = client.post(
        reverse("records:two-factor-verify"), {"code": device_code(authenticator_for(user))}
    )
    assert response.status_code == 302, response
    assert client.session.get(DEVICE_ID_SESSION_KEY), "the code was refused"
    return client


def browser_code_step(page: "Page", user: User) -> None:
    """In the browser, after the password: type a code of the user's authenticator and go on.

    The user must have had their authenticator (`authenticator_for`) before the password step,
    or the sign-in leads to enrolment instead.
    """
    page.wait_for_url(lambda url: "/signin/code/" in url)
    page.get_by_label("Code").fill(device_code(authenticator_for(user)))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/signin/" not in url)
