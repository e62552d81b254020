"""ASVS 14.4, 3.4: the browser-hardening headers of real responses, and production cookies."""

import json
import re

import pytest
from django.urls import reverse

from tests.factories import TrialFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.integration.test_configuration import PRODUCTION_SECRET, manage

pytestmark = pytest.mark.django_db

# The policy every page carries: no inline script, nothing from another origin.
POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_hardened(response) -> None:
    directives = policy(response)
    for name, values in POLICY.items():
        assert directives[name] == values, name
    # Only style attributes may be inline (plotly.js's chart text); never a script or a <style>.
    assert [name for name, values in directives.items() if "'unsafe-inline'" in values] == [
        "style-src-attr"
    ]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_sign_in_page_is_hardened(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_hardened(response)


def test_patient_page_is_hardened_and_its_style_nonce_matches_the_policy(
    signed_in, psychiatrist, episode
):
    response = signed_in(psychiatrist).get(
        reverse("records:patient-detail", args=[episode.patient_id])
    )
    assert response.status_code == 200
    assert_hardened(response)
    page = response.content.decode()
    # plotly.js's style element carries this response's nonce; styles allow only it and files.
    nonce = re.search(r'<style id="plotly.js-style-global" nonce="([^"]+)">', page)[1]
    assert policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    # No inline script and no inline event handler anywhere on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_each_response_has_its_own_nonce(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    url = reverse("records:patient-detail", args=[episode.patient_id])
    first, second = client.get(url), client.get(url)
    assert policy(first)["style-src"] != policy(second)["style-src"]


def test_pdf_download_is_hardened(signed_in, psychiatrist, episode):
    TrialFactory(episode=episode)
    response = signed_in(psychiatrist).get(
        reverse("records:patient-report-pdf", args=[episode.patient_id])
    )
    assert response["Content-Type"] == "application/pdf"
    assert_hardened(response)


def test_json_download_is_hardened(signed_in, psychiatrist, episode):
    TrialFactory(episode=episode)
    response = signed_in(psychiatrist).post(
        reverse("records:patient-json-export", args=[episode.patient_id]),
        {"password": DEFAULT_PASSWORD},
    )
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["trials"]
    assert response["Cache-Control"] == "no-store"
    assert_hardened(response)


def test_cookies_are_http_only_and_same_site_in_every_mode(client):
    response = client.get(reverse("login"))
    csrf = response.cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


PRODUCTION_PROBE = """
from django.conf import settings
from django.test import Client, override_settings
# The page's static URLs come from collectstatic's manifest, which this checkout has not built.
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES=plain_static).enable()
response = Client().get("/signin/", secure=True)
cookie = response.cookies["csrftoken"]
print(settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
      settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SECURE,
      settings.SECURE_SSL_REDIRECT)
print(response.status_code, response["Strict-Transport-Security"])
print(bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"])
print(Client().get("/signin/").status_code)
"""


def test_production_sends_secure_cookies_hsts_and_redirects_to_https():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        PRODUCTION_PROBE,
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="postgresql://trd:secret@db.invalid:5432/trdclinic",
    )
    assert result.returncode == 0, result.stderr
    settings_line, hsts_line, cookie_line, plain_line = result.stdout.split("\n")[:4]
    assert settings_line == "True True Lax True True"
    assert hsts_line == "200 max-age=31536000; includeSubDomains; preload"
    assert cookie_line == "True True Lax"
    # Plain HTTP is sent to HTTPS first.
    assert plain_line == "301"
