"""The CSV import of trial histories: the upload, and the signed file carried to confirmation."""

from django import forms

from records.services.csv_import import CsvImportError, check_upload


class CsvUploadForm(forms.Form):
    """The uploaded file, refused unless it is a .csv file of an importable size."""

    file = forms.FileField(
        label="Trial histories (.csv)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    file_name = ""

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        self.file_name = upload.name or ""
        try:
            check_upload(
                name=upload.name or "", content_type=upload.content_type or "", size=upload.size
            )
        except CsvImportError as error:
            raise forms.ValidationError(
                [problem.message for problem in error.problems], code="not_csv"
            ) from None
        data: bytes = upload.read()
        return data


class CsvConfirmForm(forms.Form):
    """The previewed file, signed so that it cannot change between preview and import."""

    upload = forms.CharField(widget=forms.HiddenInput, strip=False)
