"""Clinicians writing to one patient at the same moment: nothing lost, nothing overwritten.

Each writer is a thread with its own database connection (closed when it ends), released
together by a barrier, so the writes really overlap in PostgreSQL. Every write under one patient
locks the patient's row first (`records.services.common.lock_patient`), so the numbering of
trials and the impasse flags stay consistent; a stale edit is refused with what changed.
"""

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from pseudoresistance.models import ImpasseCase
from pseudoresistance.states import ACTIVE_STATES
from records.models import AuditAction, AuditEvent, Episode, ScaleAdministration, TreatmentTrial
from records.services import ScaleInput, StaleEditError, TrialInput, trial_record, trial_update
from records.services.scale_administrations import scale_record
from tests.factories import TrialFactory, builtin_agent
from tests.two_factor import verified_login

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("reference_data"),
]

WRITERS = 20


def in_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released together; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return results


def active_cases(episode: Episode) -> int:
    return ImpasseCase.objects.filter(
        episode=episode, state__in=[state.value for state in ACTIVE_STATES]
    ).count()


def test_twenty_writers_adding_trials_to_one_patient_lose_nothing(
    episode: Episode, psychiatrist: User
) -> None:
    agent = builtin_agent("sertraline")

    def add(index: int) -> TreatmentTrial:
        data = TrialInput(
            kind="antidepressant",
            agent=agent,
            dose_mg_per_day=Decimal(100),
            start_date=episode.onset_date + datetime.timedelta(days=index),
            weeks=Decimal(8),
            adherence="good",
            percent_symptom_reduction=Decimal(20),
        )
        return trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)

    results = in_parallel(WRITERS, add)

    assert [r for r in results if not isinstance(r, TreatmentTrial)] == []
    trials = TreatmentTrial.objects.filter(episode=episode)
    assert trials.count() == WRITERS
    assert sorted(trials.values_list("seq", flat=True)) == list(range(1, WRITERS + 1))
    assert len(set(trials.values_list("code", flat=True))) == WRITERS
    events = AuditEvent.objects.filter(object_type="trial", action=AuditAction.CREATE)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(r.pk for r in results)
    # The impasse flags were refreshed after each trial, one at a time: at most one open case.
    assert active_cases(episode) <= 1


def test_twenty_writers_adding_scores_to_one_patient_lose_nothing(
    episode: Episode, psychiatrist: User
) -> None:
    def add(index: int) -> ScaleAdministration:
        data = ScaleInput(
            scale="HAMD17",
            administered_on=episode.onset_date + datetime.timedelta(days=index),
            total=Decimal(10 + index),
        )
        return scale_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)

    results = in_parallel(WRITERS, add)

    assert [r for r in results if not isinstance(r, ScaleAdministration)] == []
    totals = ScaleAdministration.objects.filter(episode=episode).values_list("total", flat=True)
    assert sorted(totals) == [Decimal(10 + index) for index in range(WRITERS)]
    events = AuditEvent.objects.filter(
        object_type="scale_administration", action=AuditAction.CREATE
    )
    assert events.count() == WRITERS
    assert active_cases(episode) <= 1


def test_parallel_edits_of_one_trial_exactly_one_wins(
    episode: Episode, psychiatrist: User, member: Callable[..., User]
) -> None:
    trial = TrialFactory(episode=episode, code="T1", seq=1, dose_mg_per_day=Decimal(100))
    editors = [psychiatrist, *(member() for _ in range(WRITERS - 1))]

    def edit(index: int) -> TreatmentTrial:
        data = TrialInput(
            kind=trial.kind,
            agent=trial.agent,
            start_date=trial.start_date,
            dose_mg_per_day=Decimal(101 + index),
            weeks=trial.weeks,
            adherence=trial.adherence,
            percent_symptom_reduction=trial.percent_symptom_reduction,
        )
        return trial_update(
            acting_user=editors[index], trial_id=trial.pk, expected_version=1, data=data
        )

    results = in_parallel(WRITERS, edit)

    won = [index for index, r in enumerate(results) if isinstance(r, TreatmentTrial)]
    refused = [r for r in results if isinstance(r, StaleEditError)]
    assert len(won) == 1
    assert len(refused) == WRITERS - 1
    winner = editors[won[0]]
    assert all(winner.username in error.messages[0] for error in refused)
    trial.refresh_from_db()
    assert (trial.version, trial.dose_mg_per_day) == (2, Decimal(101 + won[0]))
    updates = AuditEvent.objects.filter(object_type="trial", action=AuditAction.UPDATE)
    assert list(updates.values_list("actor_id", flat=True)) == [winner.pk]


def test_second_clinician_saving_a_trial_is_refused_with_what_changed(
    episode: Episode, psychiatrist: User, member: Callable[..., User]
) -> None:
    trial = TrialFactory(episode=episode, code="T1", seq=1, dose_mg_per_day=Decimal(100))
    colleague = member()
    url = reverse("records:trial-update", args=[episode.patient_id, trial.pk])
    form = {
        "kind": trial.kind,
        "agent_text": "sertraline",
        "start_date": trial.start_date.isoformat(),
        "weeks": "8",
        "adherence": "good",
        "percent_symptom_reduction": "20",
        "version": "1",
    }
    first, second = Client(), Client()
    verified_login(first, psychiatrist)
    verified_login(second, colleague)
    # Both opened the form at version 1.
    assert first.get(url).status_code == second.get(url).status_code == 200

    assert first.post(url, {**form, "dose_mg_per_day": "150"}).status_code == 302
    refused = second.post(url, {**form, "dose_mg_per_day": "200"})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "changed by someone else" in page
    assert psychiatrist.username in page
    assert "100 → 150" in page
    trial.refresh_from_db()
    assert (trial.version, trial.dose_mg_per_day) == (2, Decimal(150))
