"""ASVS 3.3.1, 3.3.2 (NIST SP 800-63B 4.2.3): idle timeout, absolute lifetime, sign-out."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, code_step_passed
from trdclinic.middleware import (
    IDLE_RENEWAL_SECONDS,
    SEEN_AT_SESSION_KEY,
    SIGNED_IN_AT_SESSION_KEY,
)

pytestmark = pytest.mark.django_db


def test_idle_timeout_is_thirty_minutes_and_renewed_by_requests():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_request_renews_the_idle_timeout_at_most_once_a_minute(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    page = reverse("records:patient-list")
    client.get(page)
    renewed = _expiry(client)
    client.get(page)
    assert _expiry(client) == renewed
    # A minute after the last renewal, the next request pushes the expiry 30 minutes on again.
    session = client.session
    session[SEEN_AT_SESSION_KEY] = time.time() - IDLE_RENEWAL_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timezone.timedelta(minutes=5)
    )
    before = timezone.now()
    client.get(page)
    assert _expiry(client) >= before + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_absolute_lifetime_is_twelve_hours():
    assert settings.SESSION_MAX_AGE_SECONDS == 12 * 60 * 60


def signed_in_by_form(client, user):
    authenticator_for(user)
    response = client.post(
        reverse("login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return code_step_passed(client, user)


def test_sign_in_stamps_the_session(client, psychiatrist):
    before = time.time()
    signed_in_by_form(client, psychiatrist)
    assert client.session[SIGNED_IN_AT_SESSION_KEY] >= before


def test_an_idle_session_is_signed_out(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    assert client.get(reverse("records:patient-list")).status_code == 200
    # 30 idle minutes later the stored session has expired.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    response = client.get(reverse("records:patient-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_does_not_extend_a_session_past_its_lifetime(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    session = client.session
    session[SIGNED_IN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_AGE_SECONDS - 1
    session.save()
    response = client.get(reverse("records:patient-list"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "signed out 12 hours after signing in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_session_within_its_lifetime_carries_on(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    session = client.session
    session[SIGNED_IN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_AGE_SECONDS + 60
    session.save()
    assert client.get(reverse("records:patient-list")).status_code == 200


def test_sign_in_rotates_the_session_key(client, psychiatrist):
    # ASVS 3.2.1: a new session token on sign-in (no session fixation).
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    signed_in_by_form(client, psychiatrist)
    assert client.session.session_key != before


def test_sign_out_deletes_the_stored_session(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_sessions_live_in_the_database_not_in_a_cookie_or_a_process():
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert issubclass(store, DatabaseSessionStore)
    assert not issubclass(store, CachedDatabaseSessionStore)


def test_sign_out_ends_the_session_for_a_copy_of_its_cookie(client, psychiatrist):
    signed_in_by_form(client, psychiatrist)
    page = reverse("records:patient-list")
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert copy.get(page).status_code == 200
    client.post(reverse("logout"))
    response = copy.get(page)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
