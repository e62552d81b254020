"""The clinic's follow-up setting page (the caseload itself is the patient list)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from records.access import Permission, clinic_access
from records.forms.caseload import ScoreIntervalForm
from records.services.caseload import clinic_score_interval_update

from .common import NOTHING_SAVED

INTERVAL_SAVED = "Saved: a latest score older than {days} days is shown as overdue."


@require_http_methods(["GET", "POST"])
def follow_up_settings_page(request: HttpRequest) -> HttpResponse:
    """Show and change the days between ratings after which a score is overdue."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    clinic = access.clinic
    if request.method != "POST":
        form = ScoreIntervalForm(initial={"score_interval_days": clinic.score_interval_days})
    else:
        form = ScoreIntervalForm(request.POST)
        if form.is_valid():
            try:
                clinic_score_interval_update(
                    acting_user=request.user, clinic_id=clinic.pk, days=form.days
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, INTERVAL_SAVED.format(days=form.days))
                return redirect("records:settings-follow-up")
        messages.error(request, NOTHING_SAVED)
    context = {"form": form, "clinic": clinic, "section": "follow-up"}
    return render(request, "records/settings_follow_up.html", context)
