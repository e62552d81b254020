from django.http import HttpRequest

from .access import Permission, request_access
from .extensions import settings_pages


def clinic_navigation(request: HttpRequest) -> dict[str, object]:
    """Expose the active clinic and which navigation entries the user's roles open."""
    access = request_access(request) if hasattr(request, "user") else None
    if access is None:
        return {"clinic_access": None, "nav": {}}
    nav: dict[str, object] = {
        "patients": access.can(Permission.VIEW_PATIENTS),
        "impasse_queue": access.can(Permission.REVIEW_IMPASSE),
        "cohort": access.can(Permission.VIEW_COHORT),
        "manage_clinic": access.can(Permission.MANAGE_CLINIC),
        "audit_log": access.can(Permission.VIEW_AUDIT),
    }
    return {"clinic_access": access, "nav": nav, "extra_settings_pages": settings_pages()}
