"""The patient page is never stale nor another clinic's (issue 18: nothing of it is cached).

The trial rows are written in Python and the impasse panel's status is computed on each request
from the rows just read; these tests change a trial through the services and read the page at
once, and read two clinics' patients with the same record number.
"""

import datetime
from decimal import Decimal

from django.urls import reverse

from records.models import Role
from records.services.trials import trial_adequacy_override, trial_delete
from tests.factories import EpisodeFactory, PatientFactory, TrialFactory, builtin_agent

from .conftest import ONSET


def _page(client, patient_id: int) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("records:patient-detail", args=[patient_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_changed_trial_shows_on_the_next_read(signed_in, psychiatrist, episode):
    client = signed_in(psychiatrist)
    first = TrialFactory(episode=episode, code="T1", seq=1, start_date=ONSET)
    second = TrialFactory(
        episode=episode,
        code="T2",
        seq=2,
        agent=builtin_agent("venlafaxine"),
        dose_mg_per_day=Decimal(150),
        start_date=ONSET + datetime.timedelta(days=70),
    )
    before = _page(client, episode.patient_id)
    assert "as recorded 2, after the checklist" in before
    assert 'data-testid="override"' not in before

    trial_adequacy_override(
        acting_user=psychiatrist,
        trial_id=first.pk,
        expected_version=first.version,
        adequate=False,
        reason="Doses missed for weeks.",
    )
    overridden = _page(client, episode.patient_id)
    assert 'data-testid="override"' in overridden
    assert "Doses missed for weeks." in overridden

    second.refresh_from_db()
    trial_delete(acting_user=psychiatrist, trial_id=second.pk, expected_version=second.version)
    after = _page(client, episode.patient_id)
    assert 'data-testid="trial-row-T2"' not in after
    assert "as recorded 1, after the checklist" in after


def test_two_clinics_patients_of_the_same_number_each_see_their_own(
    signed_in, psychiatrist, episode, other_clinic, member
):
    TrialFactory(episode=episode, code="T1", seq=1, agent=builtin_agent("sertraline"))
    colleague = member(Role.PSYCHIATRIST, in_clinic=other_clinic)
    theirs = PatientFactory(clinic=other_clinic, psychiatrist=colleague, record_number="RN-1")
    their_episode = EpisodeFactory(patient=theirs, onset_date=ONSET)
    TrialFactory(
        episode=their_episode,
        code="T1",
        seq=1,
        agent=builtin_agent("mirtazapine"),
        dose_mg_per_day=Decimal(30),
    )
    ours = _page(signed_in(psychiatrist), episode.patient_id)
    assert "Sertraline" in ours or "sertraline" in ours
    assert "irtazapine" not in ours
    other = signed_in(colleague)
    seen = _page(other, theirs.pk)
    assert "irtazapine" in seen
    assert "ertraline" not in seen
    response = other.get(reverse("records:patient-detail", args=[episode.patient_id]))
    assert response.status_code == 404
