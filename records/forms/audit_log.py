"""The clinic admin's audit-log pages: finding a patient by record number."""

from django import forms

from records.models import Patient


class RecordNumberForm(forms.Form):
    """A patient's record number, to open that patient's audit log."""

    record_number = forms.CharField(
        label="Patient's record number",
        max_length=Patient._meta.get_field("record_number").max_length,
    )
