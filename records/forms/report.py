"""The report's forms: the psychiatrist's own words before printing, and the letter's paragraphs."""

from typing import Any

from django import forms

from records.models import ReportPreparation
from records.services.report_preparation import (
    LETTER_FIELDS,
    PREPARATION_FIELDS,
    LetterInput,
    PreparationInput,
)

from .common import INTEGER_MAX, ServiceErrorsForm, model_field

TEXT_ROWS = 3


def _saved_version_field() -> forms.IntegerField:
    # 0 while nothing is saved yet; the service refuses a stale version.
    return forms.IntegerField(min_value=0, max_value=INTEGER_MAX, widget=forms.HiddenInput)


class _WordingForm(ServiceErrorsForm):
    names: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.names:
            field = model_field(ReportPreparation, name)
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = TEXT_ROWS
            self.fields[name] = field
        self.fields["version"] = _saved_version_field()


class PreparationForm(_WordingForm):
    """Reason for referral, referrer, impression and plan."""

    names = PREPARATION_FIELDS

    @classmethod
    def initial_for(cls, preparation: ReportPreparation | None) -> dict[str, Any]:
        """Return the saved words and version (0 and blanks when nothing is saved yet)."""
        if preparation is None:
            return {"version": 0}
        return {
            **{name: getattr(preparation, name) for name in PREPARATION_FIELDS},
            "version": preparation.version,
        }

    def to_input(self) -> PreparationInput:
        """Return the validated values as the service's input."""
        return PreparationInput(**{name: self.cleaned_data[name] for name in PREPARATION_FIELDS})


class LetterForm(_WordingForm):
    """The letter's paragraphs, prefilled with the saved or proposed wording."""

    names = LETTER_FIELDS

    def to_input(self) -> LetterInput:
        """Return the validated values as the service's input."""
        return LetterInput(**{name: self.cleaned_data[name] for name in LETTER_FIELDS})
