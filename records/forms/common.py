"""What every records form shares: service errors beside their fields, dates, choices, versions."""

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.forms.utils import ErrorList
from django.http import QueryDict

NOT_RECORDED = "Not recorded"
PAGE_OUT_OF_DATE = "The page was incomplete or out of date: reload it and make your change again."
# The largest value PostgreSQL's integer columns hold (versions are positive integers).
INTEGER_MAX = 2_147_483_647


class DateInput(forms.DateInput):
    """The browser's date picker, which posts and shows ISO dates."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class NumberTextInput(forms.TextInput):
    """A number typed as text, with the numeric keypad: the server sees letters and says so.

    A browser's number input posts nothing for "15O", so a typo silently became "not recorded".
    """

    def __init__(self, *, whole: bool = False) -> None:
        super().__init__(attrs={"inputmode": "numeric" if whole else "decimal"})


class NotRecordedBooleanSelect(forms.NullBooleanSelect):
    """Yes / no / not recorded, in the clinic's words rather than "Unknown"."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", NOT_RECORDED), ("true", "Yes"), ("false", "No")]


def model_field(model: type[models.Model], name: str, **overrides: Any) -> forms.Field:
    """Return the form field Django derives from a model field: label, help, limits, choices."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field), f"{model.__name__}.{name} is a relation"
    field = model_field.formfield(**overrides)
    assert field is not None, f"{model.__name__}.{name} has no form field"
    if isinstance(field, forms.DateField):
        field.widget = DateInput()
    elif isinstance(field, forms.IntegerField):
        # Django's decimal and float fields are integer fields too.
        whole = not isinstance(field, forms.DecimalField | forms.FloatField)
        field.widget = NumberTextInput(whole=whole)
    elif isinstance(field, forms.NullBooleanField):
        field.widget = NotRecordedBooleanSelect()
    elif isinstance(field, forms.ChoiceField) and not field.required:
        choices = cast(Iterable[tuple[Any, str]], field.choices)
        field.choices = [("", NOT_RECORDED), *(c for c in choices if c[0] != "")]
    return field


def version_field() -> forms.IntegerField:
    """Return the hidden field carrying the version the editor loaded (stale-edit check)."""
    return forms.IntegerField(min_value=1, max_value=INTEGER_MAX, widget=forms.HiddenInput)


class PsychiatristChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A clinic psychiatrist, shown by name."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class ServiceErrorsForm(forms.Form):
    """A form that shows a service's ValidationError next to the fields it names."""

    # Service field names this form shows under another of its fields.
    error_aliases: ClassVar[Mapping[str, str]] = {}

    def field_for_error(self, name: str) -> str | None:
        """Return the form field a service error belongs beside, None for above the form."""
        name = self.error_aliases.get(name, name)
        if name == NON_FIELD_ERRORS or name not in self.fields:
            return None
        return name

    def non_field_errors(self) -> ErrorList:
        """Return the errors above the form, a broken hidden field (the version) among them."""
        errors = super().non_field_errors().copy()
        if any(field.errors for field in self.hidden_fields()):
            errors.append(PAGE_OUT_OF_DATE)
        return errors

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's errors beside their fields; record-wide ones above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.error_dict.items():
            self.add_error(self.field_for_error(name), messages)

    def keep_latest_version(self, version: int) -> None:
        """After a stale edit, carry the current version so resubmitting applies these values."""
        # The entered values stay on the page; the error lists what others changed meanwhile.
        data = QueryDict(mutable=True)
        data.update(self.data)
        data[self.add_prefix("version")] = str(version)
        self.data = data
