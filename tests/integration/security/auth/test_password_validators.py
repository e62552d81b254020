"""ASVS 2.1.1, 2.1.7 (NIST SP 800-63B 5.1.1.2): at least 12 characters, not common, not like the
user's own details, not all digits; every password form enforces them (the invitation and
own-password pages: tests/integration/records/test_team.py, test_account_password.py)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import UserFactory
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Shrt-pw-1", "at least 12 characters"),
        ("password1234", "too common"),
        ("849302175638", "entirely numeric"),
        ("margaret.okonkwo", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    user = UserFactory(username="margaret.okonkwo", first_name="Margaret", last_name="Okonkwo")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert any(reason in message for message in refused.value.messages)


def test_a_long_uncommon_passphrase_is_accepted():
    user = UserFactory(username="margaret.okonkwo")
    validate_password("tundra-lantern-quietly-87", user)


def test_the_admin_refuses_a_weak_password_for_a_new_user(client, django_user_model):
    verified_login(client, django_user_model.objects.create_superuser("root", password="x" * 16))
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new.clinician",
            "password1": "password1234",
            "password2": "password1234",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
