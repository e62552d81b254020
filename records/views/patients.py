"""Patient pages: the list, create and edit, and the patient page itself."""

import re
import sys
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from records import scales
from records.access import ClinicAccess, Permission, clinic_access, patient_for_user
from records.caseload import (
    CaseloadFilters,
    Sort,
    SortOrder,
    caseload_notices,
    caseload_patients,
    caseload_rows,
    signed_off_notice,
)
from records.charts import patient_timeline
from records.extensions import patient_page_panel
from records.forms import PatientFilterForm, PatientForm
from records.models import Patient, Role
from records.selectors import ScaleRow, TrialRow, patient_detail
from records.services import (
    RecordPage,
    StaleEditError,
    patient_create,
    patient_record_opened,
    patient_records_opened,
    patient_update,
)
from records.services.caseload import caseload_visit_record, patient_seen_record
from records.staging import own_parameter_rows, staging_panel_for
from records.wording import percent_text
from staging.adequacy import OutcomeCategory

from .common import NOTHING_SAVED, patient_url, record_opened
from .trial_rows import json_script_html, score_rows_html, timeline_rows_html, trial_rows_html

PATIENTS_PER_PAGE = 25
# The caseload's query string kept across a dismissal: its filters, order and page, no more.
QUERY_KEPT_MAX = 500
TRIAL_NUMBER = re.compile(r"T(\d+)")
PATIENT_CREATED = "{name} ({number}) is recorded. Next: the current episode."
PATIENT_UPDATED = "The patient's details are saved."
OUTCOME_BADGES = {
    OutcomeCategory.NON_RESPONSE: ("Non-response", "outcome-non-response"),
    OutcomeCategory.PARTIAL_RESPONSE: ("Partial response", "outcome-partial"),
    OutcomeCategory.RESPONSE: ("Response", "outcome-response"),
    OutcomeCategory.NOT_RECORDED: ("Not recorded", "outcome-not-recorded"),
}
CHANGE_BETTER = "{percent} % reduction · {category}"
CHANGE_WORSE = "{percent} % worse · {category}"
CHANGE_BASELINE = "first score (baseline)"
CHANGE_NONE = "—"
REDUCTION = "{percent} % reduction"
INCREASE = "{percent} % increase"
SCORE_RANGE = "{low}–{high}, {direction}"
SCORE_WORSE, SCORE_BETTER = "higher is worse", "higher is better"


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
    # The scale's range and direction, so a total reads with its meaning: "0–60, higher is worse".
    range_text: str = ""
    # Reversed once per page, as the trial rows' (empty when the user may not edit).
    edit_url: str = ""
    delete_url: str = ""


def _trial_number(row: TrialRow) -> tuple[int, str]:
    """Order by trial number (T2 before T10); an imported id that is not T<n> comes last."""
    match = TRIAL_NUMBER.fullmatch(row.trial.code)
    return (int(match.group(1)), "") if match else (sys.maxsize, row.trial.code)


# A trial id no trial has, reversed once per page and replaced by each trial's id (issue 18:
# reverse() twice per row was a tenth of a long table's time).
URL_PLACEHOLDER = 2_147_483_647


def _trial_url(name: str, patient_id: int) -> tuple[str, str]:
    """Return the parts of a trial (or score) URL of the patient before and after its id."""
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
        reduction = "" if percent is None else _reduction(percent)
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


def _reduction(percent: float) -> str:
    if percent < 0:
        return INCREASE.format(percent=percent_text(-percent))
    return REDUCTION.format(percent=percent_text(percent))


def _change_label(row: ScaleRow, first_of_scale: bool) -> str:
    change = row.change
    if change is None:
        return CHANGE_BASELINE if first_of_scale else CHANGE_NONE
    if change.percent_change is None:
        return change.label
    template = CHANGE_WORSE if change.percent_change < 0 else CHANGE_BETTER
    return template.format(percent=percent_text(abs(change.percent_change)), category=change.label)


def _range_text(code: str) -> str:
    definition = scales.SCALES[scales.ScaleCode(code)]
    if definition.total_range is None:
        return ""
    low, high = definition.total_range
    direction = SCORE_WORSE if definition.higher_is_worse else SCORE_BETTER
    return SCORE_RANGE.format(low=f"{low:g}", high=f"{high:g}", direction=direction)


def _score_lines(
    rows: tuple[ScaleRow, ...], highlighted: str, patient_id: int, *, can_edit: bool
) -> list[ScoreLine]:
    seen: set[tuple[str, str]] = set()
    lines = []
    edit = _trial_url("records:scale-update", patient_id) if can_edit else ("", "")
    delete = _trial_url("records:scale-delete", patient_id) if can_edit else ("", "")
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
                range_text=_range_text(administration.scale),
                edit_url=f"{edit[0]}{administration.pk}{edit[1]}" if can_edit else "",
                delete_url=f"{delete[0]}{administration.pk}{delete[1]}" if can_edit else "",
            )
        )
    return lines


@dataclass(frozen=True)
class SortHeading:
    """A sortable column heading: the `?sort=` a click asks for and how the column is sorted."""

    label: str
    sort: str
    # aria-sort: "ascending", "descending" or "none".
    state: str


