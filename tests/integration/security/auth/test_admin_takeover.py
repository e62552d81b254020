"""Issue 13, defects 1, 2, 4 and 6: the admin is for superusers (platform operators) only.

A clinic admin used to manage people in the admin, and could take over accounts there: an
account without a clinic (a superuser made by `createsuperuser`), or another clinic's user added
to their own clinic by a direct POST. Clinic admins now manage their clinic on the Team page;
every /admin/ URL answers them 403. A superuser's password change in the admin counts wrong old
passwords toward the lock-out, and a superuser's account changes are audited.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from records.models import AuditAction, AuditEvent, Membership, Role
from records.services.accounts import account_is_locked
from tests.factories import MembershipFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, code_step_passed, verified_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "taken-over-by-attacker-42"
ROOT_PASSWORD = "operator-passphrase-1977"


@pytest.fixture
def root(django_user_model):
    """A platform operator made by `createsuperuser`: no clinic."""
    return django_user_model.objects.create_superuser("root", password=ROOT_PASSWORD)


def password_form(password: str) -> dict[str, str]:
    return {"password1": password, "password2": password, "usable_password": "true"}


def test_clinic_admin_cannot_set_the_password_of_an_account_without_a_clinic(
    signed_in, clinic_admin, root
):
    """Defect 1: the superuser's account, which has no membership, was in the admin's list."""
    client = signed_in(clinic_admin)
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, password_form(NEW_PASSWORD)).status_code == 403
    root.refresh_from_db()
    assert not root.check_password(NEW_PASSWORD)
    assert root.check_password(ROOT_PASSWORD)


def test_clinic_admin_cannot_add_another_clinics_user_and_reset_their_password(
    signed_in, clinic_admin, clinic, other_clinic, member
):
    """Defect 2: a direct POST of the membership add form took any user id."""
    victim = member(Role.SUPERVISOR, in_clinic=other_clinic)
    client = signed_in(clinic_admin)
    added = client.post(
        reverse("admin:records_membership_add"),
        {
            "user": victim.pk,
            "clinic": clinic.pk,
            "role": Role.PSYCHIATRIST,
            "password": DEFAULT_PASSWORD,
        },
    )
    assert added.status_code == 403
    assert not Membership.objects.filter(user=victim, clinic=clinic).exists()
    reset = client.post(
        reverse("admin:auth_user_password_change", args=[victim.pk]), password_form(NEW_PASSWORD)
    )
    assert reset.status_code == 403
    victim.refresh_from_db()
    assert victim.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [Role.CLINIC_ADMIN, Role.SUPERVISOR, Role.PSYCHIATRIST])
def test_every_admin_url_answers_a_signed_in_non_superuser_403(signed_in, member, role):
    client = signed_in(member(role))
    for name in (
        "admin:index",
        "admin:login",
        "admin:password_change",
        "admin:auth_user_changelist",
        "admin:records_membership_add",
        "admin:records_clinic_changelist",
        "admin:records_agent_changelist",
        "admin:records_auditevent_changelist",
    ):
        assert client.get(reverse(name)).status_code == 403, name
        assert client.post(reverse(name)).status_code == 403, name


def test_the_admin_sign_in_still_lets_a_superuser_in_after_the_code(client, root):
    authenticator_for(root)
    response = client.post(reverse("admin:login"), {"username": "root", "password": ROOT_PASSWORD})
    assert response.status_code == 302
    # Operators sign in with a second factor too (docs/security.md).
    held = client.get(reverse("admin:index"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("records:two-factor-verify"))
    code_step_passed(client, root)
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_clinic_admin_cannot_sign_in_to_the_admin(client, clinic_admin):
    response = client.post(
        reverse("admin:login"),
        {"username": clinic_admin.username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code in (302, 403)


def test_admin_password_change_counts_wrong_old_passwords_toward_the_lock(client, root):
    """Defect 4: Django's form checked the old password without the lock-out counter."""
    verified_login(client, root)
    url = reverse("admin:password_change")
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"old_password": "guess", **form})
        assert response.status_code == 200
    response = client.post(url, {"old_password": "guess", **form})
    assert response.status_code == 429
    assert account_is_locked(root)
    assert "_auth_user_id" not in client.session
    root.refresh_from_db()
    assert root.check_password(ROOT_PASSWORD)


