"""Choosing the clinic a user works in, for users who belong to several."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from records.access import ACTIVE_CLINIC_SESSION_KEY, clinic_access

NOT_A_MEMBER = "You are not a member of that clinic."
CLINIC_SWITCHED = "You are now working in {clinic}."


@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request)
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        clinic_id = -1
    chosen = next((c for c in access.clinics if c.pk == clinic_id), None)
    if chosen is None:
        raise PermissionDenied(NOT_A_MEMBER)
    request.session[ACTIVE_CLINIC_SESSION_KEY] = chosen.pk
    messages.success(request, CLINIC_SWITCHED.format(clinic=chosen.name))
    return redirect("records:patient-list")
