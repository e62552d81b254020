from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from records.demo import DEMO_CLINIC_NAME, DEMO_USERS, demo_clinic_create
from records.models import Clinic, Membership, Patient


@pytest.mark.django_db
def test_demo_creates_one_user_per_role_with_working_passwords():
    accounts = demo_clinic_create()
    assert {a.role for a in accounts} == {role for *_, role in DEMO_USERS}
    for account in accounts:
        assert authenticate(username=account.username, password=account.password) is not None
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    assert Patient.objects.filter(clinic=clinic).count() >= 3


@pytest.mark.django_db
def test_demo_is_idempotent_and_keeps_passwords():
    first = demo_clinic_create()
    counts = (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count())
    second = demo_clinic_create()
    assert (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count()) == counts
    assert all(account.password is None for account in second)
    assert authenticate(username=first[0].username, password=first[0].password) is not None


@pytest.mark.django_db
def test_demo_command_prints_each_password_once():
    first, second = StringIO(), StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)
    assert first.getvalue().count("(shown once)") == len(DEMO_USERS)
    assert "(shown once)" not in second.getvalue()
