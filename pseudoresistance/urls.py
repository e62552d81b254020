from django.urls import path

from . import views

app_name = "pseudoresistance"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("episodes/<int:episode_id>/", views.episode_page, name="episode"),
    path(
        "episodes/<int:episode_id>/answers/",
        views.checklist_answers_save,
        name="checklist-answers",
    ),
    path(
        "episodes/<int:episode_id>/sections/<slug:prefix>/",
        views.checklist_section,
        name="checklist-section",
    ),
    path("episodes/<int:episode_id>/status/confirm/", views.status_confirm, name="status-confirm"),
    path("episodes/<int:episode_id>/flag/", views.case_flag, name="case-flag"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/review/start/", views.review_start, name="review-start"),
    path("cases/<int:case_id>/review/", views.review_save, name="review-save"),
    path("cases/<int:case_id>/review/release/", views.review_release, name="review-release"),
    path("cases/<int:case_id>/close/", views.case_close, name="case-close"),
    path("cases/<int:case_id>/reopen/", views.case_reopen, name="case-reopen"),
    path("cases/<int:case_id>/cssrs/", views.cssrs_screen_save, name="cssrs-screen"),
    path("settings/flag-rules/", views.flag_rules_page, name="settings-flag-rules"),
]
