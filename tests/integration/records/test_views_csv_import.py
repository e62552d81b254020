"""The CSV import pages: upload, preview, confirm; psychiatrists only; no input makes a 500."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.csv_sample import HEADER, sample_csv
from records.models import AuditEvent, Episode, Patient, TreatmentTrial
from records.services.csv_import import MAX_FILE_BYTES, sign_upload
from tests.factories import PatientFactory

from .test_csv_import import ROW, counts, csv_bytes, row

UPLOAD_URL = reverse("records:import-csv")
CONFIRM_URL = reverse("records:import-csv-confirm")


def upload(client: Client, data: bytes, name: str = "trials.csv", content_type: str = "text/csv"):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(UPLOAD_URL, {"file": file})


def token_of(response) -> str:
    return response.context["confirm_form"].initial["upload"]


def page_text(response) -> str:
    return response.content.decode()


def test_a_psychiatrist_uploads_previews_and_confirms(signed_in, psychiatrist, clinic):
    client = signed_in(psychiatrist)
    assert client.get(UPLOAD_URL).status_code == 200

    preview = upload(client, sample_csv(rows=12, patients=3, seed=1).encode())

    assert preview.status_code == 200
    assert preview.templates[0].name == "records/import_preview.html"
    summary = preview.context["summary"]
    assert (summary.trials, summary.new_patients, summary.new_episodes) == (12, 3, 3)
    assert 'data-testid="count-trials">12<' in page_text(preview)
    assert counts() == (0, 0, 0, 0)

    done = client.post(CONFIRM_URL, {"upload": token_of(preview)})

    assert done.status_code == 302
    assert done.url == reverse("records:patient-list")
    assert counts() == (3, 3, 12, 18)
    assert set(Patient.objects.values_list("clinic_id", flat=True)) == {clinic.pk}
    [message] = get_messages(done.wsgi_request)
    assert str(message) == ("Imported 12 trials of 3 patients: 3 new patients and 3 new episodes.")


def test_confirming_twice_imports_once(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    token = token_of(upload(client, csv_bytes(row())))
    client.post(CONFIRM_URL, {"upload": token})

    again = client.post(CONFIRM_URL, {"upload": token})

    assert again.status_code == 200
    assert "row 2, column trial_id" in page_text(again)
    assert "This patient already has a trial T1." in page_text(again)
    assert counts() == (1, 1, 1, 3)


@pytest.mark.parametrize("role_user", ["supervisor", "clinic_admin"])
def test_only_psychiatrists_may_open_or_use_the_import(
    role_user, request, signed_in, psychiatrist, clinic
):
    token = sign_upload(data=csv_bytes(row()), clinic_id=clinic.pk, user_id=psychiatrist.pk)
    client = signed_in(request.getfixturevalue(role_user))

    assert client.get(UPLOAD_URL).status_code == 403
    assert upload(client, csv_bytes(row())).status_code == 403
    assert client.post(CONFIRM_URL, {"upload": token}).status_code == 403
    assert counts() == (0, 0, 0, 0)


def test_every_problem_is_shown_on_the_page_by_row_and_column(signed_in, psychiatrist):
    data = csv_bytes(row(dose_mg_per_day="lots"), row(trial_id="T2", start_date="2024-02-30"))

    response = upload(signed_in(psychiatrist), data)

    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was imported" in text
    assert "<strong>row 2, column dose_mg_per_day</strong>: “lots” is not a number" in text
    assert "<strong>row 3, column start_date</strong>: “2024-02-30” is not a date" in text
    assert "confirm_form" not in response.context
    assert counts() == (0, 0, 0, 0)


def test_a_missing_column_is_named_on_the_page(signed_in, psychiatrist):
    values = {name: value for name, value in ROW.items() if name != "kind"}

    response = upload(signed_in(psychiatrist), csv_bytes(values))

    assert "<strong>column kind</strong>: This required column is missing" in page_text(response)


@pytest.mark.parametrize(
    ("name", "content_type", "data", "message"),
    [
        ("trials.xlsx", "text/csv", b"a,b\n", "Only .csv files can be imported"),
        ("trials.csv", "image/png", b"a,b\n", "sent as image/png"),
        ("trials.csv", "text/csv", b"", "The submitted file is empty."),
        ("trials.csv", "text/csv", b"x" * (MAX_FILE_BYTES + 1), "at most 3 MB"),
        ("trials.csv", "text/csv", "Ren\xe9".encode("latin-1"), "not UTF-8 text"),
        ("trials.csv", "text/csv", b"PK\x03\x04\x14\x00", "spreadsheet workbook"),
    ],
)
def test_an_upload_that_cannot_be_imported_is_refused_with_a_reason(
    name, content_type, data, message, signed_in, psychiatrist
):
    response = upload(signed_in(psychiatrist), data, name=name, content_type=content_type)

    assert response.status_code == 200
    assert message in page_text(response)
    assert counts() == (0, 0, 0, 0)


def test_a_tampered_signed_file_imports_nothing(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    token = token_of(upload(client, csv_bytes(row())))
    value, stamp, signature = token.rsplit(":", 2)
    clinic_id, user_id, _ = value.split(".", 2)
    other = sign_upload(
        data=csv_bytes(row(dose_mg_per_day="200")), clinic_id=int(clinic_id), user_id=int(user_id)
    )
    other_file = other.rsplit(":", 2)[0].split(".", 2)[2]
    altered = "B" if signature[-1] == "A" else "A"

    for candidate in [
        f"{clinic_id}.{user_id}.{other_file}:{stamp}:{signature}",
        f"{value}:{stamp}:{signature[:-1]}{altered}",
        f"{clinic_id}.{int(user_id) + 1}.{value.split('.', 2)[2]}:{stamp}:{signature}",
        "",
    ]:
        response = client.post(CONFIRM_URL, {"upload": candidate})
        assert response.status_code == 200
        assert "could not be verified" in page_text(response)
    assert counts() == (0, 0, 0, 0)


def test_a_file_previewed_by_another_psychiatrist_cannot_be_confirmed(
    signed_in, psychiatrist, member
):
    colleague = member()
    token = token_of(upload(signed_in(colleague), csv_bytes(row())))

    response = signed_in(psychiatrist).post(CONFIRM_URL, {"upload": token})

    assert "could not be verified" in page_text(response)
    assert counts() == (0, 0, 0, 0)


def test_the_confirmation_is_checked_again_against_the_records(signed_in, psychiatrist, clinic):
    client = signed_in(psychiatrist)
    token = token_of(upload(client, csv_bytes(row())))
    # A colleague records the patient between preview and confirmation.
    PatientFactory(clinic=clinic, record_number=ROW["record_number"], family_name="Other")

    response = client.post(CONFIRM_URL, {"upload": token})

    assert "<strong>row 2, column family_name</strong>" in page_text(response)
    assert counts() == (1, 0, 0, 0)


def test_the_confirmation_only_accepts_a_post(signed_in, psychiatrist):
    assert signed_in(psychiatrist).get(CONFIRM_URL).status_code == 405


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(UPLOAD_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- No input makes a 500 ----------------------------------------------------------------------

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELLS = st.one_of(
    st.sampled_from(["", "yes", "no", "T1", "ECT", "2024-05-01", "0", "-1", "1e9", "sertraline"]),
    st.text(max_size=30),
)


@HYPOTHESIS
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_break_the_page(data, signed_in, psychiatrist):
    response = upload(signed_in(psychiatrist), data)

    assert response.status_code == 200
    assert (Episode.objects.count(), TreatmentTrial.objects.count()) == (0, 0)


@HYPOTHESIS
@given(
    text=st.text(max_size=2000),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=len(HEADER) + 3), max_size=6),
)
def test_random_text_and_cells_under_a_valid_header_never_break_the_page(
    text, rows, signed_in, psychiatrist
):
    lines = [
        ",".join(HEADER),
        *(",".join(cell.replace(",", ";") for cell in cells) for cells in rows),
    ]
    client = signed_in(psychiatrist)

    for data in (text.encode(), "\n".join(lines).encode()):
        response = upload(client, data)
        assert response.status_code == 200
    assert AuditEvent.objects.count() == 0
