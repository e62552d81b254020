"""Patient forms: the record's identifying details, and the patient list's filters."""

from typing import Any

from django import forms
from django.contrib.auth.models import User

from records.models import Clinic, Patient
from records.selectors import clinic_psychiatrists
from records.services import PatientInput

from .common import (
    PsychiatristChoiceField,
    ServiceErrorsForm,
    model_field,
    version_field,
)

SEARCH_MAX_LENGTH = 100
ANY_PSYCHIATRIST = "Any psychiatrist"
NO_PSYCHIATRIST = "None yet"


class PatientForm(ServiceErrorsForm):
    """A patient's record number, name, date of birth, sex, diagnosis and psychiatrist."""

    def __init__(self, *args: Any, clinic: Clinic, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("record_number", "family_name", "given_name", "date_of_birth", "sex"):
            self.fields[name] = model_field(Patient, name)
        self.fields["diagnosis"] = model_field(Patient, "diagnosis")
        self.fields["psychiatrist"] = PsychiatristChoiceField(
            queryset=clinic_psychiatrists(clinic=clinic),
            required=False,
            empty_label=NO_PSYCHIATRIST,
            label="Responsible psychiatrist",
        )
        if editing:
            self.fields["version"] = version_field()

    @classmethod
    def initial_for(cls, patient: Patient) -> dict[str, Any]:
        """Return the form's initial values for editing a patient."""
        return {
            "record_number": patient.record_number,
            "family_name": patient.family_name,
            "given_name": patient.given_name,
            "date_of_birth": patient.date_of_birth,
            "sex": patient.sex,
            "diagnosis": patient.diagnosis,
            "psychiatrist": patient.psychiatrist_id,
            "version": patient.version,
        }

    def to_input(self) -> PatientInput:
        """Return the validated values as the service's input."""
        data = self.cleaned_data
        psychiatrist: User | None = data["psychiatrist"]
        return PatientInput(
            record_number=data["record_number"],
            family_name=data["family_name"],
            given_name=data["given_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            diagnosis=data["diagnosis"],
            psychiatrist=psychiatrist,
        )


class PatientFilterForm(forms.Form):
    """The patient list's search box and filters (all optional)."""

    q = forms.CharField(
        label="Name or record number", max_length=SEARCH_MAX_LENGTH, required=False, strip=True
    )
    psychiatrist = forms.TypedChoiceField(
        label="Responsible psychiatrist", coerce=int, required=False, empty_value=None
    )
    flagged = forms.BooleanField(label="Impasse case in progress", required=False)

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [
            (user.pk, user.get_full_name() or user.get_username())
            for user in clinic_psychiatrists(clinic=clinic)
        ]
        self.fields["psychiatrist"].choices = [("", ANY_PSYCHIATRIST), *people]  # type: ignore[attr-defined]
