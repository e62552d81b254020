"""ASVS 12.1.1, 12.2.1: every upload has a size and a type limit, refused beside the field."""

import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from records.forms.exchange import FILE_NOT_JSON_NAME, FILE_TOO_LARGE, UPLOAD_MAX_BYTES
from records.models import Clinic
from records.models.clinic import (
    LOGO_MAX_BYTES,
    LOGO_NOT_IMAGE,
    LOGO_TOO_LARGE,
    LOGO_TOO_MANY_PIXELS,
)
from records.services.csv_import import MAX_FILE_BYTES

pytestmark = pytest.mark.django_db


def image_bytes(image_format: str, size: tuple[int, int] = (120, 40), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (20, 60, 120))
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def post_logo(client, clinic: Clinic, name: str, content: bytes):
    return client.post(
        reverse("records:settings-letterhead"),
        {
            "name": clinic.name,
            "address": "",
            "paper_size": "A4",
            "logo": SimpleUploadedFile(name, content, "application/octet-stream"),
        },
    )


def logo_errors(response) -> list[str]:
    assert response.status_code == 200
    return response.context["form"].errors["logo"]


@pytest.mark.parametrize(("name", "image_format"), [("logo.png", "PNG"), ("logo.jpg", "JPEG")])
def test_a_small_png_or_jpeg_logo_is_kept(
    signed_in, clinic_admin, clinic, media_root, name, image_format
):
    response = post_logo(signed_in(clinic_admin), clinic, name, image_bytes(image_format))
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.logo.name.startswith("clinic-logos/")


def test_a_logo_over_300_kb_is_refused(signed_in, clinic_admin, clinic, media_root):
    content = image_bytes("PNG", (400, 400), noise=True)
    assert len(content) > LOGO_MAX_BYTES
    response = post_logo(signed_in(clinic_admin), clinic, "logo.png", content)
    assert LOGO_TOO_LARGE in logo_errors(response)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("logo.png", b"GIF89a not really"),
        ("logo.gif", image_bytes("GIF")),
    ],
)
def test_svg_and_other_kinds_are_refused(
    signed_in, clinic_admin, clinic, media_root, name, content
):
    errors = logo_errors(post_logo(signed_in(clinic_admin), clinic, name, content))
    assert errors
    assert all("PNG" in error or "image" in error for error in errors)
    clinic.refresh_from_db()
    assert not clinic.logo


def test_a_gif_named_png_is_refused_by_its_content(signed_in, clinic_admin, clinic, media_root):
    errors = logo_errors(post_logo(signed_in(clinic_admin), clinic, "logo.png", image_bytes("GIF")))
    assert LOGO_NOT_IMAGE in errors


def test_a_logo_of_too_many_pixels_is_refused(signed_in, clinic_admin, clinic, media_root):
    content = image_bytes("PNG", (4000, 10))
    errors = logo_errors(post_logo(signed_in(clinic_admin), clinic, "logo.png", content))
    assert LOGO_TOO_MANY_PIXELS in errors


def json_import(client, patient, name: str, content: bytes):
    return client.post(
        reverse("records:patient-json-import", args=[patient.pk]),
        {"file": SimpleUploadedFile(name, content, "application/json")},
    )


def test_json_import_refuses_a_file_over_1_mb_beside_the_field(signed_in, psychiatrist, patient):
    content = json.dumps({"patient": {}, "trials": [], "pad": "x" * UPLOAD_MAX_BYTES}).encode()
    response = json_import(signed_in(psychiatrist), patient, "history.json", content)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [FILE_TOO_LARGE]


def test_json_import_refuses_another_kind_of_file_beside_the_field(
    signed_in, psychiatrist, patient
):
    response = json_import(signed_in(psychiatrist), patient, "logo.png", image_bytes("PNG"))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [FILE_NOT_JSON_NAME]


def csv_upload(client, name: str, content: bytes, content_type: str = "text/csv"):
    return client.post(
        reverse("records:import-csv"),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_csv_import_refuses_a_file_over_3_mb_beside_the_field(signed_in, psychiatrist):
    response = csv_upload(signed_in(psychiatrist), "trials.csv", b"a," * MAX_FILE_BYTES)
    assert response.status_code == 200
    assert "at most 3 MB can be imported at once" in str(response.context["form"].errors["file"])


@pytest.mark.parametrize(
    ("name", "content_type"), [("trials.xlsx", "text/csv"), ("trials.csv", "image/png")]
)
def test_csv_import_refuses_another_kind_of_file_beside_the_field(
    signed_in, psychiatrist, name, content_type
):
    response = csv_upload(signed_in(psychiatrist), name, b"patient_record_number\n", content_type)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
