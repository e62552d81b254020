"""Snapshots follow every change in its transaction, bulk changes too, and restage."""

import datetime
import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from bench.load import database_url
from cohort.models import EpisodeSnapshot
from cohort.selectors import stale_episodes
from pseudoresistance.services import AnswerInput, checklist_answers_record
from records.csv_sample import sample_csv
from records.models import Episode, TrialKind
from records.services import TrialInput, trial_record
from records.services.csv_import import csv_import
from records.services.scale_administrations import ScaleInput, scale_record
from records.services.staging_defaults import clinic_staging_defaults_update
from staging.history import Params
from tests.factories import builtin_agent

from .conftest import SAME_CLASS


def snapshot_of(episode: Episode) -> EpisodeSnapshot:
    return EpisodeSnapshot.objects.get(episode=episode)


def venlafaxine(episode: Episode) -> TrialInput:
    return TrialInput(
        kind=TrialKind.ANTIDEPRESSANT,
        start_date=episode.onset_date + datetime.timedelta(days=140),
        agent=builtin_agent("venlafaxine"),
        dose_mg_per_day=Decimal(150),
        weeks=Decimal(8),
        adherence="good",
        percent_symptom_reduction=Decimal(10),
    )


def test_recording_a_trial_refreshes_the_snapshot_in_its_transaction(
    make_episode, psychiatrist, restage
):
    episode = make_episode(SAME_CLASS)
    restage()
    assert snapshot_of(episode).results["thase_rush"]["category"] == "stage I"
    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=venlafaxine(episode))
    snapshot = snapshot_of(episode)
    assert snapshot.results["thase_rush"]["category"] == "stage II"
    assert snapshot.results["thase_rush"]["reaches"] is True
    assert snapshot.stale is False
    assert snapshot.engine_versions["fda"]
    assert snapshot.params["nonresponse_rule"] == Params().nonresponse_rule.value


