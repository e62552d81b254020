"""FHIR R4: download a patient's record as a Bundle; import medication records as courses."""

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from records.access import Permission, clinic_access, patient_for_user
from records.dose_steps import StepEntry
from records.fhir.medications import (
    CSV_COLUMNS,
    ImportProblemError,
    Problem,
    Proposal,
    ProposedCourse,
)
from records.forms.medication_import import (
    ConfirmUploadForm,
    MedicationUploadForm,
    ProposedCourseFormSet,
)
from records.models import Agent, Patient
from records.models.trial import InformationSource
from records.reauth import PasswordReentryForm
from records.services import RecordPage
from records.services.fhir_export import EXPORT_FILENAME, patient_fhir_export
from records.services.fhir_import import (
    PREVIEW_INVALID,
    ConfirmedCourse,
    current_episode,
    medication_courses_import,
    medication_import_preview,
    medication_upload_sign,
    medication_upload_unsign,
)

from .common import patient_url, record_opened
from .exchange import UNSAFE_FILENAME

EXPORT_REFUSED = "The record could not be exported: {problem}"


def fhir_filename(record_number: str) -> str:
    """Return the download's name: the record number and today's date, never the name."""
    number = UNSAFE_FILENAME.sub("_", record_number).strip("._") or "patient"
    return EXPORT_FILENAME.format(number=number, day=timezone.localdate().isoformat())


@require_http_methods(["GET", "POST"])
def patient_fhir_export_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Ask for the password again, then download the patient's record as a FHIR Bundle."""
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    record_opened(request, patient, RecordPage.FHIR_EXPORT)
    # ASVS 4.3.3 / 8.1: the record leaves the clinic only after the user types their password.
    posted = request.POST if request.method == "POST" else None
    form = PasswordReentryForm(posted, user=request.user, request=request)
    if not (form.is_bound and form.is_valid()):
        return render(request, "records/fhir_export.html", {"form": form, "patient": patient})
    try:
        document = patient_fhir_export(access=access, patient_id=patient.pk)
    except ValidationError as error:
        messages.error(request, EXPORT_REFUSED.format(problem=" ".join(error.messages)))
        return redirect(patient_url(patient))
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{fhir_filename(patient.record_number)}"'
    )
    return response


IMPORTED = "{count} courses imported from {name}: check them in the trial table."
NOTHING_CHOSEN = "No course was chosen: nothing was imported."
NOT_IMPORTED = "Nothing was imported: correct the file and upload it again."
NOT_CONFIRMED = "Nothing was imported: correct the marked courses and confirm again."
UNKNOWN_PREFIX = "U"


def _plain(value: Decimal | None) -> str | None:
    """Return a number as the clinician would type it: 100, not 100.00 or 1E+2."""
    return None if value is None else f"{value.normalize():f}"


def _kept_steps(course: ProposedCourse, data: dict[str, Any]) -> tuple[StepEntry, ...]:
    """Return the course's dose steps unless the clinician gave one dose in their place."""
    if not course.stepped or data["dose_mg_per_day"] is not None or data["weeks"] is not None:
        return ()
    return course.steps


def _initial(proposal: Proposal, agents: dict[str, Agent]) -> list[dict[str, Any]]:
    rows = [
        {
            # An unknown medicine is left out until the clinician chooses its agent.
            "include": course.known,
            "key": course.key,
            "agent": agents.get(course.molecule),
            "kind": course.kind,
            "start_date": course.start,
            "end_date": course.end,
            "dose_mg_per_day": _plain(course.dose_mg_per_day),
            "weeks": _plain(course.weeks),
            "adherence": course.adherence,
        }
        for course in proposal.courses
    ]
    return rows


