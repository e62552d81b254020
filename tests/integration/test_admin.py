"""The admin is open to clinic admins, scoped to their own clinics."""

from django.urls import reverse

from records.models import Role
from tests.factories import MembershipFactory
from tests.two_factor import verified_login


def test_psychiatrist_cannot_open_the_admin(signed_in, psychiatrist):
    response = signed_in(psychiatrist).get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_clinic_admin_sees_only_memberships_of_their_clinic(
    signed_in, clinic_admin, psychiatrist, stranger
):
    response = signed_in(clinic_admin).get(reverse("admin:records_membership_changelist"))
    assert response.status_code == 200
    listed = {m.user.username for m in response.context["cl"].result_list}
    assert psychiatrist.username in listed
    assert stranger.username not in listed


def test_clinic_admin_cannot_open_a_user_of_another_clinic(signed_in, clinic_admin, stranger):
    response = signed_in(clinic_admin).get(reverse("admin:auth_user_change", args=[stranger.pk]))
    assert response.status_code == 302  # the admin redirects a hidden object to its index


def test_clinic_admin_cannot_make_anyone_a_superuser(signed_in, clinic_admin, psychiatrist):
    response = signed_in(clinic_admin).get(
        reverse("admin:auth_user_change", args=[psychiatrist.pk])
    )
    assert response.status_code == 200
    assert "is_superuser" not in response.context["adminform"].form.fields


def test_clinic_admin_adds_a_membership_only_in_their_clinic(
    signed_in, clinic_admin, clinic, other_clinic, psychiatrist
):
    client = signed_in(clinic_admin)
    page = client.get(reverse("admin:records_membership_add"))
    choices = list(page.context["adminform"].form.fields["clinic"].queryset)
    assert choices == [clinic]
    response = client.post(
        reverse("admin:records_membership_add"),
        {"user": psychiatrist.pk, "clinic": other_clinic.pk, "role": Role.SUPERVISOR},
    )
    assert response.status_code == 200
    assert "clinic" in response.context["adminform"].form.errors
    assert not psychiatrist.memberships.filter(clinic=other_clinic).exists()


def test_superuser_sees_every_clinic(client, clinic, other_clinic, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    MembershipFactory(clinic=other_clinic)
    verified_login(client, root)
    response = client.get(reverse("admin:records_clinic_changelist"))
    assert {c.name for c in response.context["cl"].result_list} >= {clinic.name, other_clinic.name}
