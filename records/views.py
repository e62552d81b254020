from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .access import ACTIVE_CLINIC_SESSION_KEY, Permission, clinic_access
from .selectors import patient_search

PATIENTS_PER_PAGE = 25


def patient_list(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(patient_search(access=access, query=query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "records/patient_list.html", {"page": page, "query": query})


@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request)
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        clinic_id = -1
    chosen = next((c for c in access.clinics if c.pk == clinic_id), None)
    if chosen is None:
        raise PermissionDenied("You are not a member of that clinic.")
    request.session[ACTIVE_CLINIC_SESSION_KEY] = chosen.pk
    messages.success(request, f"You are now working in {chosen.name}.")
    return redirect("records:patient-list")
