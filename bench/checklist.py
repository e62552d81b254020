"""The checklist page of the 40-trial patient: server time beside its target (issue 17)."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from bench.measure import Row, percentile
from bench.web import WARM_UP, page_patient_id, warm_page_times

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client

    from records.models import Clinic

# Issue 17: the checklist page of a 40-trial patient within 150 ms and 150 kB of HTML.
TARGET_MS = 150
TARGET_KB = 150
REQUESTS = 15


def _verified_client(user: User) -> Client:
    """A client signed in past the second factor, as django-otp marks a session after a code."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Benchmark authenticator", defaults={"confirmed": True}
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def checklist_page_rows(clinic: Clinic, user: User, requests: int = REQUESTS) -> list[Row]:
    """Median server time, size and queries of the 40-trial patient's checklist page."""
    from django.urls import reverse

    from records.models import Episode

    client = _verified_client(user)
    episode = Episode.objects.filter(patient_id=page_patient_id(clinic, "PAGE-40")).latest(
        "onset_date"
    )
    url = reverse("pseudoresistance:episode", args=[episode.pk])
    _get, seconds, queries = warm_page_times(client, url, WARM_UP, requests)
    kilobytes = len(client.get(url).content) / 1000
    median = statistics.median(seconds) * 1000
    return [
        Row(
            "checklist page, 40 trials: median",
            median,
            "ms",
            note=(
                f"target ≤ {TARGET_MS} ms ({'met' if median <= TARGET_MS else 'NOT met'}); "
                f"{kilobytes:.0f} kB of HTML (target ≤ {TARGET_KB} kB); {len(queries)} SQL queries"
            ),
            extra={
                "target_ms": TARGET_MS,
                "html_kb": kilobytes,
                "queries": len(queries),
                "p95_ms": percentile(seconds, 0.95) * 1000,
            },
        )
    ]
