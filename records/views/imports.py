"""CSV import of trial histories for many patients: upload, preview, confirm (docs/csv-import.md).

The file travels from the preview to the confirmation signed (records.services.csv_import), not
stored: the confirmation checks it again and imports it all, or nothing.
"""

from collections.abc import Sequence

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from records.access import Permission, clinic_access
from records.forms.imports import CsvConfirmForm, CsvUploadForm
from records.services.csv_import import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NEW_PATIENT_COLUMNS,
    PREVIEW_INVALID,
    REQUIRED_COLUMNS,
    CsvImportError,
    Problem,
    csv_import,
    csv_import_preview,
    sign_upload,
    unsign_upload,
)

IMPORTED = (
    "Imported {trials} trials of {patients} patients: {new_patients} new patients and "
    "{new_episodes} new episodes."
)
NOT_IMPORTED = "Nothing was imported: correct the file and upload it again."
# The page lists this many problems; a file with more usually has one mistake repeated.
PROBLEMS_SHOWN = 200


def _upload_page(
    request: HttpRequest, form: CsvUploadForm, problems: Sequence[Problem] = ()
) -> HttpResponse:
    context = {
        "form": form,
        "problems": problems[:PROBLEMS_SHOWN],
        "problems_hidden": max(0, len(problems) - PROBLEMS_SHOWN),
        "columns": list(COLUMNS),
        "required_columns": REQUIRED_COLUMNS,
        "new_patient_columns": NEW_PATIENT_COLUMNS,
        "max_rows": MAX_ROWS,
        "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "records/import_upload.html", context)


@require_http_methods(["GET", "POST"])
def csv_import_page(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.EDIT_CLINICAL_DATA)
    if request.method != "POST":
        return _upload_page(request, CsvUploadForm())
    form = CsvUploadForm(request.POST, request.FILES)
    problems: list[Problem] = []
    if form.is_valid():
        data = form.cleaned_data["file"]
        try:
            summary = csv_import_preview(acting_user=request.user, clinic=access.clinic, data=data)
        except CsvImportError as error:
            problems = error.problems
        else:
            token = sign_upload(data=data, clinic_id=access.clinic.pk, user_id=access.user.pk)
            context = {
                "summary": summary,
                "confirm_form": CsvConfirmForm(initial={"upload": token}),
                "file_name": form.file_name,
            }
            return render(request, "records/import_preview.html", context)
    messages.error(request, NOT_IMPORTED)
    return _upload_page(request, form, problems)


@require_POST
def csv_import_confirm(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.EDIT_CLINICAL_DATA)
    form = CsvConfirmForm(request.POST)
    problems = [Problem(PREVIEW_INVALID)]
    if form.is_valid():
        try:
            data = unsign_upload(
                form.cleaned_data["upload"], clinic_id=access.clinic.pk, user_id=access.user.pk
            )
            summary = csv_import(acting_user=request.user, clinic=access.clinic, data=data)
        except CsvImportError as error:
            problems = error.problems
        else:
            message = IMPORTED.format(
                trials=f"{summary.trials:,}",
                patients=f"{len(summary.patients):,}",
                new_patients=f"{summary.new_patients:,}",
                new_episodes=f"{summary.new_episodes:,}",
            )
            messages.success(request, message)
            return redirect("records:patient-list")
    messages.error(request, NOT_IMPORTED)
    return _upload_page(request, CsvUploadForm(), problems)
