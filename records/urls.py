from django.urls import path

from .views import (
    accounts,
    audit_log,
    clinic_settings,
    clinics,
    episodes,
    erasure,
    exchange,
    history,
    imports,
    patients,
    scales,
    staging,
    team,
    trials,
    two_factor,
)
from .views.report import patient_report_page, patient_report_pdf_download

app_name = "records"

patient = "patients/<int:patient_id>/"
member = "clinic/team/<int:user_id>/"

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
        f"{patient}staging/parameters/",
        staging.episode_staging_parameters,
        name="episode-staging-parameters",
    ),
    path(
        "clinic/staging-defaults/",
        staging.clinic_staging_defaults,
        name="clinic-staging-defaults",
    ),
    path("patients/import-csv/", imports.csv_import_page, name="import-csv"),
    path("patients/import-csv/confirm/", imports.csv_import_confirm, name="import-csv-confirm"),
    path(f"{patient}report/", patient_report_page, name="patient-report"),
    path(f"{patient}report.pdf", patient_report_pdf_download, name="patient-report-pdf"),
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
    path("clinic/team/", team.team_page, name="team"),
    path("clinic/team/invite/", team.team_invite, name="team-invite"),
    path(member, team.team_member_page, name="team-member"),
    path(f"{member}roles/add/", team.team_role_add, name="team-role-add"),
    path(f"{member}roles/remove/", team.team_role_remove, name="team-role-remove"),
    path(f"{member}deactivate/", team.team_deactivate, name="team-deactivate"),
    path(f"{member}reactivate/", team.team_reactivate, name="team-reactivate"),
    path(f"{member}unlock/", team.team_unlock, name="team-unlock"),
    path(f"{member}invitation/", team.team_reinvite, name="team-reinvite"),
    path(f"{member}two-factor/reset/", team.team_two_factor_reset, name="team-two-factor-reset"),
    path("invitation/<str:token>/", accounts.invitation_page, name="invitation"),
    path("account/password/", accounts.account_password, name="account-password"),
    path(
        "clinic/settings/letterhead/",
        clinic_settings.letterhead_page,
        name="settings-letterhead",
    ),
    path("clinic/settings/agents/", clinic_settings.agent_list_page, name="settings-agents"),
    path(
        "clinic/settings/agents/new/",
        clinic_settings.agent_form_page,
        name="settings-agent-create",
    ),
    path(
        "clinic/settings/agents/<int:agent_id>/edit/",
        clinic_settings.agent_form_page,
        name="settings-agent-update",
    ),
    path(
        "clinic/settings/agents/<int:agent_id>/delete/",
        clinic_settings.agent_delete_page,
        name="settings-agent-delete",
    ),
    path("signin/code/", two_factor.two_factor_verify_page, name="two-factor-verify"),
    path("account/two-factor/", two_factor.two_factor_account_page, name="two-factor"),
    path("account/two-factor/enrol/", two_factor.two_factor_enrol_page, name="two-factor-enrol"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor.two_factor_recovery_codes_page,
        name="two-factor-recovery-codes",
    ),
    path(
        "clinic/settings/security/",
        two_factor.clinic_settings_security_page,
        name="clinic-settings-security",
    ),
]
