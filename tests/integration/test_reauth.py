import pytest
from django.test import RequestFactory

from records.reauth import REENTRY_REFUSED, PasswordReentryForm
from tests.factories.clinic import UserFactory

pytestmark = pytest.mark.django_db


def test_the_users_own_password_confirms():
    user = UserFactory(password="correct horse battery")
    form = PasswordReentryForm(
        {"password": "correct horse battery"}, user=user, request=RequestFactory().post("/")
    )
    assert form.is_valid()


@pytest.mark.parametrize("typed", ["wrong", "", " correct horse battery"])
def test_any_other_password_is_refused_beside_the_field(typed):
    user = UserFactory(password="correct horse battery")
    form = PasswordReentryForm({"password": typed}, user=user, request=RequestFactory().post("/"))
    assert not form.is_valid()
    assert form.errors["password"]
    if typed:
        assert form.errors["password"] == [REENTRY_REFUSED]
