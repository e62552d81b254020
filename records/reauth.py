"""Password re-entry before an act that cannot be taken back: exports, deletions, role changes.

A form for such an act subclasses `PasswordReentryForm`; the view must pass the signed-in user
and the request (required, so no form can skip the lock-out check). A wrong password counts as a
failed sign-in (ASVS 2.2.1): otherwise the form would be an unthrottled way to guess the password
for whoever finds a session left open. When the failures lock the account, the session ends and
the sign-in page says the account is locked. `password_confirm` is the same check for forms that
ask for the current password under another name (the own-password change).
"""

from typing import Any

from django import forms
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest

REENTRY_REFUSED = "That is not your password. Type the password you sign in with."
REENTRY_LOCKED = "Too many wrong passwords: your account is locked and you are signed out."


def password_confirm(
    *, request: HttpRequest, user: AbstractBaseUser | AnonymousUser, password: str
) -> None:
    """Refuse (ValidationError) a password that is not the user's, counting it toward the lock."""
    credentials = {"username": user.get_username()}
    if _locked(request, credentials):
        _sign_out(request)
    if not user.check_password(password):
        # axes records the failure and flags the request when it reaches the limit.
        user_login_failed.send(sender=password_confirm, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            _sign_out(request)
        raise ValidationError(REENTRY_REFUSED, code="password_incorrect")


def _locked(request: HttpRequest, credentials: dict[str, str]) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, credentials))


def _sign_out(request: HttpRequest) -> None:
    # axes's middleware answers a flagged request with the sign-in page's lock-out message.
    request.axes_locked_out = True  # type: ignore[attr-defined]
    logout(request)
    raise ValidationError(REENTRY_LOCKED, code="locked_out")


class PasswordReentryForm(forms.Form):
    """Asks the signed-in user for their password again; valid only when it is theirs."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Type your password again to confirm this.",
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser | AnonymousUser,
        request: HttpRequest,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_confirm(request=self.request, user=self.user, password=password)
        return password
