"""Episode pages: record the current (or an earlier) episode, and correct one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from records.access import Permission, patient_for_user
from records.forms import EpisodeForm
from records.models import Episode
from records.services import RecordPage, StaleEditError, episode_create, episode_update

from .common import NOTHING_SAVED, episode_of, patient_url, record_opened

EPISODE_CREATED = "The episode is recorded. Next: the treatments tried so far."
EPISODE_UPDATED = "The episode is saved."


@require_http_methods(["GET", "POST"])
def episode_create_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    record_opened(request, patient, RecordPage.EPISODE_FORM)
    if request.method == "POST":
        form = EpisodeForm(request.POST)
        if form.is_valid():
            try:
                episode_create(
                    acting_user=request.user, patient_id=patient.pk, data=form.to_input()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, EPISODE_CREATED)
                return redirect(patient_url(patient, "trials"))
        messages.error(request, NOTHING_SAVED)
    else:
        form = EpisodeForm()
    context = {"form": form, "patient": patient, "episode": None}
    return render(request, "records/episode_form.html", context)


@require_http_methods(["GET", "POST"])
def episode_update_page(request: HttpRequest, patient_id: int, episode_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    episode = episode_of(patient, episode_id)
    record_opened(request, patient, RecordPage.EPISODE_FORM)
    if request.method == "POST":
        form = EpisodeForm(request.POST, editing=True)
        if form.is_valid():
            try:
                episode_update(
                    acting_user=request.user,
                    episode_id=episode.pk,
                    expected_version=form.cleaned_data["version"],
                    data=form.to_input(),
                )
            except StaleEditError as error:
                form.add_service_errors(error)
                form.keep_latest_version(Episode.objects.get(pk=episode.pk).version)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, EPISODE_UPDATED)
                return redirect(patient_url(patient, "episode"))
        messages.error(request, NOTHING_SAVED)
    else:
        form = EpisodeForm(editing=True, initial=EpisodeForm.initial_for(episode))
    context = {"form": form, "patient": patient, "episode": episode}
    return render(request, "records/episode_form.html", context)
