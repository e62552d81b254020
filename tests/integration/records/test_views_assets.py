"""Front-end files of the records pages: served from static/, no inline script anywhere."""

import re
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.urls import reverse

STATIC = Path(settings.BASE_DIR) / "static"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=")


def test_vendored_plotly_is_the_installed_packages_version():
    # The figures are built for the plotly.js the Python package ships; the vendored partial
    # bundle (cartesian traces only, issue 18) must be of the same plotly.js version.
    packaged = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendored = STATIC / "vendor" / "plotly" / "plotly.min.js"
    version = re.compile(rb"\* plotly\.js (?:\([a-z -]+\) )?(v[0-9.]+)")
    packaged_version = version.search(packaged.read_bytes()[:200])
    vendored_version = version.search(vendored.read_bytes()[:200])
    assert packaged_version is not None
    assert vendored_version is not None
    assert vendored_version.group(1) == packaged_version.group(1)
    assert (STATIC / "vendor" / "plotly" / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize(
    "name",
    [
        "records:trial-create",
        "records:scale-create",
        "records:episode-create",
        "records:patient-detail",
    ],
)
def test_records_pages_load_scripts_from_static_files_only(signed_in, psychiatrist, episode, name):
    args = (
        [episode.patient_id]
        if name in ("records:episode-create", "records:patient-detail")
        else [
            episode.patient_id,
            episode.pk,
        ]
    )
    page = signed_in(psychiatrist).get(reverse(name, args=args), {"scale": "HAMD17"})
    html = page.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []
    for source in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html):
        assert source.startswith(settings.STATIC_URL) or source.startswith(
            "/" + settings.STATIC_URL
        )
