"""Staging pages: every model side by side, the results as JSON, and the clinic's defaults."""

import datetime
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from records.access import Permission, clinic_access, patient_for_user
from records.forms.common import ServiceErrorsForm
from records.forms.staging_defaults import ClinicStagingDefaultsForm, EpisodeStagingParametersForm
from records.forms.trials import VersionForm
from records.history import default_params
from records.models import ClinicStagingDefaults, Episode
from records.selectors import patient_detail
from records.services import (
    RecordPage,
    StaleEditError,
    episode_staging_parameters_update,
    patient_record_opened,
)
from records.services.clinic_settings import settings_version
from records.services.staging_defaults import clinic_staging_defaults_update
from records.services.staging_export import staging_results_export
from records.staging import (
    NO_EPISODE,
    VARIANT_LABELS,
    Variant,
    clinic_staging_defaults_for,
    own_parameter_rows,
    staging_page,
)
from staging.history import Params

from .common import NOTHING_SAVED

DEFAULTS_SAVED = "Staging defaults saved: every staging page of {clinic} now uses them."
DEFAULTS_UNCHANGED = "Nothing changed: the staging defaults are as they were."
NOTHING_TO_EXPORT = "This patient has no episode to stage yet."
EPISODE_PARAMETERS_SAVED = "Saved: this episode is staged with these parameters from now on."
EPISODE_PARAMETERS_UNCHANGED = (
    "Nothing changed: this episode's staging parameters are as they were."
)
# With its own parameters an episode's default results are not the clinic's defaults alone.
EPISODE_VARIANT_LABEL = "This episode's parameters"
FUTURE_DATE = "Staging is as of today at the latest: the date given is in the future."


