"""`restage` is a change by the system: it opens and closes impasse cases as any change does."""

import datetime
import io
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from cohort.models import EpisodeSnapshot
from pseudoresistance.models import CaseOrigin, ImpasseCase, ImpasseCaseEvent
from pseudoresistance.services import CRITERIA_NO_LONGER_MET, impasse_review_start
from pseudoresistance.states import CaseState
from records.models import AuditAction, AuditEvent, Episode
from records.services import TrialInput, trial_record
from tests.factories import EpisodeFactory, PatientFactory, builtin_agent

LONG_AGO = 800  # days: past the 24 months of the long-episode criterion


def restage_command() -> str:
    out = io.StringIO()
    call_command("restage", stdout=out)
    return out.getvalue()


def case_of(episode: Episode) -> ImpasseCase:
    return ImpasseCase.objects.get(episode=episode)


def responding_trial(episode: Episode) -> TrialInput:
    return TrialInput(
        kind="antidepressant",
        start_date=episode.onset_date + datetime.timedelta(days=30),
        agent=builtin_agent("sertraline"),
        dose_mg_per_day=Decimal(100),
        weeks=Decimal(8),
        adherence="good",
        percent_symptom_reduction=Decimal(60),
    )


def test_a_nightly_restage_opens_the_case_the_date_now_calls_for(clinic, psychiatrist):
    # The episode was recorded before it was 24 months old; the date alone has changed since.
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=LONG_AGO)
    )
    assert not ImpasseCase.objects.exists()

    assert "Restaged 1 episodes" in restage_command()

    case = case_of(episode)
    assert (case.state, case.origin, case.criteria) == ("open", "automatic", ["long_episode"])
    assert case.flagged_by is None
    [event] = ImpasseCaseEvent.objects.filter(case=case)
    assert event.by is None
    audit = AuditEvent.objects.get(object_type="impasse_case", object_id=case.pk)
    assert (audit.action, audit.actor_id, audit.actor_username) == (AuditAction.CREATE, None, "")
    assert EpisodeSnapshot.objects.get(episode=episode).criteria == ["long_episode"]
    # A second night changes nothing: the case is already in progress.
    restage_command()
    assert ImpasseCase.objects.count() == 1


def test_restage_closes_a_waiting_automatic_case_whose_criteria_no_longer_hold(
    clinic, psychiatrist
):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=LONG_AGO)
    )
    restage_command()
    case = case_of(episode)
    # The episode ended in the record by a path that tells no one (a data fix, say).
    Episode.objects.filter(pk=episode.pk).update(end_date=timezone.localdate())

    restage_command()

    case.refresh_from_db()
    assert (case.state, case.criteria) == (CaseState.CLOSED, [])
    last = ImpasseCaseEvent.objects.filter(case=case).last()
    assert last is not None
    assert (last.transition, last.to_state, last.reason, last.by) == (
        "withdraw",
        CaseState.CLOSED,
        CRITERIA_NO_LONGER_MET,
        None,
    )


def test_a_response_recorded_by_hand_closes_the_waiting_case_as_restage_would(clinic, psychiatrist):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=LONG_AGO)
    )
    restage_command()
    case = case_of(episode)

    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=responding_trial(episode))

    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert ImpasseCaseEvent.objects.filter(case=case).last().by == psychiatrist


def test_a_case_taken_for_review_stays_when_its_criteria_no_longer_hold(
    clinic, psychiatrist, supervisor
):
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=LONG_AGO)
    )
    restage_command()
    case = case_of(episode)
    impasse_review_start(acting_user=supervisor, case_id=case.pk)

    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=responding_trial(episode))

    case.refresh_from_db()
    assert (case.state, case.criteria) == (CaseState.UNDER_REVIEW, [])
    assert case.origin == CaseOrigin.AUTOMATIC
