"""Patient pages: the list, create and edit, and the patient page itself."""

import re
import sys
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from records import scales
from records.access import Permission, clinic_access, patient_for_user
from records.charts import score_charts
from records.extensions import impasse_panel_for, patients_with_active_impasse_case
from records.forms import PatientFilterForm, PatientForm
from records.models import Patient
from records.selectors import ScaleRow, TrialRow, patient_detail, patient_search
from records.services import (
    RecordPage,
    StaleEditError,
    patient_create,
    patient_record_opened,
    patient_records_opened,
    patient_update,
)
from records.staging import own_parameter_rows, staging_panel_for
from staging.adequacy import OutcomeCategory

from .common import NOTHING_SAVED, patient_url, record_opened
from .trial_rows import trial_rows_html

PATIENTS_PER_PAGE = 25
TRIAL_NUMBER = re.compile(r"T(\d+)")
PATIENT_CREATED = "{name} ({number}) is recorded. Next: the current episode."
PATIENT_UPDATED = "The patient's details are saved."
OUTCOME_BADGES = {
    OutcomeCategory.NON_RESPONSE: ("Non-response", "outcome-non-response"),
    OutcomeCategory.PARTIAL_RESPONSE: ("Partial response", "outcome-partial"),
    OutcomeCategory.RESPONSE: ("Response", "outcome-response"),
    OutcomeCategory.NOT_RECORDED: ("Not recorded", "outcome-not-recorded"),
}
CHANGE_BETTER = "{percent:.0f} % reduction · {category}"
CHANGE_WORSE = "{percent:.0f} % worse · {category}"
CHANGE_BASELINE = "first score (baseline)"
CHANGE_NONE = "—"
REDUCTION = "{percent:g} % reduction"


@dataclass(frozen=True)
class TrialLine:
    """A trial row with its dose, duration and outcome put in words for the table."""

    row: TrialRow
    amount: str
    outcome_label: str
    outcome_class: str
    reduction: str
    # Reversed here: the {% url %} tag costs three times as much, twice per row of a long table.
    edit_url: str = ""
    override_url: str = ""


@dataclass(frozen=True)
class ScoreLine:
    """A score row with its change from the first score, in words."""

    row: ScaleRow
    change_label: str
    change_reason: str
    highlighted: bool


def _trial_number(row: TrialRow) -> tuple[int, str]:
    """Order by trial number (T2 before T10); an imported id that is not T<n> comes last."""
    match = TRIAL_NUMBER.fullmatch(row.trial.code)
    return (int(match.group(1)), "") if match else (sys.maxsize, row.trial.code)


# A trial id no trial has, reversed once per page and replaced by each trial's id (issue 18:
# reverse() twice per row was a tenth of a long table's time).
URL_PLACEHOLDER = 2_147_483_647


def _trial_url(name: str, patient_id: int) -> tuple[str, str]:
    """Return the parts of a trial URL of the patient before and after the trial's id."""
    before, after = reverse(name, args=[patient_id, URL_PLACEHOLDER]).split(str(URL_PLACEHOLDER))
    return before, after


def _trial_lines(rows: tuple[TrialRow, ...], patient_id: int, *, can_edit: bool) -> list[TrialLine]:
    lines = []
    edit = _trial_url("records:trial-update", patient_id) if can_edit else ("", "")
    override = _trial_url("records:trial-override", patient_id) if can_edit else ("", "")
    for row in sorted(rows, key=_trial_number):
        trial = row.trial
        label, css = OUTCOME_BADGES[row.assessment.outcome]
        percent = trial.percent_reduction
        reduction = "" if percent is None else REDUCTION.format(percent=round(percent, 1))
        urls = (
            (f"{edit[0]}{trial.pk}{edit[1]}", f"{override[0]}{trial.pk}{override[1]}")
            if can_edit
            else ("", "")
        )
        lines.append(
            TrialLine(
                row, trial.amount_text(weeks=True) or CHANGE_NONE, label, css, reduction, *urls
            )
        )
    return lines


def _change_label(row: ScaleRow, first_of_scale: bool) -> str:
    change = row.change
    if change is None:
        return CHANGE_BASELINE if first_of_scale else CHANGE_NONE
    if change.percent_change is None:
        return change.label
    template = CHANGE_WORSE if change.percent_change < 0 else CHANGE_BETTER
    return template.format(percent=abs(change.percent_change), category=change.label)


