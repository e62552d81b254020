"""Trial pages: record and correct a treatment course with live adequacy feedback, delete one,
and the clinician's adequacy override."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from records.access import Permission, patient_for_user
from records.forms import (
    AdequacyOverrideForm,
    TrialDeleteForm,
    TrialForm,
    VersionForm,
    agent_catalogue,
    drug_classes,
    therapy_types,
)
from records.forms.trials import STEPS_SECTION
from records.history import assess_trials, build_history, episode_params, patient_trials
from records.models import Episode, Patient, TreatmentTrial
from records.services import (
    RecordPage,
    StaleEditError,
    TrialInput,
    trial_adequacy_override,
    trial_adequacy_override_clear,
    trial_delete,
    trial_record,
    trial_update,
)
from records.services.trials import apply_input, validate_trial
from staging.adequacy import TrialAssessment

from .common import NOTHING_SAVED, episode_of, is_htmx, patient_url, record_opened, trial_of

# A placeholder id for a trial not saved yet; trial ids are T1, T2 … or an imported file's.
NEW_TRIAL_CODE = "(new)"
PREVIEW = "preview"
SAVE_ANOTHER = "save_another"
TRIAL_SAVED = "Trial {code} is saved."
TRIAL_DELETED = "Trial {code} is deleted."
OVERRIDE_SAVED = "Your judgement of trial {code}'s adequacy is recorded beside the computed one."
OVERRIDE_CLEARED = "The override of trial {code} is removed: the computed adequacy stands."


def adequacy(trial: TreatmentTrial, patient: Patient, episode: Episode) -> TrialAssessment:
    """Judge one trial, saved or not, with staging's rules within the patient's history."""
    # The other trials come along because an added augmentation can raise a trial's level.
    others = [
        other
        for other in patient_trials(patient.pk)
        if other.pk != trial.pk and other.code != trial.code
    ]
    trial.episode = episode
    params = episode_params(episode, patient.clinic)
    history = build_history(
        patient=patient,
        episode=episode,
        trials=[*others, trial],
        assessment_date=timezone.localdate(),
        params=params,
    )
    return assess_trials(history, params, [trial])[trial.code]


def _draft(data: TrialInput, episode: Episode, saved: TreatmentTrial | None) -> TreatmentTrial:
    """Return the trial the form describes, unsaved: the saved one's id and order kept."""
    draft = TreatmentTrial(
        episode=episode,
        pk=saved.pk if saved is not None else None,
        code=saved.code if saved is not None else NEW_TRIAL_CODE,
        seq=saved.seq if saved is not None else 0,
    )
    # A saved trial's draft is that row, not a new one: its unique checks exclude itself.
    draft._state.adding = saved is None
    apply_input(draft, data)
    return draft


def _shown_errors(form: TrialForm, *, live: bool) -> list[tuple[str, str]]:
    """Return (label, message) for the feedback panel; while typing, not "required" yet."""
    # A field the clinician has not reached is not an error until they save.
    shown: list[tuple[str, str]] = []
    for name, errors in form.errors.as_data().items():
        label = str(form.fields[name].label) if name in form.fields else ""
        shown.extend(
            (label, message)
            for error in errors
            if not (live and error.code == "required")
            for message in error.messages
        )
    return shown


def _render(
    request: HttpRequest,
    form: TrialForm,
    patient: Patient,
    episode: Episode,
    trial: TreatmentTrial | None,
    feedback: TrialAssessment | None,
) -> HttpResponse:
    live = is_htmx(request)
    context = {
        "form": form,
        "form_errors": _shown_errors(form, live=live),
        "patient": patient,
        "episode": episode,
        "trial": trial,
        "feedback": feedback,
        "agent_options": form.catalogue.options(),
        "drug_classes": drug_classes(),
        "therapy_types": therapy_types(),
        "steps_section": STEPS_SECTION,
    }
    if live:
        return render(request, "records/_trial_adequacy.html", context)
    return render(request, "records/trial_form.html", context)


