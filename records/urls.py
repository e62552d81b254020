from django.urls import path

from .views import (
    audit_log,
    clinics,
    episodes,
    erasure,
    exchange,
    history,
    imports,
    patients,
    scales,
    staging,
    trials,
)
from .views.report import (
    patient_report_page,
    patient_report_pdf_download,
    report_letter_page,
    report_letter_pdf,
    report_patient_summary_page,
    report_patient_summary_pdf,
    report_prepare_page,
)

app_name = "records"

patient = "patients/<int:patient_id>/"

urlpatterns = [
    path("", patients.patient_list, name="patient-list"),
    path("clinic/switch/", clinics.clinic_switch, name="clinic-switch"),
    path("patients/new/", patients.patient_create_page, name="patient-create"),
    path(patient, patients.patient_detail_page, name="patient-detail"),
    path(f"{patient}edit/", patients.patient_update_page, name="patient-update"),
    path(f"{patient}changes/", history.patient_changes_page, name="patient-changes"),
    path(f"{patient}export/", exchange.patient_json_export, name="patient-json-export"),
    path(f"{patient}import/", exchange.patient_json_import, name="patient-json-import"),
    path(f"{patient}episodes/new/", episodes.episode_create_page, name="episode-create"),
    path(
        f"{patient}episodes/<int:episode_id>/edit/",
        episodes.episode_update_page,
        name="episode-update",
    ),
    path(
        f"{patient}episodes/<int:episode_id>/trials/new/",
        trials.trial_create_page,
        name="trial-create",
    ),
    path(f"{patient}trials/<int:trial_id>/edit/", trials.trial_update_page, name="trial-update"),
    path(f"{patient}trials/<int:trial_id>/delete/", trials.trial_delete_page, name="trial-delete"),
    path(
        f"{patient}trials/<int:trial_id>/adequacy/",
        trials.trial_override_page,
        name="trial-override",
    ),
    path(
        f"{patient}trials/<int:trial_id>/adequacy/clear/",
        trials.trial_override_clear,
        name="trial-override-clear",
    ),
    path(
        f"{patient}episodes/<int:episode_id>/scores/new/",
        scales.scale_create_page,
        name="scale-create",
    ),
    path(
        f"{patient}scores/<int:administration_id>/edit/",
        scales.scale_update_page,
        name="scale-update",
    ),
    path(
        f"{patient}scores/<int:administration_id>/delete/",
        scales.scale_delete_page,
        name="scale-delete",
    ),
    path(f"{patient}staging/", staging.patient_staging, name="patient-staging"),
    path(f"{patient}staging.json", staging.patient_staging_json, name="patient-staging-json"),
    path(
        "clinic/staging-defaults/",
        staging.clinic_staging_defaults,
        name="clinic-staging-defaults",
    ),
    path("patients/import-csv/", imports.csv_import_page, name="import-csv"),
    path("patients/import-csv/confirm/", imports.csv_import_confirm, name="import-csv-confirm"),
    path(f"{patient}report/", patient_report_page, name="patient-report"),
    path(f"{patient}report.pdf", patient_report_pdf_download, name="patient-report-pdf"),
    path(f"{patient}report/prepare/", report_prepare_page, name="report-prepare"),
    path(f"{patient}report/letter/", report_letter_page, name="report-letter"),
    path(f"{patient}report/letter.pdf", report_letter_pdf, name="report-letter-pdf"),
    path(f"{patient}report/patient/", report_patient_summary_page, name="report-patient"),
    path(f"{patient}report/patient.pdf", report_patient_summary_pdf, name="report-patient-pdf"),
    path(f"{patient}erase/", erasure.patient_erase_page, name="patient-erase"),
    path("audit/", audit_log.audit_log_index, name="audit-log"),
    path("audit/patients/<int:patient_id>/", audit_log.audit_log_patient, name="audit-log-patient"),
    path(
        "audit/patients/<int:patient_id>/export/",
        audit_log.audit_log_patient_export,
        name="audit-log-patient-export",
    ),
    path("audit/users/<int:user_id>/", audit_log.audit_log_user, name="audit-log-user"),
    path(
        "audit/users/<int:user_id>/export/",
        audit_log.audit_log_user_export,
        name="audit-log-user-export",
    ),
]
