"""The second factor on every request: whether the session passed it, and confinement until it has.

After the password, a user who owes a code sees nothing else.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from records.signed_in import confirmed_device, signed_in
from records.two_factor import two_factor_enrolled, two_factor_required_for

VERIFY_VIEW = "records:two-factor-verify"
ENROL_VIEW = "records:two-factor-enrol"
# Open to every signed-in user whatever they owe: leaving, and the load balancer's probe.
ALWAYS_OPEN_VIEWS = frozenset({"logout", "healthz"})


class SignedInOTPMiddleware(OTPMiddleware):  # type: ignore[misc]  # django-otp is untyped
    """django-otp's OTPMiddleware, checking the session's device against the devices read with
    the user (records/signed_in.py) rather than with a query of its own.

    The same rule as django-otp's: the session is verified only while the device that accepted
    its code exists, belongs to the user and is confirmed. A user read another way (another
    backend) is checked by django-otp's own query.
    """

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        loaded = signed_in(user)
        if loaded is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        device = (
            confirmed_device(self._normalize_persistent_id(persistent_id), user, loaded)
            if persistent_id
            else None
        )
        user.otp_device = self._finalize_device(request, user, device)
        return user


class TwoFactorMiddleware:
    """Sends a signed-in user who has not passed the second factor to the page that asks for it.

    An enrolled user goes to the code page, a user who must enrol and has not to enrolment; every
    other URL (pages, JSON and PDF downloads, the admin, even unknown addresses) redirects there.
    Installed after django-otp's OTPMiddleware, which marks a session verified by a code.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            target = self._owed_step(request)
            if target is not None:
                return self._redirect(request, target)
        return self.get_response(request)

    def _owed_step(self, request: HttpRequest) -> str | None:
        """Return the view the user must go to, None when this request may go ahead."""
        if request.path_info.startswith("/" + str(settings.STATIC_URL).lstrip("/")):
            return None
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            view_name = ""
        if view_name in ALWAYS_OPEN_VIEWS:
            return None
        if two_factor_enrolled(request.user):  # type: ignore[arg-type]
            target = VERIFY_VIEW
        elif two_factor_required_for(request.user):
            target = ENROL_VIEW
        else:
            return None
        return None if view_name == target else target

    @staticmethod
    def _redirect(request: HttpRequest, target: str) -> HttpResponse:
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
