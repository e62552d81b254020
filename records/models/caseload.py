"""What is new for a user since they last looked: their caseload visits and the patients they saw.

Neither is clinical data nor an audit event (opening a record is audited on its own): each row
holds a user, a clinic or patient, and a time, so the caseload can say what changed since.
"""

from django.conf import settings
from django.db import models

from .clinic import Clinic
from .patient import Patient


class CaseloadVisit(models.Model):
    """When a user last opened the patient list of a clinic, and their visit before that one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    visited_at = models.DateTimeField()
    # The last visit of an earlier sign-in: "since my last visit" counts from here.
    previous_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="caseload_visit_one_per_user")
        ]

    def __str__(self) -> str:
        return f"Caseload visit of user {self.user_id} in clinic {self.clinic_id}"


class PatientSeen(models.Model):
    """When a user last opened a patient's page or dismissed its notice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "patient"], name="patient_seen_one_per_user")
        ]

    def __str__(self) -> str:
        return f"Patient {self.patient_id} seen by user {self.user_id}"
