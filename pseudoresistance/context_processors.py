from django.http import HttpRequest

from pseudoresistance.selectors import impasse_queue_count
from records.access import Permission, request_access


def impasse_queue_badge(request: HttpRequest) -> dict[str, object]:
    """Expose how many cases wait in the impasse queue, for reviewers only (one count query)."""
    access = request_access(request) if hasattr(request, "user") else None
    if access is None or not access.can(Permission.REVIEW_IMPASSE):
        return {}
    return {"impasse_queue_count": impasse_queue_count(access=access)}
