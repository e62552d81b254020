"""The confirmation of a legal erasure: the record number typed out, a reason, the password."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from records.models import Patient
from records.reauth import PasswordReentryForm
from records.services.erasure import ErasureReason

RECORD_NUMBER_MISMATCH = "Type the record number exactly as it is shown above."


class PatientEraseForm(PasswordReentryForm):
    """Confirms the erasure of one patient: their record number, why, and the admin's password."""

    record_number = forms.CharField(
        label="Type the patient's record number to confirm",
        max_length=Patient._meta.get_field("record_number").max_length,
        strip=False,
    )
    reason = forms.ChoiceField(label="Why the record is erased", choices=ErasureReason.choices)
    field_order = ["record_number", "reason", "password"]

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_record_number(self) -> str:
        typed: str = self.cleaned_data["record_number"]
        if typed != self.patient.record_number:
            raise ValidationError(RECORD_NUMBER_MISMATCH, code="record_number_mismatch")
        return typed
