"""The cohort page's filters and the export form (format, de-identify, password re-entry)."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from cohort.selectors import CohortFilters
from cohort.services import ExportFormat
from records.reauth import PasswordReentryForm

ONSET_ORDER = "The end of the onset period is before its start."
ALL_PSYCHIATRISTS = "All psychiatrists"
FORMAT_LABELS = {ExportFormat.CSV: "CSV", ExportFormat.XLSX: "Excel (XLSX)"}


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
    """Choose the file format and whether to de-identify; confirm with the password."""

    file_format = forms.ChoiceField(
        label="Format",
        choices=[(value.value, label) for value, label in FORMAT_LABELS.items()],
        initial=ExportFormat.CSV.value,
        widget=forms.RadioSelect,
    )
    deidentify = forms.BooleanField(
        label="De-identify",
        required=False,
        initial=True,
        help_text=(
            "No names, no dates of birth; record numbers replaced by the clinic's stable "
            "pseudonyms."
        ),
    )
    field_order = ["file_format", "deidentify", "password"]
