"""The Team page's forms: every action carries the admin's password (records/reauth.py)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.db import models
from django.http import HttpRequest

from records.models import Role
from records.reauth import PasswordReentryForm, password_confirm

from .common import ServiceErrorsForm


def _user_field(name: str, **overrides: Any) -> forms.Field:
    model_field = User._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    field = model_field.formfield(**overrides)
    assert field is not None
    return field


class InviteForm(PasswordReentryForm, ServiceErrorsForm):
    """A new person of the clinic: how they sign in, their name, e-mail and first role."""

    # ASCII only: no look-alike letters of other scripts in a name people sign in with.
    username = _user_field(
        "username",
        validators=[ASCIIUsernameValidator()],
        help_text="What they type to sign in: letters a–z, digits and @ . + - _ only.",
    )
    first_name = _user_field("first_name", required=True)
    last_name = _user_field("last_name", required=True)
    email = _user_field(
        "email",
        required=False,
        help_text="Optional. Where one is given and the server can send e-mail, the link is "
        "sent there too.",
    )
    role = forms.ChoiceField(choices=Role.choices)
    field_order = ["username", "first_name", "last_name", "email", "role", "password"]


class RoleForm(PasswordReentryForm, ServiceErrorsForm):
    """One role of the person, to add or to remove."""

    role = forms.ChoiceField(choices=Role.choices)
    field_order = ["role", "password"]

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role.value, role.label) for role in roles]


class InvitationAcceptForm(SetPasswordForm):  # type: ignore[type-arg]
    """The invited person's own password, twice; Django's password rules apply."""


class OwnPasswordChangeForm(PasswordChangeForm):
    """The signed-in user's new password; a wrong old one counts toward the lock-out."""

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        password_confirm(request=self.request, user=self.user, password=old_password)
        return old_password

    def save(self, commit: bool = True) -> User:
        raise NotImplementedError("records.services.accounts.account_password_change saves.")
