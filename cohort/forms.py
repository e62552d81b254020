"""The cohort page's filters and the export form (format, identity level, password re-entry)."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from cohort.selectors import CohortFilters
from cohort.services import ExportFormat, ExportLevel
from records.reauth import PasswordReentryForm

ONSET_ORDER = "The end of the onset period is before its start."
ALL_PSYCHIATRISTS = "All psychiatrists"
FORMAT_LABELS = {ExportFormat.CSV: "CSV", ExportFormat.XLSX: "Excel (XLSX)"}
LEVEL_LABELS = {
    ExportLevel.DEIDENTIFIED: (
        "De-identified: no names of patients or clinicians, no record numbers; years instead "
        "of dates, age at onset (90 or over grouped)"
    ),
    ExportLevel.PSEUDONYMISED: (
        "Pseudonymised: no names or dates of birth; record numbers replaced by the clinic's "
        "stable pseudonyms; full dates and the psychiatrist kept"
    ),
    ExportLevel.IDENTIFIED: (
        "Identified: record numbers, names, dates of birth, the psychiatrist and full dates"
    ),
}


class CohortFilterForm(forms.Form):
    """Filter by responsible psychiatrist and by episode onset period."""

    psychiatrist = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Psychiatrist"
    )
    onset_from = forms.DateField(
        required=False,
        label="Episode onset from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    onset_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, psychiatrists: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["psychiatrist"])
        field.choices = [("", ALL_PSYCHIATRISTS), *psychiatrists]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("onset_from"), cleaned.get("onset_to")
        if start is not None and end is not None and end < start:
            self.add_error("onset_to", forms.ValidationError(ONSET_ORDER, code="onset_order"))
        return cleaned

    def filters(self) -> CohortFilters:
        """Return the valid filters (none when the form is unbound or invalid)."""
        if not self.is_bound or not self.is_valid():
            return CohortFilters()
        data = self.cleaned_data
        return CohortFilters(
            psychiatrist_id=data["psychiatrist"],
            onset_from=data["onset_from"],
            onset_to=data["onset_to"],
        )


class CohortExportForm(PasswordReentryForm):
    """Choose the file format and how much identity it carries; confirm with the password."""

    file_format = forms.ChoiceField(
        label="Format",
        choices=[(value.value, label) for value, label in FORMAT_LABELS.items()],
        initial=ExportFormat.CSV.value,
        widget=forms.RadioSelect,
    )
    level = forms.ChoiceField(
        label="What the file identifies",
        choices=[(value.value, label) for value, label in LEVEL_LABELS.items()],
        initial=ExportLevel.DEIDENTIFIED.value,
        widget=forms.RadioSelect,
        help_text="Choose the least identifying level the work needs.",
    )
    field_order = ["file_format", "level", "password"]
