"""The report pages: the consultant summary, preparing it, the letter and the patient's summary.

Every PDF is an audited export named by record number and date; every page is the user's
clinic's patient only (404 otherwise) and preparing needs the right to edit clinical data.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from records.access import Permission, clinic_access, patient_for_user
from records.forms.common import PAGE_OUT_OF_DATE
from records.forms.report import LetterForm, PreparationForm
from records.models import Patient, ReportPreparation
from records.report import ReportPdf, patient_report, patient_report_pdf
from records.report_letters import (
    patient_letter,
    patient_letter_pdf,
    patient_summary,
    patient_summary_pdf,
)
from records.services import RecordPage, StaleEditError, patient_record_opened
from records.services.report_preparation import report_letter_save, report_preparation_save

from .common import NOTHING_SAVED

PREPARED = "The report's wording is saved."
LETTER_SAVED = "The letter is saved."
NO_EPISODE = "Record an episode first: the report is about the current episode."
APPENDIX = "appendix"


def _pdf_response(pdf: ReportPdf) -> HttpResponse:
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    return response


@require_GET
def patient_report_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show the consultant summary and its appendix, with the print and prepare actions."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    report = patient_report(access=access, patient_id=patient.pk, appendix=True)
    patient_record_opened(access=access, patient=patient, page=RecordPage.REPORT)
    context = {
        "report": report,
        "patient": report.patient,
        "figures": report.figure_data(),
        "can_prepare": access.can(Permission.EDIT_CLINICAL_DATA),
    }
    return render(request, "records/report.html", context)


@require_GET
def patient_report_pdf_download(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send the consultant summary as a PDF, with the appendix when asked (an audited export)."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    appendix = request.GET.get(APPENDIX) == "1"
    return _pdf_response(
        patient_report_pdf(access=access, patient_id=patient.pk, appendix=appendix)
    )


def _episode_preparation(
    patient_id: int, request: HttpRequest
) -> tuple[Patient, int, ReportPreparation | None]:
    """Return the patient, the report's episode (as the report picks it) and its saved words."""
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    episodes = list(patient.episodes.order_by("-onset_date"))
    episode = next((e for e in episodes if e.end_date is None), episodes[0] if episodes else None)
    if episode is None:
        raise Http404(NO_EPISODE)
    return patient, episode.pk, ReportPreparation.objects.filter(episode=episode).first()


def _current_version(episode_id: int) -> int:
    saved = ReportPreparation.objects.filter(episode_id=episode_id).first()
    return saved.version if saved is not None else 0


def _words_saved(
    request: HttpRequest,
    form: PreparationForm | LetterForm,
    episode_id: int,
    save: Callable[..., ReportPreparation],
) -> bool:
    """Save the form's words through the service; on a refusal, errors beside the fields."""
    if form.is_valid():
        try:
            save(
                acting_user=request.user,
                episode_id=episode_id,
                expected_version=form.cleaned_data["version"],
                data=form.to_input(),
            )
        except StaleEditError as error:
            form.add_service_errors(error)
            form.keep_latest_version(_current_version(episode_id))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return True
    messages.error(request, NOTHING_SAVED)
    return False


@require_http_methods(["GET", "POST"])
def report_prepare_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Fill the reason for referral, referrer, impression and plan before printing."""
    patient, episode_id, preparation = _episode_preparation(patient_id, request)
    if request.method == "POST":
        form = PreparationForm(request.POST)
        if _words_saved(request, form, episode_id, report_preparation_save):
            messages.success(request, PREPARED)
            return redirect(reverse("records:patient-report", args=[patient_id]))
    else:
        form = PreparationForm(initial=PreparationForm.initial_for(preparation))
        access = clinic_access(request, Permission.EDIT_CLINICAL_DATA)
        patient_record_opened(access=access, patient=patient, page=RecordPage.REPORT_PREPARE)
    return render(request, "records/report_prepare.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def report_letter_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show the letter to primary care; psychiatrists edit its paragraphs before printing."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    can_edit = access.can(Permission.EDIT_CLINICAL_DATA)
    form = None
    if request.method == "POST":
        _patient, episode_id, _saved = _episode_preparation(patient_id, request)
        form = LetterForm(request.POST)
        if _words_saved(request, form, episode_id, report_letter_save):
            messages.success(request, LETTER_SAVED)
            return redirect(reverse("records:report-letter", args=[patient_id]))
    letter = patient_letter(access=access, patient_id=patient.pk)
    patient_record_opened(access=access, patient=patient, page=RecordPage.LETTER)
    if form is None and can_edit and letter.report.episode is not None:
        preparation = letter.report.preparation
        initial = {paragraph.field: paragraph.text for paragraph in letter.paragraphs}
        form = LetterForm(initial={**initial, "version": preparation.version if preparation else 0})
    context = {
        "letter": letter,
        "report": letter.report,
        "patient": letter.report.patient,
        "form": form,
        "page_out_of_date": PAGE_OUT_OF_DATE,
    }
    return render(request, "records/report_letter.html", context)


@require_GET
def report_letter_pdf(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send the letter to primary care as a PDF (an audited export)."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    return _pdf_response(patient_letter_pdf(access=access, patient_id=patient.pk))


@require_GET
def report_patient_summary_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show the summary for the patient, in plain language."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    summary = patient_summary(access=access, patient_id=patient.pk)
    patient_record_opened(access=access, patient=patient, page=RecordPage.PATIENT_SUMMARY)
    context = {"summary": summary, "report": summary.report, "patient": summary.report.patient}
    return render(request, "records/report_patient.html", context)


@require_GET
def report_patient_summary_pdf(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send the summary for the patient as a PDF (an audited export)."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    return _pdf_response(patient_summary_pdf(access=access, patient_id=patient.pk))
