"""ASVS 4.3.3: adding, changing or removing a role in the admin asks for the password; audited."""

import pytest
from django.urls import reverse

from records.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_adding_a_role_needs_the_password_and_is_audited(signed_in, clinic_admin, clinic):
    newcomer = UserFactory()
    client = signed_in(clinic_admin)
    url = reverse("admin:records_membership_add")
    data = {"user": newcomer.pk, "clinic": clinic.pk, "role": Role.PSYCHIATRIST}
    refused = client.post(url, {**data, "password": "wrong"})
    assert refused.status_code == 200
    assert "password" in refused.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()
    response = client.post(url, {**data, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    event = AuditEvent.objects.get(object_type="membership", object_id=membership.pk)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.CREATE,
        clinic_admin.pk,
        clinic.pk,
    )
    assert event.changes["role"] == [None, "Psychiatrist"]


def test_changing_a_role_needs_the_password_and_is_audited(
    signed_in, clinic_admin, clinic, psychiatrist
):
    membership = psychiatrist.memberships.get()
    client = signed_in(clinic_admin)
    url = reverse("admin:records_membership_change", args=[membership.pk])
    data = {"user": psychiatrist.pk, "clinic": clinic.pk, "role": Role.SUPERVISOR}
    assert client.post(url, data).status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.PSYCHIATRIST
    assert client.post(url, {**data, "password": DEFAULT_PASSWORD}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.SUPERVISOR
    event = AuditEvent.objects.get(object_type="membership", action=AuditAction.UPDATE)
    assert event.changes == {"role": ["Psychiatrist", "Supervisor"]}


def test_removing_a_role_needs_the_password_and_is_audited(signed_in, clinic_admin, psychiatrist):
    membership = psychiatrist.memberships.get()
    client = signed_in(clinic_admin)
    url = reverse("admin:records_membership_delete", args=[membership.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    refused = client.post(url, {"post": "yes", "password": "wrong"}, follow=True)
    assert "The role was not removed" in refused.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    response = client.post(url, {"post": "yes", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(object_type="membership", action=AuditAction.DELETE)
    assert event.changes["role"] == ["Psychiatrist", None]


def test_roles_cannot_be_removed_in_bulk(signed_in, clinic_admin):
    listing = signed_in(clinic_admin).get(reverse("admin:records_membership_changelist"))
    action_form = listing.context["action_form"]
    actions = [] if action_form is None else [c[0] for c in action_form.fields["action"].choices]
    assert "delete_selected" not in actions


def test_roles_are_read_only_on_the_user_page(signed_in, clinic_admin, psychiatrist):
    response = signed_in(clinic_admin).get(
        reverse("admin:auth_user_change", args=[psychiatrist.pk])
    )
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


def test_a_role_in_another_clinic_cannot_be_changed(signed_in, clinic_admin, other_clinic):
    foreign = MembershipFactory(clinic=other_clinic, role=Role.PSYCHIATRIST)
    client = signed_in(clinic_admin)
    url = reverse("admin:records_membership_delete", args=[foreign.pk])
    client.post(url, {"post": "yes", "password": DEFAULT_PASSWORD})
    assert Membership.objects.filter(pk=foreign.pk).exists()
    assert not AuditEvent.objects.filter(object_type="membership").exists()
