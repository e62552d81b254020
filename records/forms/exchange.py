"""The JSON history upload: one file holding one treatment history (docs/history-json.md)."""

import json
from typing import Any

from django import forms

from records.services.exchange import read_integer

UPLOAD_MAX_BYTES = 1024 * 1024
FILE_TOO_LARGE = "The file is larger than 1 MB: a treatment history is far smaller."
FILE_NOT_JSON_NAME = "Choose a .json file: trdclinic reads treatment histories as JSON."
FILE_NOT_UTF8 = "The file is not UTF-8 text: choose a JSON file exported by trdclinic."
FILE_NOT_JSON = "The file is not valid JSON (line {line}, column {column}): {problem}."
FILE_TOO_DEEP = "The file nests too deeply to be a treatment history."
FILE_NOT_OBJECT = 'The file must hold one history object: {"patient": …, "trials": […]}.'
NOT_A_NUMBER = "The file holds {value}, which JSON does not allow as a number."


class _NotANumber(ValueError):
    pass


def _refuse_constant(value: str) -> None:
    # Python's reader accepts NaN and Infinity, which JSON itself does not.
    raise _NotANumber(NOT_A_NUMBER.format(value=value))


class HistoryUploadForm(forms.Form):
    """The uploaded file, read as one JSON history object."""

    file = forms.FileField(
        label="History file (.json)",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self) -> dict[str, Any]:
        upload = self.cleaned_data["file"]
        # ASVS 12.1.1, 12.2.1: the size and kind are checked before the content is read.
        if not (upload.name or "").lower().endswith(".json"):
            raise forms.ValidationError(FILE_NOT_JSON_NAME, code="not_json_name")
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(FILE_TOO_LARGE, code="too_large")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(FILE_NOT_UTF8, code="not_utf8") from None
        try:
            document = json.loads(text, parse_constant=_refuse_constant, parse_int=read_integer)
        except json.JSONDecodeError as error:
            message = FILE_NOT_JSON.format(line=error.lineno, column=error.colno, problem=error.msg)
            raise forms.ValidationError(message, code="not_json") from None
        except _NotANumber as error:
            raise forms.ValidationError(str(error), code="not_a_number") from None
        except RecursionError:
            raise forms.ValidationError(FILE_TOO_DEEP, code="too_deep") from None
        if not isinstance(document, dict):
            raise forms.ValidationError(FILE_NOT_OBJECT, code="not_object")
        return document


class HistoryConfirmForm(forms.Form):
    """The checked history, signed so that it cannot change between the check and the import."""

    upload = forms.CharField(widget=forms.HiddenInput, strip=False)
