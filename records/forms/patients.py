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
MY_PATIENTS = "My patients"
MINE = "mine"
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
    """The caseload's search box, filters and order (all optional).

    Without a `psychiatrist` in the query, a psychiatrist sees their own patients and other
    roles everyone's; "Any psychiatrist" is then an explicit choice.
    """

    q = forms.CharField(
        label="Name or record number", max_length=SEARCH_MAX_LENGTH, required=False, strip=True
    )
    psychiatrist = forms.ChoiceField(label="Whose patients", required=False)
    alert = forms.BooleanField(label="Safety alert open", required=False)
    signed_off = forms.BooleanField(label="Review signed off since my last visit", required=False)
    flagged = forms.BooleanField(label="Impasse case in progress", required=False)
    sort = forms.CharField(max_length=20, required=False)

    def __init__(
        self, data: Any = None, *, clinic: Clinic, mine_by_default: bool = False, **kwargs: Any
    ) -> None:
        if data is not None and "psychiatrist" not in data:
            data = data.copy()
            data["psychiatrist"] = MINE if mine_by_default else ""
        super().__init__(data, **kwargs)
        people = [
            (str(user.pk), user.get_full_name() or user.get_username())
            for user in clinic_psychiatrists(clinic=clinic)
        ]
        self.fields["psychiatrist"].choices = [  # type: ignore[attr-defined]
            ("", ANY_PSYCHIATRIST),
            (MINE, MY_PATIENTS),
            *people,
        ]

    def psychiatrist_id(self, user_id: int) -> int | None:
        """Return the psychiatrist whose patients to show, None for everyone's."""
        chosen = self.cleaned_data.get("psychiatrist") or ""
        if chosen == MINE:
            return user_id
        return int(chosen) if chosen else None
