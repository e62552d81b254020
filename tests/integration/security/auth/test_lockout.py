"""ASVS 2.2.1: an account is locked after repeated failed sign-ins; a clinic admin unlocks it
(on the Team page), a superuser in the admin."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from records.models import AuditEvent, Role
from records.reauth import REENTRY_LOCKED, PasswordReentryForm
from records.services.accounts import account_is_locked, account_unlock
from tests.factories import MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail_to_sign_in(client, username, times=None):
    for _ in range(times or settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, username, "wrong password")
    return response


def test_the_limit_is_five_failures_with_a_thirty_minute_cool_off():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_failures_below_the_limit_still_let_the_right_password_in(client, psychiatrist):
    fail_to_sign_in(client, psychiatrist.username, settings.AXES_FAILURE_LIMIT - 1)
    response = sign_in(client, psychiatrist.username, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_success_resets_the_count(client, psychiatrist):
    fail_to_sign_in(client, psychiatrist.username, settings.AXES_FAILURE_LIMIT - 1)
    sign_in(client, psychiatrist.username, DEFAULT_PASSWORD)
    client.post(reverse("logout"))
    fail_to_sign_in(client, psychiatrist.username, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, psychiatrist.username, DEFAULT_PASSWORD).status_code == 302


def test_the_fifth_failure_locks_the_account_with_a_clear_message(client, psychiatrist):
    response = fail_to_sign_in(client, psychiatrist.username)
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "Too many failed sign-ins: this account is locked for 30 minutes" in page
    assert "administrator can unlock it" in page
    assert account_is_locked(psychiatrist)


def test_a_locked_account_is_refused_even_with_the_right_password(client, psychiatrist):
    fail_to_sign_in(client, psychiatrist.username)
    response = sign_in(client, psychiatrist.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_unknown_user_name_is_locked_the_same_way(client):
    # The same answer for every name: the lock-out does not reveal which accounts exist.
    response = fail_to_sign_in(client, "nobody-by-this-name")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_the_lock_is_per_account_not_per_address(client, psychiatrist, supervisor):
    fail_to_sign_in(client, psychiatrist.username)
    assert sign_in(client, supervisor.username, DEFAULT_PASSWORD).status_code == 302


def test_the_admin_sign_in_is_locked_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", password="x" * 16)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("admin:login"), {"username": "root", "password": "wrong"})
    assert response.status_code == 429


def test_force_login_still_works_with_the_lock_out_backend(signed_in, psychiatrist):
    response = signed_in(psychiatrist).get(reverse("records:patient-list"))
    assert response.status_code == 200


def unlock(client, user):
    return client.post(
        reverse("records:team-unlock", args=[user.pk]), {"password": DEFAULT_PASSWORD}
    )


def test_clinic_admin_sees_and_unlocks_a_user_of_their_clinic(client, psychiatrist, clinic_admin):
    fail_to_sign_in(client, psychiatrist.username)
    verified_login(client, clinic_admin)
    listing = client.get(reverse("records:team"))
    assert "Locked out" in listing.content.decode()
    response = unlock(client, psychiatrist)
    assert response.status_code == 302
    assert not account_is_locked(psychiatrist)
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert event.actor_id == clinic_admin.pk
    assert event.changes == {"failed_sign_ins": ["5", "0"]}
    client.post(reverse("logout"))
    assert sign_in(client, psychiatrist.username, DEFAULT_PASSWORD).status_code == 302


def test_clinic_admin_cannot_unlock_a_user_of_another_clinic(client, clinic_admin, stranger):
    fail_to_sign_in(client, stranger.username)
    verified_login(client, clinic_admin)
    assert unlock(client, stranger).status_code == 404
    assert account_is_locked(stranger)
    assert not AuditEvent.objects.filter(object_type="account").exists()


def test_clinic_admin_cannot_unlock_an_account_without_a_clinic(client, clinic_admin):
    newcomer = UserFactory()
    fail_to_sign_in(client, newcomer.username)
    verified_login(client, clinic_admin)
    assert unlock(client, newcomer).status_code == 404
    assert account_is_locked(newcomer)
    with pytest.raises(PermissionDenied):
        account_unlock(acting_user=clinic_admin, user=newcomer)


def test_clinic_admin_unlocks_a_user_shared_with_another_clinic(
    client, clinic, other_clinic, clinic_admin, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    fail_to_sign_in(client, stranger.username)
    verified_login(client, clinic_admin)
    unlock(client, stranger)
    assert not account_is_locked(stranger)
    # The event goes to the unlocking admin's clinic only.
    clinics = set(
        AuditEvent.objects.filter(object_type="account").values_list("clinic_id", flat=True)
    )
    assert clinics == {clinic.pk}


def test_superuser_unlocks_anyone_in_the_admin(client, stranger, django_user_model):
    fail_to_sign_in(client, stranger.username)
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    verified_login(client, root)
    listing = client.get(reverse("admin:auth_user_changelist"))
    assert "Locked out" in listing.content.decode()
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_accounts", "_selected_action": [stranger.pk]},
    )
    assert not account_is_locked(stranger)


def test_failed_password_reentries_count_and_end_the_session(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    url = reverse("records:patient-json-export", args=[episode.patient_id])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"password": "guess"})
        assert response.status_code == 200
    response = client.post(url, {"password": "guess"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert account_is_locked(psychiatrist)
    assert sign_in(client, psychiatrist.username, DEFAULT_PASSWORD).status_code == 429


def test_a_locked_account_cannot_confirm_with_its_password(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    # Someone guesses at the sign-in page while the clinician is working: the session ends.
    fail_to_sign_in(Client(), psychiatrist.username)
    url = reverse("records:patient-json-export", args=[episode.patient_id])
    response = client.post(url, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_reentry_lock_message_names_the_reason():
    assert "locked" in REENTRY_LOCKED


def test_reentry_cannot_be_built_without_the_request(psychiatrist):
    # Without the request the form could neither count failures nor see the lock (issue 13).
    with pytest.raises(TypeError):
        PasswordReentryForm({"password": "wrong"}, user=psychiatrist)


def test_cohort_export_reentry_counts_towards_the_lock(signed_in, supervisor):
    client = signed_in(supervisor)
    url = reverse("cohort:export")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"password": "guess", "file_format": "csv"}).status_code == 200
    response = client.post(url, {"password": "guess", "file_format": "csv"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert account_is_locked(supervisor)


def test_cohort_export_is_refused_while_the_account_is_locked(signed_in, supervisor):
    client = signed_in(supervisor)
    fail_to_sign_in(Client(), supervisor.username)
    response = client.post(
        reverse("cohort:export"), {"password": DEFAULT_PASSWORD, "file_format": "csv"}
    )
    assert response.status_code == 429
    assert "attachment" not in response.get("Content-Disposition", "")
    assert "_auth_user_id" not in client.session


# The lock-out records store a user name in 255 characters (django-axes' column).
OVERLONG = "a" * 300


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_an_overlong_user_name_is_refused_as_a_wrong_one_not_an_error(client, url):
    response = client.post(url, {"username": OVERLONG, "password": "wrong password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_repeated_overlong_user_names_are_locked_out_like_any_other(client):
    response = fail_to_sign_in(client, OVERLONG)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
