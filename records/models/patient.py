from django.conf import settings
from django.db import models

from records.identity import IdentityTextField, RecordNumberField

from .base import Tracked, choices_valid
from .clinic import Clinic


class Diagnosis(models.TextChoices):
    MDD = "MDD", "Major depressive disorder"
    MDD_BIPOLARITY_SUSPECTED = "MDD_bipolarity_suspected", "MDD, bipolarity suspected"
    BIPOLAR = "bipolar", "Bipolar disorder"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not recorded"


class Patient(Tracked):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    # 40 in the database for numbers recorded before the allow-list; new ones have at most 32.
    record_number = RecordNumberField(max_length=40)
    family_name = IdentityTextField(max_length=100)
    given_name = IdentityTextField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    diagnosis = models.CharField(max_length=30, choices=Diagnosis.choices, default=Diagnosis.MDD)
    psychiatrist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patients_responsible_for",
        null=True,
        blank=True,
        verbose_name="responsible psychiatrist",
    )
    # Patients are archived, never deleted: their trials and audit trail stay readable.
    archived_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name", "record_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="patient_record_number_unique_in_clinic"
            ),
            models.CheckConstraint(
                condition=choices_valid("diagnosis", Diagnosis.values),
                name="patient_diagnosis_valid",
            ),
            models.CheckConstraint(
                condition=choices_valid("sex", Sex.values), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="patient_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.record_number})"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
