from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("", views.patient_list, name="patient-list"),
    path("clinic/switch/", views.clinic_switch, name="clinic-switch"),
]