CASELOAD_HEADINGS = (
    ("Patient", Sort.NAME),
    ("Latest stage", Sort.STAGE),
    ("Latest score", Sort.SCORE),
    ("Safety alerts", Sort.ALERTS),
    ("Impasse case", Sort.CASE),
    ("Latest review", Sort.REVIEW),
)
# The clinics whose caseload this sign-in has opened: the first opening starts a new visit.
CASELOAD_SITTING = "caseload_sitting"
NOTICES_SHOWN = 10
NOTICE_DISMISSED = "Noted: the notice is dismissed."


def _headings(order: SortOrder) -> list[SortHeading]:
    direction = "descending" if order.descending else "ascending"
    return [
        SortHeading(label, order.toggled(key).value, direction if key == order.key else "none")
        for label, key in CASELOAD_HEADINGS
    ]


def _mine_by_default(access: ClinicAccess) -> bool:
    return access.roles == {Role.PSYCHIATRIST}


@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    mine_by_default = _mine_by_default(access)
    form = PatientFilterForm(request.GET, clinic=access.clinic, mine_by_default=mine_by_default)
    valid = form.is_valid()
    sittings = request.session.get(CASELOAD_SITTING, [])
    new_sitting = access.clinic.pk not in sittings
    visit = caseload_visit_record(access=access, new_sitting=new_sitting)
    if new_sitting:
        request.session[CASELOAD_SITTING] = [*sittings, access.clinic.pk]
    data = form.cleaned_data if valid else {}
    if valid:
        psychiatrist_id = form.psychiatrist_id(access.user.pk)
    else:
        psychiatrist_id = access.user.pk if mine_by_default else None
    filters = CaseloadFilters(
        query=data.get("q", ""),
        psychiatrist_id=psychiatrist_id,
        alert_open=bool(data.get("alert")),
        signed_off_filter=bool(data.get("signed_off")),
        signed_off_since=visit.previous_visit_at,
        flagged=bool(data.get("flagged")),
    )
    order = SortOrder.parse(data.get("sort") or "")
    patients = caseload_patients(access=access, filters=filters, order=order)
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = caseload_rows(access=access, patients=list(page.object_list))
    notices = caseload_notices(access=access, limit=NOTICES_SHOWN)
    patient_records_opened(
        access=access,
        patients=[*page.object_list, *(row.patient for row in notices)],
        page=RecordPage.PATIENT_LIST,
    )
    context = {
        "page": page,
        "rows": rows,
        "notices": notices,
        "form": form,
        "headings": _headings(order),
        "sort": order.value,
        "previous_visit": visit.previous_visit_at,
        "interval_days": access.clinic.score_interval_days,
        "filtered": any(
            request.GET.get(name) for name in ("q", "alert", "signed_off", "flagged", "sort")
        )
        or "psychiatrist" in request.GET,
        "can_edit": access.can(Permission.EDIT_CLINICAL_DATA),
        "mine": psychiatrist_id == access.user.pk,
    }
    return render(request, "records/patient_list.html", context)


@require_POST
def caseload_notice_dismiss(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Dismiss the sign-off notice of a patient, back to the caseload as it was filtered."""
    patient = patient_for_user(request, patient_id)
    patient_seen_record(access=clinic_access(request), patient_id=patient.pk)
    messages.success(request, NOTICE_DISMISSED)
    kept = QueryDict(request.POST.get("query", "")[:QUERY_KEPT_MAX])
    url = reverse("records:patient-list")
    return redirect(f"{url}?{kept.urlencode()}" if kept else url)


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
    impasse_panel = patient_page_panel(detail)
    # Shown once: opening the page is seeing the sign-off (the time matters only once one exists).
    signed_off, has_review = signed_off_notice(
        access=access,
        patient=detail.patient,
        review=impasse_panel.signed_review if impasse_panel is not None else None,
    )
    if has_review:
        patient_seen_record(access=access, patient_id=detail.patient.pk)
    can_edit = access.can(Permission.EDIT_CLINICAL_DATA)
    trial_lines = _trial_lines(detail.trials, detail.patient.pk, can_edit=can_edit)
    timeline = patient_timeline(detail.scales, detail.trials, detail.assessment_date)
    score_lines = _score_lines(
        detail.scales, request.GET.get("score", ""), detail.patient.pk, can_edit=can_edit
    )
    context = {
        "detail": detail,
        "patient": detail.patient,
        "episode": detail.episode,
        "trial_lines": trial_lines,
        "trial_rows": trial_rows_html(trial_lines, can_edit=can_edit),
        "score_lines": score_lines,
        "score_rows": score_rows_html(score_lines, can_edit=can_edit),
        "timeline": timeline,
        "timeline_rows": timeline_rows_html(timeline.entries),
        "timeline_script": (
            json_script_html(timeline.figure, "score-timeline-data") if timeline.figure else ""
        ),
        "scale_choices": [(code.value, scale.name) for code, scale in scales.SCALES.items()],
        "can_edit": can_edit,
        "staging_panel": staging_panel_for(detail),
        "own_parameters": own_parameter_rows(detail, access.clinic),
        "impasse_panel": impasse_panel,
        "signed_off": signed_off,
    }
    return render(request, "records/patient_detail.html", context)
