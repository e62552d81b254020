"""Password re-entry before an act that cannot be taken back: exports, deletions, role changes.

A form for such an act subclasses `PasswordReentryForm`; the view passes the signed-in user.
"""

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

REENTRY_REFUSED = "That is not your password. Type the password you sign in with."


class PasswordReentryForm(forms.Form):
    """Asks the signed-in user for their password again; valid only when it is theirs."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Type your password again to confirm this.",
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(REENTRY_REFUSED, code="password_incorrect")
        return password
