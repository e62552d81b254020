"""The user name django-axes counts failed sign-ins under (AXES_USERNAME_CALLABLE)."""

from axes.conf import settings
from axes.models import AccessAttempt
from django.http import HttpRequest

# axes stores the name in its attempt and log tables, 255 characters each: a longer one, which
# no account can have (150 at most), made the sign-in and the admin's sign-in answer 500.
STORED_LENGTH = AccessAttempt._meta.get_field("username").max_length


def attempted_username(
    request: HttpRequest, credentials: dict[str, object] | None = None
) -> str | None:
    """Return the name tried, as axes reads it, cut to what its tables store.

    A cut name is still counted and locked like any other; no account has a name that long.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    name = (
        credentials.get(field) if credentials else getattr(request, "data", request.POST).get(field)
    )
    return None if name is None else str(name)[:STORED_LENGTH]
