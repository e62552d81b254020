from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from records.demo import (
    DEMO_CLINIC_NAME,
    DEMO_USERS,
    demo_clinic_create,
)
from records.models import Clinic, Membership, Patient


def signs_in(username: str, password: str | None) -> bool:
    # The lock-out backend (django-axes) needs the sign-in request, as the sign-in form passes it.
    request = RequestFactory().post("/signin/")
    return authenticate(request, username=username, password=password) is not None


@pytest.mark.django_db
def test_demo_creates_one_user_per_role_with_working_passwords():
    accounts = demo_clinic_create()
    assert {a.role for a in accounts} == {role for *_, role in DEMO_USERS}
    for account in accounts:
        assert signs_in(account.username, account.password)
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    assert Patient.objects.filter(clinic=clinic).count() >= 3


@pytest.mark.django_db
def test_demo_is_idempotent_and_keeps_passwords():
    first = demo_clinic_create()
    counts = (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count())
    second = demo_clinic_create()
    assert (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count()) == counts
    assert all(account.password is None for account in second)
    assert signs_in(first[0].username, first[0].password)


@pytest.mark.django_db
def test_demo_command_prints_each_password_once():
    first, second = StringIO(), StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)
    assert first.getvalue().count("(shown once)") == len(DEMO_USERS)
    assert "(shown once)" not in second.getvalue()
