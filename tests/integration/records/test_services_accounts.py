"""Who may change an account's credentials: only an admin of every clinic the account works in."""

import pytest
from django.core.exceptions import PermissionDenied

from records.models import Role
from records.services.accounts import (
    account_credentials_manageable,
    require_credentials_manageable,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_clinic_admin_manages_a_user_who_works_only_in_their_clinic(clinic_admin, psychiatrist):
    assert account_credentials_manageable(clinic_admin, psychiatrist)
    require_credentials_manageable(clinic_admin, psychiatrist)


def test_clinic_admin_cannot_manage_an_account_without_a_clinic(clinic_admin):
    assert not account_credentials_manageable(clinic_admin, UserFactory())


def test_clinic_admin_cannot_manage_a_superuser_even_one_in_their_clinic(
    clinic, clinic_admin, django_user_model
):
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    MembershipFactory(user=root, clinic=clinic, role=Role.PSYCHIATRIST)
    assert not account_credentials_manageable(clinic_admin, root)


def test_clinic_admin_cannot_manage_another_clinics_user(clinic_admin, stranger):
    assert not account_credentials_manageable(clinic_admin, stranger)


def test_a_user_shared_with_another_clinic_is_not_manageable(clinic, clinic_admin, stranger):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied, match="also works in a clinic you do not administer"):
        require_credentials_manageable(clinic_admin, stranger)


def test_an_admin_of_both_clinics_manages_a_shared_user(
    clinic, other_clinic, clinic_admin, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    MembershipFactory(user=clinic_admin, clinic=other_clinic, role=Role.CLINIC_ADMIN)
    assert account_credentials_manageable(clinic_admin, stranger)


def test_a_psychiatrist_manages_nobody(psychiatrist, supervisor):
    assert not account_credentials_manageable(psychiatrist, supervisor)


def test_a_superuser_manages_anyone(stranger, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    assert account_credentials_manageable(root, stranger)
