"""Password re-entry before an act that cannot be taken back: exports, deletions, role changes.

A form for such an act subclasses `PasswordReentryForm`; the view must pass the signed-in user
and the request (required, so no form can skip the lock-out check). A wrong password counts as a
failed sign-in (ASVS 2.2.1): otherwise the form would be an unthrottled way to guess the password
for whoever finds a session left open. When the failures lock the account, the session ends and
the sign-in page says the account is locked.
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
        if self._locked():
            self._sign_out()
        if not self.user.check_password(password):
            self._count_failure()
            raise ValidationError(REENTRY_REFUSED, code="password_incorrect")
        return password

    def _credentials(self) -> dict[str, str]:
        return {"username": self.user.get_username()}

    def _locked(self) -> bool:
        from axes.handlers.proxy import AxesProxyHandler

        return bool(AxesProxyHandler.is_locked(self.request, self._credentials()))

    def _count_failure(self) -> None:
        # axes records the failure and flags the request when it reaches the limit.
        user_login_failed.send(
            sender=type(self), credentials=self._credentials(), request=self.request
        )
        if getattr(self.request, "axes_locked_out", False):
            self._sign_out()

    def _sign_out(self) -> None:
        # axes's middleware answers a flagged request with the sign-in page's lock-out message.
        self.request.axes_locked_out = True  # type: ignore[attr-defined]
        logout(self.request)
        raise ValidationError(REENTRY_LOCKED, code="locked_out")
