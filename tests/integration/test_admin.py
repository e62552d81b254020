"""The admin is for platform operators (superusers) only; clinic admins use the Team page."""

import pytest
from django.urls import reverse

from records.models import AuditEvent, Role
from tests.factories import MembershipFactory
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x" * 16)


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_signed_in_non_superusers_get_403(signed_in, member, role):
    response = signed_in(member(role)).get(reverse("admin:index"))
    assert response.status_code == 403


def test_staff_without_superuser_gets_403(signed_in, member):
    user = member(Role.CLINIC_ADMIN)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert signed_in(user).get(reverse("admin:auth_user_changelist")).status_code == 403


def test_anonymous_gets_the_admin_sign_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_superuser_sees_every_clinic(client, clinic, other_clinic, root):
    MembershipFactory(clinic=other_clinic)
    verified_login(client, root)
    response = client.get(reverse("admin:records_clinic_changelist"))
    assert {c.name for c in response.context["cl"].result_list} >= {clinic.name, other_clinic.name}


def test_superuser_clinic_changes_are_audited(client, clinic, root):
    verified_login(client, root)
    response = client.post(
        reverse("admin:records_clinic_change", args=[clinic.pk]),
        {"name": "Riverside Clinic North", "address": "", "paper_size": "A4"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="clinic", object_id=clinic.pk)
    assert (event.actor_id, event.clinic_id) == (root.pk, clinic.pk)
    assert event.changes["name"] == ["Riverside Clinic", "Riverside Clinic North"]


def test_superuser_creates_an_account_audited(client, root):
    verified_login(client, root)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new.operator.made",
            "password1": "tundra-lantern-quietly-87",
            "password2": "tundra-lantern-quietly-87",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="account")
    assert event.clinic_id is None
    assert event.changes["username"] == [None, "new.operator.made"]
    assert event.changes["password"] == [None, "set by an administrator"]


def test_the_agent_catalogue_is_read_only_in_the_admin(client, root):
    verified_login(client, root)
    assert client.get(reverse("admin:records_agent_changelist")).status_code == 200
    assert client.get(reverse("admin:records_agent_add")).status_code == 403


def test_accounts_are_never_deleted_in_the_admin(client, root, psychiatrist):
    verified_login(client, root)
    url = reverse("admin:auth_user_delete", args=[psychiatrist.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403


def test_every_account_field_in_the_admin_is_one_the_audit_records(client, root, psychiatrist):
    from records.services.accounts import ACCOUNT_FIELDS

    verified_login(client, root)
    page = client.get(reverse("admin:auth_user_change", args=[psychiatrist.pk]))
    editable = set(page.context["adminform"].form.fields) - {"password"}
    assert editable <= set(ACCOUNT_FIELDS)
    assert "user_permissions" not in editable
    assert "groups" not in editable