def test_a_rolled_back_change_leaves_the_old_snapshot(make_episode, psychiatrist, restage):
    episode = make_episode(SAME_CLASS)
    restage()
    before = snapshot_of(episode).computed_at
    seen_inside = []

    def change_then_fail() -> None:
        with transaction.atomic():
            trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=venlafaxine(episode))
            seen_inside.append(snapshot_of(episode).results["thase_rush"]["category"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen_inside == ["stage II"]
    snapshot = snapshot_of(episode)
    assert snapshot.results["thase_rush"]["category"] == "stage I"
    assert snapshot.computed_at == before


def test_recording_a_score_stores_its_response_and_remission(make_episode, psychiatrist):
    episode = make_episode(SAME_CLASS)
    for days, total in ((10, 24), (100, 6)):
        scale_record(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            data=ScaleInput(
                scale="HAMD17",
                administered_on=episode.onset_date + datetime.timedelta(days=days),
                total=Decimal(total),
            ),
        )
    outcomes = snapshot_of(episode).score_outcomes
    assert [row[1:] for row in outcomes] == [["HAMD17", None, False], ["HAMD17", True, True]]


def test_answering_the_checklist_refreshes_concerns_and_gaps(make_episode, psychiatrist, restage):
    episode = make_episode(SAME_CLASS)
    restage()
    assert "B1" in snapshot_of(episode).data_gaps
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[AnswerInput(item_code="B1", answer="yes")],
    )
    snapshot = snapshot_of(episode)
    assert "B1" in snapshot.concerns
    assert "B1" not in snapshot.data_gaps


def test_csv_import_stores_the_snapshots_of_the_episodes_it_adds(clinic, psychiatrist, restage):
    csv_import(
        acting_user=psychiatrist, clinic=clinic, data=sample_csv(rows=6, patients=2).encode()
    )
    assert EpisodeSnapshot.objects.filter(clinic=clinic, stale=False).count() == 2
    assert not stale_episodes(clinic).exists()
    first = {
        snapshot.episode_id: snapshot.computed_at for snapshot in EpisodeSnapshot.objects.all()
    }
    more = sample_csv(rows=6, patients=2)
    for number in (1, 2, 3):
        more = more.replace(f",T{number},", f",T1{number},")
    csv_import(acting_user=psychiatrist, clinic=clinic, data=more.encode())
    assert not stale_episodes(clinic).exists()
    again = {
        snapshot.episode_id: snapshot.computed_at for snapshot in EpisodeSnapshot.objects.all()
    }
    assert all(again[episode] > computed for episode, computed in first.items())


def test_changing_the_clinics_staging_defaults_restages_its_episodes_at_once(
    clinic, clinic_admin, make_episode, other_clinic, member, restage
):
    from records.models import Role

    episode = make_episode()
    elsewhere = make_episode(
        in_clinic=other_clinic, psychiatrist_user=member(Role.PSYCHIATRIST, in_clinic=other_clinic)
    )
    restage()
    untouched = snapshot_of(elsewhere).computed_at
    clinic_staging_defaults_update(
        acting_user=clinic_admin,
        clinic_id=clinic.pk,
        data=Params(ad_min_weeks=8),
        expected_version=0,
    )
    refreshed = snapshot_of(episode)
    assert (refreshed.stale, refreshed.params["ad_min_weeks"]) == (False, 8)
    assert snapshot_of(elsewhere).computed_at == untouched
    assert not stale_episodes(clinic).exists()


def test_a_snapshot_of_another_engine_version_counts_as_stale(clinic, make_episode, restage):
    episode = make_episode()
    restage()
    EpisodeSnapshot.objects.filter(episode=episode).update(engine_versions={"fda": "0.9"})
    assert list(stale_episodes(clinic)) == [episode]


def test_restage_command_reports_progress_in_batches(clinic, make_episode):
    episodes = [make_episode() for _ in range(3)]
    out = io.StringIO()
    call_command("restage", "--batch", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("2/3 episodes restaged")
    assert lines[1].startswith("3/3 episodes restaged")
    assert lines[-1].startswith("Restaged 3 episodes")
    assert EpisodeSnapshot.objects.filter(episode__in=episodes).count() == 3


def test_restage_stale_for_one_clinic_leaves_the_others(clinic, make_episode, other_clinic, member):
    from records.models import Role

    make_episode()
    make_episode(
        in_clinic=other_clinic, psychiatrist_user=member(Role.PSYCHIATRIST, in_clinic=other_clinic)
    )
    out = io.StringIO()
    call_command("restage", "--stale", "--clinic", str(clinic.pk), stdout=out)
    assert "Restaged 1 episodes" in out.getvalue()
    assert list(EpisodeSnapshot.objects.values_list("clinic_id", flat=True)) == [clinic.pk]
    out = io.StringIO()
    call_command("restage", "--stale", stdout=out)
    assert "Restaged 1 episodes" in out.getvalue()


def test_restage_of_an_unknown_clinic_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No clinic with id 0"):
        call_command("restage", "--clinic", "0", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("reference_data")
def test_restage_with_two_jobs_stores_what_one_job_stores(clinic, make_episode):
    episodes = [make_episode() for _ in range(5)]
    call_command("restage", stdout=io.StringIO())
    one_job = {
        snapshot.episode_id: (snapshot.status, snapshot.results, snapshot.criteria)
        for snapshot in EpisodeSnapshot.objects.all()
    }
    EpisodeSnapshot.objects.all().delete()
    # Run as a clinic runs it, from manage.py: the workers are forked from that process, never
    # from this test runner with its threads and browser pipes.
    environment = {
        **os.environ,
        "TRDCLINIC_MODE": "local",
        "DATABASE_URL": database_url(),
        "TRDCLINIC_LOG_LEVEL": "WARNING",
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "restage", "--jobs", "2", "--batch", "1"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    two_jobs = {
        snapshot.episode_id: (snapshot.status, snapshot.results, snapshot.criteria)
        for snapshot in EpisodeSnapshot.objects.all()
    }
    assert two_jobs == one_job
    assert set(two_jobs) == {episode.pk for episode in episodes}
    lines = finished.stdout.splitlines()
    assert lines[-2].startswith("5/5 episodes restaged")
    assert "episodes/s" in lines[0]
    assert lines[-1].startswith("Restaged 5 episodes")