def _preview(
    request: HttpRequest,
    patient: Patient,
    proposal: Proposal,
    token: str,
    formset: "BaseFormSet[Any]",
) -> HttpResponse:
    by_key = {course.key: course for course in proposal.courses}
    rows = [(form, by_key.get(form["key"].value())) for form in formset]
    context = {
        "patient": patient,
        "proposal": proposal,
        "rows": rows,
        "formset": formset,
        "confirm_form": ConfirmUploadForm(initial={"upload": token}),
        "episode": current_episode(patient),
        "supply_gap_days": patient.clinic.supply_gap_days,
    }
    return render(request, "records/fhir_medication_preview.html", context)


@require_http_methods(["GET", "POST"])
def patient_medication_import_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Upload medication records, review the proposed courses, and import those confirmed."""
    access = clinic_access(request)
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    record_opened(request, patient, RecordPage.MEDICATION_IMPORT)
    problems: Sequence[Problem] = ()
    form = MedicationUploadForm()
    clinic_id = patient.clinic_id
    if request.method == "POST" and "upload" in request.POST:
        confirm = ConfirmUploadForm(request.POST)
        try:
            if not confirm.is_valid():
                raise ValidationError(PREVIEW_INVALID)
            token = confirm.cleaned_data["upload"]
            content, name = medication_upload_unsign(token, access=access, patient=patient)
            proposal = medication_import_preview(access=access, patient=patient, content=content)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("records:patient-medication-import", patient_id=patient.pk)
        except ImportProblemError:
            messages.error(request, PREVIEW_INVALID)
            return redirect("records:patient-medication-import", patient_id=patient.pk)
        formset = ProposedCourseFormSet(request.POST, form_kwargs={"clinic_id": clinic_id})
        if not formset.is_valid():
            messages.error(request, NOT_CONFIRMED)
            return _preview(request, patient, proposal, token, formset)
        by_key = {course.key: course for course in proposal.courses}
        courses = [
            ConfirmedCourse(
                key=data["key"],
                agent=data["agent"],
                kind=data["kind"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                dose_mg_per_day=data["dose_mg_per_day"],
                weeks=data["weeks"],
                adherence=data["adherence"],
                augments=by_key[data["key"]].augments,
                sources=by_key[data["key"]].sources,
                steps=_kept_steps(by_key[data["key"]], data),
                information_source=(
                    InformationSource.RECORDS
                    if by_key[data["key"]].from_statement
                    else InformationSource.PHARMACY
                ),
            )
            for data in formset.cleaned_data
            if data.get("include") and data.get("key") in by_key
        ]
        if not courses:
            messages.info(request, NOTHING_CHOSEN)
            return redirect(patient_url(patient))
        try:
            trials = medication_courses_import(
                acting_user=request.user, patient=patient, courses=courses, source_name=name
            )
        except ValidationError as error:
            messages.error(request, NOT_CONFIRMED + " " + " ".join(error.messages))
            return _preview(request, patient, proposal, token, formset)
        messages.success(request, IMPORTED.format(count=len(trials), name=name))
        return redirect(patient_url(patient, "trials"))
    if request.method == "POST":
        form = MedicationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                proposal = medication_import_preview(
                    access=access, patient=patient, content=content
                )
            except ImportProblemError as error:
                problems = error.problems
            else:
                token = medication_upload_sign(
                    content=content, name=upload.name or "upload", access=access, patient=patient
                )
                agents = {
                    (agent.molecule or agent.name).lower(): agent
                    for agent in Agent.objects.filter(clinic=None)
                    if agent.name.lower() == (agent.molecule or agent.name).lower()
                }
                formset = ProposedCourseFormSet(
                    initial=_initial(proposal, agents), form_kwargs={"clinic_id": clinic_id}
                )
                return _preview(request, patient, proposal, token, formset)
        messages.error(request, NOT_IMPORTED)
    context = {
        "form": form,
        "patient": patient,
        "problems": problems,
        "episode": current_episode(patient),
        "columns": ", ".join(CSV_COLUMNS),
    }
    return render(request, "records/fhir_medication_import.html", context)
