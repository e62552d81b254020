"""Every signed-in user changes their own password: old one counted toward the lock-out, audited."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from records.models import AuditAction, AuditEvent
from records.services.accounts import account_is_locked
from tests.factories import UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-tundra-quietly-87"
URL = "/account/password/"


def change(client: Client, old: str, new: str = NEW_PASSWORD, again: str | None = None):
    return client.post(
        URL, {"old_password": old, "new_password1": new, "new_password2": again or new}
    )


def test_the_url_is_the_account_page():
    assert reverse("records:account-password") == URL


def test_a_user_changes_their_password_and_stays_signed_in(signed_in, psychiatrist, clinic):
    client = signed_in(psychiatrist)
    assert client.get(URL).status_code == 200
    response = change(client, DEFAULT_PASSWORD)
    assert response.status_code == 302
    psychiatrist.refresh_from_db()
    assert psychiatrist.check_password(NEW_PASSWORD)
    assert client.get(reverse("records:patient-list")).status_code == 200
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.UPDATE,
        psychiatrist.pk,
        clinic.pk,
    )
    assert event.changes == {"password": [None, "changed by its owner"]}


def test_other_sessions_end_after_the_change(signed_in, psychiatrist):
    elsewhere = Client()
    verified_login(elsewhere, psychiatrist)
    change(signed_in(psychiatrist), DEFAULT_PASSWORD)
    assert elsewhere.get(reverse("records:patient-list")).status_code == 302


def test_a_user_without_a_clinic_can_change_their_password(client):
    user = UserFactory()
    verified_login(client, user)
    assert change(client, DEFAULT_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(object_type="account", object_id=user.pk)
    assert event.clinic_id is None


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("password1234", None, "This password is too common."),
        ("short-1", None, "at least 12 characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "didn’t match"),
    ],
)
def test_a_weak_or_mismatched_new_password_is_refused(signed_in, psychiatrist, new, again, message):
    response = change(signed_in(psychiatrist), DEFAULT_PASSWORD, new, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    psychiatrist.refresh_from_db()
    assert psychiatrist.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.exists()


def test_wrong_old_passwords_count_toward_the_lock(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = change(client, "guess")
        assert response.status_code == 200
        assert "That is not your password" in response.content.decode()
    response = change(client, "guess")
    assert response.status_code == 429
    assert account_is_locked(psychiatrist)
    assert "_auth_user_id" not in client.session
    psychiatrist.refresh_from_db()
    assert psychiatrist.check_password(DEFAULT_PASSWORD)


def test_the_right_old_password_does_nothing_while_locked(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": psychiatrist.username, "password": "x"})
    assert change(client, DEFAULT_PASSWORD).status_code == 429
    psychiatrist.refresh_from_db()
    assert psychiatrist.check_password(DEFAULT_PASSWORD)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
