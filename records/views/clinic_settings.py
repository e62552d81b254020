"""The clinic admin's settings pages: the letterhead, medication import, the clinic's agents.

The staging defaults have their own page (records/views/staging.py), linked from the same
settings navigation. Every change goes through a service that checks and audits it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from records.access import Permission, clinic_access
from records.forms.clinic_settings import AgentForm, LetterheadForm, SupplyGapForm
from records.models import Agent
from records.services import agent_create, agent_delete, agent_update
from records.services.agents import AGENT_NOT_FOUND
from records.services.clinic_settings import (
    MEDICATION_IMPORT,
    clinic_letterhead_update,
    clinic_settings_save,
)

from .common import NOTHING_SAVED

LETTERHEAD_SAVED = "Letterhead saved: new reports print with it."
SUPPLY_GAP_SAVED = "Saved: imports now join supplies up to {days} days apart into one course."
AGENT_ADDED = "{name} is in the clinic's catalogue."
AGENT_SAVED = "{name} saved."
AGENT_DELETED = "{name} is no longer in the clinic's catalogue."


@require_http_methods(["GET", "POST"])
def letterhead_page(request: HttpRequest) -> HttpResponse:
    """Show and change the clinic's name, address, logo and paper size."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    clinic = access.clinic
    if request.method != "POST":
        form = LetterheadForm(initial=LetterheadForm.initial_for(clinic))
    else:
        form = LetterheadForm(
            request.POST, request.FILES, initial=LetterheadForm.initial_for(clinic)
        )
        if form.is_valid():
            try:
                clinic_letterhead_update(
                    acting_user=request.user, clinic_id=clinic.pk, data=form.to_input()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, LETTERHEAD_SAVED)
                return redirect("records:settings-letterhead")
        messages.error(request, NOTHING_SAVED)
    context = {"form": form, "clinic": clinic, "section": "letterhead"}
    return render(request, "records/settings_letterhead.html", context)


@require_http_methods(["GET", "POST"])
def medication_import_settings_page(request: HttpRequest) -> HttpResponse:
    """Show and change how long a gap between supplies still continues one course."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    clinic = access.clinic
    if request.method != "POST":
        form = SupplyGapForm(initial={"supply_gap_days": clinic.supply_gap_days})
    else:
        form = SupplyGapForm(request.POST)
        if form.is_valid():
            try:
                clinic_settings_save(
                    acting_user=request.user,
                    clinic_id=clinic.pk,
                    row=MEDICATION_IMPORT,
                    values={"supply_gap_days": form.days},
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, SUPPLY_GAP_SAVED.format(days=form.days))
                return redirect("records:settings-medication-import")
        messages.error(request, NOTHING_SAVED)
    context = {"form": form, "clinic": clinic, "section": "medication-import"}
    return render(request, "records/settings_medication_import.html", context)


def _own_agent(clinic_id: int, agent_id: int) -> Agent:
    agent = Agent.objects.filter(pk=agent_id, clinic_id=clinic_id).first()
    if agent is None:
        raise Http404(AGENT_NOT_FOUND)
    return agent


@require_http_methods(["GET"])
def agent_list_page(request: HttpRequest) -> HttpResponse:
    """List the clinic's own agents; the built-in catalogue is shared and read-only."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    context = {
        "agents": Agent.objects.filter(clinic=access.clinic).order_by("name"),
        "builtin_count": Agent.objects.filter(clinic=None).count(),
        "section": "agents",
    }
    return render(request, "records/settings_agents.html", context)


@require_http_methods(["GET", "POST"])
def agent_form_page(request: HttpRequest, agent_id: int | None = None) -> HttpResponse:
    """Add one of the clinic's own agents, or change one."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    agent = None if agent_id is None else _own_agent(access.clinic.pk, agent_id)
    if request.method != "POST":
        form = AgentForm(initial=AgentForm.initial_for(agent) if agent else None)
    else:
        form = AgentForm(request.POST)
        if form.is_valid():
            try:
                if agent is None:
                    saved = agent_create(
                        acting_user=request.user, clinic_id=access.clinic.pk, data=form.to_input()
                    )
                    message = AGENT_ADDED
                else:
                    saved = agent_update(
                        acting_user=request.user, agent_id=agent.pk, data=form.to_input()
                    )
                    message = AGENT_SAVED
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, message.format(name=saved.name))
                return redirect("records:settings-agents")
        messages.error(request, NOTHING_SAVED)
    context = {"form": form, "agent": agent, "section": "agents"}
    return render(request, "records/settings_agent_form.html", context)


@require_http_methods(["GET", "POST"])
def agent_delete_page(request: HttpRequest, agent_id: int) -> HttpResponse:
    """Confirm and remove one of the clinic's own agents that no trial records."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    agent = _own_agent(access.clinic.pk, agent_id)
    error = ""
    if request.method == "POST":
        try:
            agent_delete(acting_user=request.user, agent_id=agent.pk)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, AGENT_DELETED.format(name=agent.name))
            return redirect("records:settings-agents")
    context = {"agent": agent, "error": error, "section": "agents"}
    return render(request, "records/settings_agent_delete.html", context)
