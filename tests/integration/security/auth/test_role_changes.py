"""ASVS 4.3.3: adding or removing a role (on the Team page) asks for the password; audited.

The admin did this for clinic admins before issue 13; it is for superusers now, where role
changes still ask for the password and are audited (tests/integration/test_admin.py).
"""

import pytest
from django.urls import reverse

from records.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import MembershipFactory
from tests.factories.clinic import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_adding_a_role_needs_the_password_and_is_audited(
    signed_in, clinic_admin, clinic, psychiatrist
):
    client = signed_in(clinic_admin)
    url = reverse("records:team-role-add", args=[psychiatrist.pk])
    data = {"role": Role.SUPERVISOR}
    refused = client.post(url, {**data, "password": "wrong"})
    assert refused.status_code == 200
    assert "password" in refused.context["forms"]["add_role"].errors
    assert not psychiatrist.memberships.filter(role=Role.SUPERVISOR).exists()
    response = client.post(url, {**data, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    membership = Membership.objects.get(user=psychiatrist, role=Role.SUPERVISOR)
    event = AuditEvent.objects.get(object_type="membership", object_id=membership.pk)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.CREATE,
        clinic_admin.pk,
        clinic.pk,
    )
    assert event.changes["role"] == [None, "Supervisor"]


def test_removing_a_role_needs_the_password_and_is_audited(
    signed_in, clinic_admin, clinic, psychiatrist
):
    MembershipFactory(user=psychiatrist, clinic=clinic, role=Role.SUPERVISOR)
    membership = psychiatrist.memberships.get(role=Role.PSYCHIATRIST)
    client = signed_in(clinic_admin)
    url = reverse("records:team-role-remove", args=[psychiatrist.pk])
    page = client.get(reverse("records:team-member", args=[psychiatrist.pk]))
    assert 'name="password"' in page.content.decode()
    refused = client.post(url, {"role": Role.PSYCHIATRIST, "password": "wrong"})
    assert refused.status_code == 200
    assert Membership.objects.filter(pk=membership.pk).exists()
    response = client.post(url, {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(object_type="membership", action=AuditAction.DELETE)
    assert event.changes["role"] == ["Psychiatrist", None]


def test_a_role_in_another_clinic_cannot_be_changed(signed_in, clinic_admin, other_clinic):
    foreign = MembershipFactory(clinic=other_clinic, role=Role.PSYCHIATRIST)
    client = signed_in(clinic_admin)
    url = reverse("records:team-role-remove", args=[foreign.user_id])
    response = client.post(url, {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
    assert not AuditEvent.objects.filter(object_type="membership").exists()


def test_another_clinics_user_cannot_be_added_to_the_admins_clinic(
    signed_in, clinic_admin, clinic, other_clinic
):
    """Issue 13, defect 2: no page takes another clinic's user id to give them a role here."""
    foreign = MembershipFactory(clinic=other_clinic, role=Role.SUPERVISOR)
    client = signed_in(clinic_admin)
    response = client.post(
        reverse("records:team-role-add", args=[foreign.user_id]),
        {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 404
    assert not Membership.objects.filter(user_id=foreign.user_id, clinic=clinic).exists()
