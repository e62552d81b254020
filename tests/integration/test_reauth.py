import pytest

from tests.factories.clinic import UserFactory
from trdclinic.reauth import REENTRY_REFUSED, PasswordReentryForm

pytestmark = pytest.mark.django_db


def test_the_users_own_password_confirms():
    user = UserFactory(password="correct horse battery")
    form = PasswordReentryForm({"password": "correct horse battery"}, user=user)
    assert form.is_valid()


@pytest.mark.parametrize("typed", ["wrong", "", " correct horse battery"])
def test_any_other_password_is_refused_beside_the_field(typed):
    user = UserFactory(password="correct horse battery")
    form = PasswordReentryForm({"password": typed}, user=user)
    assert not form.is_valid()
    assert form.errors["password"]
    if typed:
        assert form.errors["password"] == [REENTRY_REFUSED]
