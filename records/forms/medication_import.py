"""The medication-record upload and the review of each proposed course."""

from typing import Any

from django import forms
from django.db.models import Q

from records.fhir.medications import MAX_UPLOAD_BYTES
from records.forms.common import DateInput
from records.models import Agent
from records.models.trial import Adherence, TrialKind

FILE_TOO_LARGE = "The file is larger than 2 MB: upload one patient's medication records."
CHOOSE_AGENT = "Choose the agent this course is, or leave the course out."
END_BEFORE_START = "The course cannot end before it starts."
MEDICATION_KIND_CHOICES = [
    (TrialKind.ANTIDEPRESSANT.value, TrialKind.ANTIDEPRESSANT.label),
    (TrialKind.COMBINATION.value, TrialKind.COMBINATION.label),
    (TrialKind.AUGMENTATION.value, TrialKind.AUGMENTATION.label),
]


class MedicationUploadForm(forms.Form):
    """A FHIR bundle (JSON) or a CSV of dispensings."""

    file = forms.FileField(
        label="Medication records (FHIR .json or dispensing .csv)",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,application/json,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # ASVS 12.1.1: the size is checked before the content is read.
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(FILE_TOO_LARGE, code="too_large")
        return upload


class ConfirmUploadForm(forms.Form):
    upload = forms.CharField(widget=forms.HiddenInput)


class ProposedCourseForm(forms.Form):
    """One proposed course: keep it (as proposed or edited) or leave it out."""

    include = forms.BooleanField(required=False, label="Import")
    key = forms.CharField(widget=forms.HiddenInput)
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), required=False)
    kind = forms.ChoiceField(choices=MEDICATION_KIND_CHOICES)
    start_date = forms.DateField(label="Start", widget=DateInput())
    end_date = forms.DateField(label="End", required=False, widget=DateInput())
    dose_mg_per_day = forms.DecimalField(
        label="Dose (mg/day)", required=False, min_value=0.0001, max_digits=10, decimal_places=4
    )
    weeks = forms.DecimalField(
        label="Weeks at dose", required=False, min_value=0, max_digits=5, decimal_places=2
    )
    adherence = forms.ChoiceField(
        choices=[("", "Not recorded"), *Adherence.choices], required=False
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif name not in ("include", "key"):
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.fields["include"].widget.attrs["class"] = "form-check-input"
        agents = Agent.objects.filter(Q(clinic=None) | Q(clinic_id=clinic_id)).order_by("name")
        self.fields["agent"].queryset = agents  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("include") and data.get("agent") is None:
            self.add_error("agent", CHOOSE_AGENT)
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", END_BEFORE_START)
        return data


ProposedCourseFormSet = forms.formset_factory(ProposedCourseForm, extra=0)
