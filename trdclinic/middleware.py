"""Session time limits: the idle timeout's renewal and the absolute lifetime after sign-in."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT_SESSION_KEY = "trdclinic_signed_in_at"
SEEN_AT_SESSION_KEY = "trdclinic_seen_at"
# The idle timeout runs from the session's last save. Renewing it at most once a minute keeps
# it within a minute of the last request and spares most requests a session write (a savepoint
# and an UPDATE: three SQL statements, and a row lock shared by a user's parallel requests).
IDLE_RENEWAL_SECONDS = 60
SESSION_ENDED = "You were signed out {hours} hours after signing in. Sign in again to continue."


class SessionLifetimeMiddleware:
    """Ends a session SESSION_MAX_AGE_SECONDS after sign-in (ASVS 3.3.2, NIST SP 800-63B 4.2.3).

    The idle timeout is the session cookie's age, renewed here at most once a minute; the
    lifetime is the limit activity cannot extend.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
            if signed_in_at is not None and now - signed_in_at > settings.SESSION_MAX_AGE_SECONDS:
                logout(request)
                hours = settings.SESSION_MAX_AGE_SECONDS // 3600
                messages.info(request, SESSION_ENDED.format(hours=hours))
                return redirect_to_login(request.get_full_path())
        response = self.get_response(request)
        if request.user.is_authenticated:
            session = request.session
            # Stamp the session of a sign-in (login() starts a fresh session without the stamp).
            if SIGNED_IN_AT_SESSION_KEY not in session:
                session[SIGNED_IN_AT_SESSION_KEY] = now
            if now - session.get(SEEN_AT_SESSION_KEY, 0) >= IDLE_RENEWAL_SECONDS:
                session[SEEN_AT_SESSION_KEY] = now
        return response


class NoStoreMiddleware:
    """Keeps every response to a signed-in user out of browser and proxy caches (ASVS 8.2.1).

    Patient pages, PDFs and exports must not be left on a shared workstation's disk or in a
    proxy; `Pragma` covers HTTP/1.0 caches. Static files never reach here: whitenoise answers
    them earlier, with its own long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