def _trial_page(
    request: HttpRequest, patient: Patient, episode: Episode, trial: TreatmentTrial | None
) -> HttpResponse:
    """Show the trial form; on POST preview the adequacy, or save and redirect."""
    catalogue = agent_catalogue(patient.clinic)
    if request.method != "POST":
        initial = TrialForm.initial_for(trial) if trial is not None else {"kind": "antidepressant"}
        form = TrialForm(initial=initial, catalogue=catalogue, episode=episode, trial=trial)
        feedback = adequacy(trial, patient, episode) if trial is not None else None
        return _render(request, form, patient, episode, trial, feedback)
    form = TrialForm(request.POST, catalogue=catalogue, episode=episode, trial=trial)
    if not form.is_valid():
        if not is_htmx(request):
            messages.error(request, NOTHING_SAVED)
        return _render(request, form, patient, episode, trial, None)
    data = form.to_input()
    draft = _draft(data, episode, trial)
    if is_htmx(request) or PREVIEW in request.POST:
        # The service's checks, run on the unsaved trial: errors show while typing.
        try:
            validate_trial(draft, episode=episode, patient=patient)
        except ValidationError as error:
            form.add_service_errors(error)
        return _render(request, form, patient, episode, trial, adequacy(draft, patient, episode))
    try:
        if trial is None:
            saved = trial_record(acting_user=request.user, episode_id=episode.pk, data=data)
        else:
            saved = trial_update(
                acting_user=request.user,
                trial_id=trial.pk,
                expected_version=form.cleaned_data["version"],
                data=data,
            )
    except StaleEditError as error:
        form.add_service_errors(error)
        if trial is not None:
            form.keep_latest_version(TreatmentTrial.objects.get(pk=trial.pk).version)
    except ValidationError as error:
        form.add_service_errors(error)
    else:
        messages.success(request, TRIAL_SAVED.format(code=saved.code))
        if trial is None and SAVE_ANOTHER in request.POST:
            return redirect("records:trial-create", patient.pk, episode.pk)
        return redirect(patient_url(patient, "trials"))
    messages.error(request, NOTHING_SAVED)
    return _render(request, form, patient, episode, trial, adequacy(draft, patient, episode))


@require_http_methods(["GET", "POST"])
def trial_create_page(request: HttpRequest, patient_id: int, episode_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    episode = episode_of(patient, episode_id)
    record_opened(request, patient, RecordPage.TRIAL_FORM)
    return _trial_page(request, patient, episode, None)


@require_http_methods(["GET", "POST"])
def trial_update_page(request: HttpRequest, patient_id: int, trial_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    trial = trial_of(patient, trial_id)
    record_opened(request, patient, RecordPage.TRIAL_FORM)
    return _trial_page(request, patient, trial.episode, trial)


@require_http_methods(["GET", "POST"])
def trial_delete_page(request: HttpRequest, patient_id: int, trial_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    trial = trial_of(patient, trial_id)
    record_opened(request, patient, RecordPage.TRIAL_DELETE)
    posted = request.POST if request.method == "POST" else None
    form = TrialDeleteForm(
        posted, initial={"version": trial.version}, user=request.user, request=request
    )
    if form.is_bound and form.is_valid():
        try:
            trial_delete(
                acting_user=request.user,
                trial_id=trial.pk,
                expected_version=form.cleaned_data["version"],
            )
        except StaleEditError as error:
            form.add_service_errors(error)
            form.keep_latest_version(TreatmentTrial.objects.get(pk=trial.pk).version)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, TRIAL_DELETED.format(code=trial.code))
            return redirect(patient_url(patient, "trials"))
    context = {"form": form, "patient": patient, "trial": trial}
    return render(request, "records/trial_delete.html", context)


@require_http_methods(["GET", "POST"])
def trial_override_page(request: HttpRequest, patient_id: int, trial_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    trial = trial_of(patient, trial_id)
    record_opened(request, patient, RecordPage.TRIAL_OVERRIDE)
    if request.method == "POST":
        form = AdequacyOverrideForm(request.POST)
        if form.is_valid():
            try:
                trial_adequacy_override(
                    acting_user=request.user,
                    trial_id=trial.pk,
                    expected_version=form.cleaned_data["version"],
                    adequate=form.cleaned_data["adequate"] == "yes",
                    reason=form.cleaned_data["reason"],
                )
            except StaleEditError as error:
                form.add_service_errors(error)
                form.keep_latest_version(TreatmentTrial.objects.get(pk=trial.pk).version)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, OVERRIDE_SAVED.format(code=trial.code))
                return redirect(patient_url(patient, "trials"))
        messages.error(request, NOTHING_SAVED)
    else:
        initial: dict[str, object] = {"version": trial.version}
        if trial.override_adequate is not None:
            initial["adequate"] = "yes" if trial.override_adequate else "no"
            initial["reason"] = trial.override_reason
        form = AdequacyOverrideForm(initial=initial)
    context = {
        "form": form,
        "clear_form": VersionForm(initial={"version": trial.version}),
        "patient": patient,
        "trial": trial,
        "computed": adequacy(trial, patient, trial.episode),
    }
    return render(request, "records/trial_override.html", context)


@require_POST
def trial_override_clear(request: HttpRequest, patient_id: int, trial_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    trial = trial_of(patient, trial_id)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            trial_adequacy_override_clear(
                acting_user=request.user,
                trial_id=trial.pk,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, OVERRIDE_CLEARED.format(code=trial.code))
            return redirect(patient_url(patient, "trials"))
    else:
        messages.error(request, NOTHING_SAVED)
    return redirect(reverse("records:trial-override", args=[patient.pk, trial.pk]))
