"""The staging page as fast as issue 18 asks and never stale: its queries pinned, a change read at
once, and nothing of another clinic's patient."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from records.access import ClinicAccess
from records.models import Clinic, Role, TreatmentTrial
from records.selectors import patient_detail
from records.services import trial_delete
from records.staging import Variant, stage_over_time, staging_results

from .test_staging_page import staging_url, vignette_patient


@pytest.fixture
def access(psychiatrist: User, access_of: Callable[[User], ClinicAccess]) -> ClinicAccess:
    return access_of(psychiatrist)


def test_staging_page_queries_are_pinned(
    access: ClinicAccess, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    many = vignette_patient(access, "V08")  # 19 trials
    client = signed_in(psychiatrist)
    client.get(staging_url(many))  # the session and user are loaded once warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(staging_url(many)).status_code == 200
    # Episodes with their patient, trials (no scores: the page stages only) and the access log's
    # INSERT, beside the session and the user with their memberships and devices
    # (records/signed_in.py); the same for 2 trials (test_staging_page).
    assert len(queries) == 5


def test_a_deleted_trial_leaves_the_staging_page_at_once(
    access: ClinicAccess, psychiatrist: User, signed_in: Callable[[User], Client]
) -> None:
    patient = vignette_patient(access, "V08")
    client = signed_in(psychiatrist)
    before = client.get(staging_url(patient)).context
    counted = {code for row in before["results"].rows for code in row.counted_trials}
    trial = TreatmentTrial.objects.get(
        episode__patient=patient, code=sorted(counted)[-1].split()[0]
    )

    trial_delete(acting_user=psychiatrist, trial_id=trial.pk, expected_version=trial.version)
    after = client.get(staging_url(patient)).context

    named = [name for row in after["results"].rows for name in row.counted_trials]
    assert not any(name.split()[0] == trial.code for name in named)
    assert trial.code not in ", ".join(after["page"].series.events)
    # The page equals a fresh computation from the history it read.
    history = after["detail"].history
    assert trial.code not in {t.id for t in history.trials}
    fresh = staging_results(history, after["detail"].params, Variant.CLINIC)
    assert after["results"].results == fresh.results


def test_another_clinics_user_reads_nothing_of_the_patient(
    access: ClinicAccess,
    member: Callable[..., User],
    other_clinic: Clinic,
    signed_in: Callable[[User], Client],
) -> None:
    patient = vignette_patient(access, "V08", family_name="Quillfeather")
    for role in Role:
        outsider = member(role, in_clinic=other_clinic)
        response = signed_in(outsider).get(staging_url(patient))
        assert response.status_code == 404
        assert "Quillfeather" not in response.content.decode()
        assert patient.record_number not in response.content.decode()


def test_stage_over_time_reusing_the_pages_results_draws_the_same_series(
    access: ClinicAccess,
) -> None:
    patient = vignette_patient(access, "V08")
    detail = patient_detail(access=access, patient_id=patient.pk, with_scores=False)
    assert detail.history is not None
    results = staging_results(detail.history, detail.params, Variant.STRICT)
    series = stage_over_time(detail.history, results.params)
    reused = stage_over_time(detail.history, results.params, staged_on_assessment=results.results)
    assert reused == series
    assert len(series.dates) > 10