def test_admin_password_change_is_refused_while_locked(client, root):
    verified_login(client, root)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("admin:login"), {"username": "root", "password": "wrong"})
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": ROOT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 429
    root.refresh_from_db()
    assert root.check_password(ROOT_PASSWORD)


def test_admin_password_change_of_ones_own_account_is_audited(client, root):
    verified_login(client, root)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": ROOT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(object_type="account", object_id=root.pk)
    assert (event.actor_id, event.action) == (root.pk, AuditAction.UPDATE)
    assert "password" in event.changes
    assert NEW_PASSWORD not in str(event.changes)


def test_superuser_password_reset_of_a_user_is_audited_in_their_clinic(
    client, root, clinic, psychiatrist
):
    """Defect 6: account changes were only in Django's unprotected LogEntry."""
    verified_login(client, root)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[psychiatrist.pk]),
        password_form(NEW_PASSWORD),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert (event.actor_id, event.clinic_id) == (root.pk, clinic.pk)
    assert event.changes == {"password": [None, "set by an administrator"]}


def test_superuser_identity_and_activation_changes_are_audited(client, root, clinic, psychiatrist):
    verified_login(client, root)
    url = reverse("admin:auth_user_change", args=[psychiatrist.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "username": "renamed.clinician",
        "first_name": psychiatrist.first_name,
        "last_name": psychiatrist.last_name,
        "email": "new@example.org",
        "is_active": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(psychiatrist.memberships.get().pk),
        "memberships-0-user": str(psychiatrist.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert event.clinic_id == clinic.pk
    assert event.changes["username"][1] == "renamed.clinician"
    assert event.changes["email"][1] == "new@example.org"
    assert event.changes["is_active"] == ["yes", "no"]


def test_superuser_role_changes_are_audited(client, root, clinic, member):
    verified_login(client, root)
    person = member(Role.PSYCHIATRIST)
    response = client.post(
        reverse("admin:records_membership_add"),
        {
            "user": person.pk,
            "clinic": clinic.pk,
            "role": Role.SUPERVISOR,
            "password": ROOT_PASSWORD,
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="membership", action=AuditAction.CREATE)
    assert (event.actor_id, event.clinic_id) == (root.pk, clinic.pk)


@pytest.mark.parametrize(
    "query",
    [
        "occurred_at__year=99999999999999999999",
        "occurred_at__year=2026&occurred_at__month=99999999999999999999",
        "occurred_at__year=2026&occurred_at__month=1&occurred_at__day=99999999999",
        "occurred_at__year=-1",
        "occurred_at__year=9999&occurred_at__month=12&occurred_at__day=31",
        "occurred_at__year=2026&occurred_at__month=2&occurred_at__day=30",
        "occurred_at__year=abc",
    ],
)
def test_oversized_admin_date_filters_are_no_500(client, root, clinic, query):
    verified_login(client, root)
    AuditEvent.objects.create(clinic_id=clinic.pk, object_type="patient", action=AuditAction.VIEW)
    response = client.get(f"{reverse('admin:records_auditevent_changelist')}?{query}")
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/records/membership/?role__exact=%00",
        "/admin/auth/user/?q=%00",
        "/admin/records/auditevent/?%00=1",
    ],
)
def test_a_nul_in_an_admin_filter_is_a_400_not_a_500(client, root, path):
    verified_login(client, root)
    assert client.get(path).status_code == 400


def test_a_superuser_in_a_clinic_still_gets_the_admin(client, root, clinic):
    MembershipFactory(user=root, clinic=clinic, role=Role.CLINIC_ADMIN)
    verified_login(client, root)
    assert client.get(reverse("admin:index")).status_code == 200
