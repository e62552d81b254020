"""Episode pages: record the current episode, correct it, refuse what the services refuse."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from records.models import Episode, Role
from records.models.episode import SCORE_NEEDS_SCALE
from tests.factories import EpisodeFactory, TrialFactory

from .conftest import ONSET


def field_error(response, name: str) -> str:
    """Return the error text shown beside a field (crispy-forms' invalid-feedback block)."""
    page = response.content.decode()
    match = re.search(
        rf'<div id="id_{name}_error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def episode_data(**changes: str) -> dict[str, str]:
    data = {
        "onset_date": "2024-09-01",
        "baseline_scale": "HAMD17",
        "baseline_score": "22",
        "functional_impairment": "moderate",
        "mde_criteria_met": "true",
    }
    return {**data, **changes}


def test_psychiatrist_records_the_current_episode(signed_in, psychiatrist, patient):
    url = reverse("records:episode-create", args=[patient.pk])
    response = signed_in(psychiatrist).post(url, episode_data())
    episode = Episode.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("records:patient-detail", args=[patient.pk]) + "#trials"
    assert (episode.onset_date, episode.functional_impairment, episode.mde_criteria_met) == (
        datetime.date(2024, 9, 1),
        "moderate",
        True,
    )


def test_score_without_a_scale_is_refused_beside_the_scale(signed_in, psychiatrist, patient):
    url = reverse("records:episode-create", args=[patient.pk])
    response = signed_in(psychiatrist).post(url, episode_data(baseline_scale=""))
    assert response.status_code == 200
    assert field_error(response, "baseline_scale") == SCORE_NEEDS_SCALE
    assert response.context["form"]["baseline_score"].value() == "22"
    assert not Episode.objects.exists()


def test_a_second_current_episode_is_refused_on_the_end_date(signed_in, psychiatrist, episode):
    url = reverse("records:episode-create", args=[episode.patient_id])
    response = signed_in(psychiatrist).post(url, episode_data(onset_date="2025-01-01"))
    assert "already has a current episode" in field_error(response, "end_date")
    assert Episode.objects.count() == 1


def test_future_onset_is_refused(signed_in, psychiatrist, patient):
    url = reverse("records:episode-create", args=[patient.pk])
    response = signed_in(psychiatrist).post(url, episode_data(onset_date="2999-01-01"))
    assert field_error(response, "onset_date") == "This date is in the future."


def test_episode_is_corrected(signed_in, psychiatrist, episode):
    url = reverse("records:episode-update", args=[episode.patient_id, episode.pk])
    client = signed_in(psychiatrist)
    assert client.get(url).context["form"].initial["onset_date"] == ONSET
    response = client.post(url, episode_data(onset_date="2024-04-01", version="1"))
    episode.refresh_from_db()
    assert response.status_code == 302
    assert (episode.onset_date, episode.version) == (datetime.date(2024, 4, 1), 2)


def test_onset_after_its_trials_names_them(signed_in, psychiatrist, episode):
    TrialFactory(episode=episode, code="T1", seq=1, start_date=ONSET)
    url = reverse("records:episode-update", args=[episode.patient_id, episode.pk])
    response = signed_in(psychiatrist).post(url, episode_data(onset_date="2024-06-01", version="1"))
    assert field_error(response, "onset_date").startswith("T1 started before this onset")


def test_stale_episode_edit_is_refused_with_the_change(signed_in, psychiatrist, member, episode):
    url = reverse("records:episode-update", args=[episode.patient_id, episode.pk])
    signed_in(member(Role.PSYCHIATRIST)).post(url, episode_data(version="1"))
    response = signed_in(psychiatrist).post(url, episode_data(baseline_score="25", version="1"))
    page = html.unescape(response.content.decode())
    assert "This episode was changed by someone else" in page
    assert response.context["form"]["baseline_score"].value() == "25"
    episode.refresh_from_db()
    assert episode.baseline_score == 22


def test_episode_pages_of_another_clinic_are_404(signed_in, stranger, episode):
    client = signed_in(stranger)
    for url in (
        reverse("records:episode-create", args=[episode.patient_id]),
        reverse("records:episode-update", args=[episode.patient_id, episode.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, episode_data(version="1")).status_code == 404


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_episode_pages_refuse_roles_that_do_not_edit(signed_in, member, episode, role):
    client = signed_in(member(role))
    url = reverse("records:episode-update", args=[episode.patient_id, episode.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, episode_data(version="1")).status_code == 403
    create = reverse("records:episode-create", args=[episode.patient_id])
    assert client.post(create, episode_data(end_date="2024-12-01")).status_code == 403
    assert Episode.objects.count() == 1


def test_episode_of_another_patient_is_404(signed_in, psychiatrist, patient, clinic):
    other = EpisodeFactory(patient__clinic=clinic)
    url = reverse("records:episode-update", args=[patient.pk, other.pk])
    assert signed_in(psychiatrist).get(url).status_code == 404


@pytest.mark.parametrize("editing", [False, True], ids=["create", "update"])
def test_out_of_range_baseline_score_is_a_field_error_with_everything_kept(
    signed_in, psychiatrist, patient, editing
):
    if editing:
        episode = EpisodeFactory(patient=patient, onset_date=ONSET)
        url = reverse("records:episode-update", args=[patient.pk, episode.pk])
        data = episode_data(baseline_scale="MADRS", baseline_score="80", version="1")
    else:
        url = reverse("records:episode-create", args=[patient.pk])
        data = episode_data(baseline_scale="MADRS", baseline_score="80")
    response = signed_in(psychiatrist).post(url, data)
    assert response.status_code == 200
    assert field_error(response, "baseline_score") == "MADRS total must be between 0 and 60"
    assert response.context["form"]["baseline_score"].value() == "80"
    assert response.context["form"]["onset_date"].value() == "2024-09-01"