class StagingQueryForm(forms.Form):
    """The staging page's GET parameters: which failure rule, and as of which date."""

    rule = forms.ChoiceField(
        choices=[(variant.value, VARIANT_LABELS[variant]) for variant in Variant], required=False
    )
    on = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def clean_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data["on"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(FUTURE_DATE, code="future_date")
        return day


@dataclass(frozen=True)
class StagingQuery:
    """The staging page's GET parameters, read; `errors` says what was ignored."""

    variant: Variant
    day: datetime.date | None
    errors: str


def _query(request: HttpRequest) -> StagingQuery:
    """Read the variant and date; values that do not parse fall back to the defaults."""
    form = StagingQueryForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return StagingQuery(
        variant=Variant(data.get("rule") or Variant.CLINIC), day=data.get("on"), errors=errors
    )


def _staging_url(name: str, patient_id: int, **query: str) -> str:
    url = reverse(f"records:{name}", args=[patient_id])
    chosen = {key: value for key, value in query.items() if value}
    return f"{url}?{urlencode(chosen)}" if chosen else url


@require_GET
def patient_staging(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show every model's result for the patient's current episode, side by side."""
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    query = _query(request)
    page = staging_page(
        access=access, patient_id=patient_id, variant=query.variant, assessment_date=query.day
    )
    patient_record_opened(access=access, patient=page.detail.patient, page=RecordPage.STAGING)
    day = query.day.isoformat() if query.day and not page.date_error else ""
    own_parameters = own_parameter_rows(page.detail, access.clinic)
    labels = (
        {**VARIANT_LABELS, Variant.CLINIC: EPISODE_VARIANT_LABEL}
        if own_parameters
        else VARIANT_LABELS
    )
    variants = [
        {
            "value": variant.value,
            "label": labels[variant],
            "active": variant is page.variant,
            "url": _staging_url("patient-staging", patient_id, rule=variant.value, on=day),
        }
        for variant in Variant
    ]
    context: dict[str, Any] = {
        "page": page,
        "detail": page.detail,
        "patient": page.detail.patient,
        "episode": page.detail.episode,
        "results": page.results,
        "chart_data": page.series.data() if page.series is not None else None,
        "variants": variants,
        "download_url": _staging_url(
            "patient-staging-json",
            patient_id,
            rule=page.variant.value,
            on=page.detail.assessment_date.isoformat(),
        ),
        "query_errors": query.errors,
        "no_episode": NO_EPISODE,
        "can_manage_clinic": access.can(Permission.MANAGE_CLINIC),
        "can_edit": access.can(Permission.EDIT_CLINICAL_DATA),
        "own_parameters": own_parameters,
        "variant_label": labels[page.variant],
    }
    return render(request, "staging/staging_detail.html", context)


@require_GET
def patient_staging_json(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Download the current episode's results in `manage.py stage`'s output format."""
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    query = _query(request)
    if query.errors:
        return HttpResponseBadRequest(query.errors, content_type="text/plain; charset=utf-8")
    try:
        export = staging_results_export(
            access=access, patient_id=patient_id, variant=query.variant, assessment_date=query.day
        )
    except ValidationError as error:
        message = " ".join(error.messages)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    if export is None:
        raise Http404(NOTHING_TO_EXPORT)
    # Byte for byte what `manage.py stage` prints for one history.
    response = HttpResponse(
        json.dumps(export.document, indent=2) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_http_methods(["GET", "POST"])
def clinic_staging_defaults(request: HttpRequest) -> HttpResponse:
    """Show and change the clinic's default staging parameters (clinic admins)."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    defaults = clinic_staging_defaults_for(access)
    if request.method != "POST":
        form = ClinicStagingDefaultsForm(
            initial=ClinicStagingDefaultsForm.initial_for(defaults, settings_version(defaults))
        )
        return _render_defaults(request, access.clinic.name, defaults, form)
    form = ClinicStagingDefaultsForm(request.POST)
    if form.is_valid():
        expected = form.cleaned_data["version"]
        try:
            saved = clinic_staging_defaults_update(
                acting_user=request.user,
                clinic_id=access.clinic.pk,
                data=form.to_params(),
                expected_version=expected,
            )
        except StaleEditError as error:
            form.add_service_errors(error)
            form.keep_latest_version(settings_version(defaults))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if settings_version(saved) == expected:
                messages.info(request, DEFAULTS_UNCHANGED)
            else:
                messages.success(request, DEFAULTS_SAVED.format(clinic=access.clinic.name))
            return redirect("records:clinic-staging-defaults")
    messages.error(request, NOTHING_SAVED)
    return _render_defaults(request, access.clinic.name, defaults, form)


def _render_defaults(
    request: HttpRequest,
    clinic_name: str,
    defaults: ClinicStagingDefaults,
    form: ClinicStagingDefaultsForm,
) -> HttpResponse:
    context = {"clinic_name": clinic_name, "defaults": defaults, "form": form}
    return render(request, "staging/clinic_defaults.html", context)


def _episode_parameters_saved(
    request: HttpRequest, form: ServiceErrorsForm, episode: Episode, data: Params
) -> bool:
    """Save the episode's parameters from a valid form; False with the errors on the form."""
    try:
        saved = episode_staging_parameters_update(
            acting_user=request.user,
            episode_id=episode.pk,
            expected_version=form.cleaned_data["version"],
            data=data,
        )
    except StaleEditError as error:
        form.add_service_errors(error)
        form.keep_latest_version(Episode.objects.get(pk=episode.pk).version)
        return False
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    if saved.version == episode.version:
        messages.info(request, EPISODE_PARAMETERS_UNCHANGED)
    else:
        messages.success(request, EPISODE_PARAMETERS_SAVED)
    return True


@require_http_methods(["GET", "POST"])
def episode_staging_parameters(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show and change the parameters the patient's shown episode is staged with (psychiatrists)."""
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    access = clinic_access(request)
    detail = patient_detail(access=access, patient_id=patient.pk)
    episode = detail.episode
    if episode is None:
        raise Http404(NOTHING_TO_EXPORT)
    initial = EpisodeStagingParametersForm.initial_for_params(detail.params, episode.version)
    form = EpisodeStagingParametersForm(initial=initial)
    reset_form = VersionForm(initial={"version": episode.version})
    if request.method == "POST":
        if "reset" in request.POST:
            reset_form = VersionForm(request.POST)
            clinic = default_params(access.clinic)
            if reset_form.is_valid() and _episode_parameters_saved(
                request, reset_form, episode, clinic
            ):
                return redirect("records:patient-staging", patient.pk)
        else:
            form = EpisodeStagingParametersForm(request.POST)
            if form.is_valid() and _episode_parameters_saved(
                request, form, episode, form.to_params()
            ):
                return redirect("records:patient-staging", patient.pk)
        messages.error(request, NOTHING_SAVED)
    else:
        patient_record_opened(access=access, patient=patient, page=RecordPage.STAGING_PARAMETERS)
    context = {
        "patient": patient,
        "episode": episode,
        "form": form,
        "reset_form": reset_form,
        "own_parameters": own_parameter_rows(detail, access.clinic),
    }
    return render(request, "staging/episode_parameters.html", context)
