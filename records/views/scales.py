"""Rating-scale pages: choose a scale, enter a score (total, items or both), correct, delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from records import scales
from records.access import Permission, patient_for_user
from records.forms import ScaleForm, ScoreDeleteForm
from records.models import Episode, Patient, ScaleAdministration
from records.services import (
    RecordPage,
    StaleEditError,
    scale_delete,
    scale_record,
    scale_update,
)

from .common import NOTHING_SAVED, administration_of, episode_of, patient_url, record_opened

SCORE_SAVED = "{scale} {total} on {day:%d %b %Y} is saved: band, change and remission are below."
SCORE_DELETED = "The {scale} score of {day:%d %b %Y} is deleted."
NO_TOTAL = "—"


def _chosen_scale(request: HttpRequest) -> scales.ScaleCode | None:
    value = request.GET.get("scale", "")
    return scales.ScaleCode(value) if value in scales.SCALES else None


def _saved(request: HttpRequest, patient: Patient, administration: ScaleAdministration) -> str:
    total = administration.total
    messages.success(
        request,
        SCORE_SAVED.format(
            scale=administration.get_scale_display(),
            total=NO_TOTAL if total is None else f"{total.normalize():f}",
            day=administration.administered_on,
        ),
    )
    return patient_url(patient, "scores", score=administration.pk)


def _render(
    request: HttpRequest,
    form: ScaleForm,
    patient: Patient,
    episode: Episode,
    administration: ScaleAdministration | None,
) -> HttpResponse:
    context = {
        "form": form,
        "patient": patient,
        "episode": episode,
        "administration": administration,
        "scale": form.scale,
    }
    return render(request, "records/scale_form.html", context)


@require_http_methods(["GET", "POST"])
def scale_create_page(request: HttpRequest, patient_id: int, episode_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    episode = episode_of(patient, episode_id)
    record_opened(request, patient, RecordPage.SCORE_FORM)
    code = _chosen_scale(request)
    if code is None:
        # The scale decides the form's items, so it is chosen first.
        context = {"patient": patient, "episode": episode, "scales": scales.SCALES.values()}
        return render(request, "records/scale_choose.html", context)
    if request.method == "POST":
        form = ScaleForm(request.POST, scale=code)
        if form.is_valid():
            try:
                administration = scale_record(
                    acting_user=request.user, episode_id=episode.pk, data=form.to_input()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(_saved(request, patient, administration))
        messages.error(request, NOTHING_SAVED)
    else:
        form = ScaleForm(scale=code)
    return _render(request, form, patient, episode, None)


@require_http_methods(["GET", "POST"])
def scale_update_page(
    request: HttpRequest, patient_id: int, administration_id: int
) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    administration = administration_of(patient, administration_id)
    record_opened(request, patient, RecordPage.SCORE_FORM)
    code = administration.code
    if request.method == "POST":
        form = ScaleForm(request.POST, scale=code, editing=True)
        if form.is_valid():
            try:
                saved = scale_update(
                    acting_user=request.user,
                    administration_id=administration.pk,
                    expected_version=form.cleaned_data["version"],
                    data=form.to_input(),
                )
            except StaleEditError as error:
                form.add_service_errors(error)
                latest = ScaleAdministration.objects.get(pk=administration.pk)
                form.keep_latest_version(latest.version)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(_saved(request, patient, saved))
        messages.error(request, NOTHING_SAVED)
    else:
        initial = ScaleForm.initial_for(administration)
        form = ScaleForm(scale=code, editing=True, initial=initial)
    return _render(request, form, patient, administration.episode, administration)


@require_http_methods(["GET", "POST"])
def scale_delete_page(
    request: HttpRequest, patient_id: int, administration_id: int
) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    administration = administration_of(patient, administration_id)
    record_opened(request, patient, RecordPage.SCORE_DELETE)
    posted = request.POST if request.method == "POST" else None
    form = ScoreDeleteForm(
        posted, initial={"version": administration.version}, user=request.user, request=request
    )
    if form.is_bound and form.is_valid():
        try:
            scale_delete(
                acting_user=request.user,
                administration_id=administration.pk,
                expected_version=form.cleaned_data["version"],
            )
        except StaleEditError as error:
            form.add_service_errors(error)
            latest = ScaleAdministration.objects.get(pk=administration.pk)
            form.keep_latest_version(latest.version)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                SCORE_DELETED.format(
                    scale=administration.get_scale_display(), day=administration.administered_on
                ),
            )
            return redirect(patient_url(patient, "scores"))
    context = {"form": form, "patient": patient, "administration": administration}
    return render(request, "records/scale_delete.html", context)
