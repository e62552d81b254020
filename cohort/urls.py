from django.urls import path

from . import views

app_name = "cohort"

urlpatterns = [
    path("", views.cohort, name="cohort"),
    path("disagreements/<str:first>/<str:second>/", views.disagreement_list, name="disagreements"),
    path("export/", views.export, name="export"),
]