def _score_lines(rows: tuple[ScaleRow, ...], highlighted: str) -> list[ScoreLine]:
    seen: set[tuple[str, str]] = set()
    lines = []
    for row in rows:
        administration = row.administration
        # The selector's baseline is the first score of the same scale and version.
        key = (administration.scale, administration.scale_version)
        first = administration.total is not None and key not in seen
        if administration.total is not None:
            seen.add(key)
        reason = row.change.reason if row.change is not None else ""
        lines.append(
            ScoreLine(
                row=row,
                change_label=_change_label(row, first),
                change_reason=reason,
                highlighted=str(administration.pk) == highlighted,
            )
        )
    return lines


@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    form = PatientFilterForm(request.GET, clinic=access.clinic)
    filters = form.cleaned_data if form.is_valid() else {}
    where = patients_with_active_impasse_case() if filters.get("flagged") else None
    patients = patient_search(
        access=access,
        query=filters.get("q", ""),
        psychiatrist_id=filters.get("psychiatrist"),
        where=where,
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    patient_records_opened(access=access, patients=page.object_list, page=RecordPage.PATIENT_LIST)
    context = {
        "page": page,
        "form": form,
        "filtered": any(filters.values()),
        "can_edit": access.can(Permission.EDIT_CLINICAL_DATA),
    }
    return render(request, "records/patient_list.html", context)


@require_http_methods(["GET", "POST"])
def patient_create_page(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.EDIT_CLINICAL_DATA)
    if request.method == "POST":
        form = PatientForm(request.POST, clinic=access.clinic)
        if form.is_valid():
            try:
                patient = patient_create(
                    acting_user=request.user, clinic=access.clinic, data=form.to_input()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    PATIENT_CREATED.format(name=patient.display_name, number=patient.record_number),
                )
                return redirect(patient_url(patient))
        messages.error(request, NOTHING_SAVED)
    else:
        form = PatientForm(clinic=access.clinic, initial={"psychiatrist": request.user.pk})
    return render(request, "records/patient_form.html", {"form": form, "patient": None})


@require_http_methods(["GET", "POST"])
def patient_update_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    record_opened(request, patient, RecordPage.PATIENT_EDIT)
    if request.method == "POST":
        form = PatientForm(request.POST, clinic=patient.clinic, editing=True)
        if form.is_valid():
            try:
                patient_update(
                    acting_user=request.user,
                    patient_id=patient.pk,
                    expected_version=form.cleaned_data["version"],
                    data=form.to_input(),
                )
            except StaleEditError as error:
                form.add_service_errors(error)
                form.keep_latest_version(Patient.objects.get(pk=patient.pk).version)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, PATIENT_UPDATED)
                return redirect(patient_url(patient))
        messages.error(request, NOTHING_SAVED)
    else:
        form = PatientForm(
            clinic=patient.clinic, editing=True, initial=PatientForm.initial_for(patient)
        )
    return render(request, "records/patient_form.html", {"form": form, "patient": patient})


@require_GET
def patient_detail_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    detail = patient_detail(access=access, patient_id=patient_id)
    patient_record_opened(access=access, patient=detail.patient)
    can_edit = access.can(Permission.EDIT_CLINICAL_DATA)
    trial_lines = _trial_lines(detail.trials, detail.patient.pk, can_edit=can_edit)
    context = {
        "detail": detail,
        "patient": detail.patient,
        "episode": detail.episode,
        "trial_lines": trial_lines,
        "trial_rows": trial_rows_html(trial_lines, can_edit=can_edit),
        "score_lines": _score_lines(detail.scales, request.GET.get("score", "")),
        "charts": score_charts(detail.scales),
        "scale_choices": [(code.value, scale.name) for code, scale in scales.SCALES.items()],
        "can_edit": can_edit,
        "staging_panel": staging_panel_for(detail),
        "own_parameters": own_parameter_rows(detail, access.clinic),
        "impasse_panel": impasse_panel_for(detail),
    }
    return render(request, "records/patient_detail.html", context)
