"""Trial services: saved and audited together, bad input named by field, nothing half-saved."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from records.models import AuditAction, AuditEvent, TreatmentTrial, TrialKind
from records.services import (
    TRIAL_BEFORE_ONSET_CODE,
    StaleEditError,
    TrialInput,
    trial_adequacy_override,
    trial_adequacy_override_clear,
    trial_delete,
    trial_record,
    trial_update,
)
from tests.factories import AgentFactory, EpisodeFactory, TrialFactory, builtin_agent

from .conftest import ONSET

START = ONSET + datetime.timedelta(days=14)


def sertraline(**changes: object) -> TrialInput:
    data = TrialInput(
        kind=TrialKind.ANTIDEPRESSANT,
        start_date=START,
        agent=builtin_agent("sertraline"),
        dose_mg_per_day=Decimal(100),
        weeks=Decimal(8),
        adherence="good",
        percent_symptom_reduction=Decimal(20),
    )
    return replace(data, **changes)


def trial_events(trial_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="trial", object_id=trial_id).order_by("id"))


def test_trial_record_saves_the_trial_and_audits_every_value(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())

    trial.refresh_from_db()
    assert (trial.code, trial.seq, trial.version) == ("T1", 1, 1)
    assert trial.created_by == psychiatrist
    [event] = trial_events(trial.pk)
    assert event.action == AuditAction.CREATE
    assert (event.actor_id, event.actor_username) == (psychiatrist.pk, psychiatrist.username)
    assert (event.patient_id, event.clinic_id) == (episode.patient_id, episode.patient.clinic_id)
    assert event.changes["agent"] == [None, "sertraline (SSRI)"]
    assert event.changes["dose_mg_per_day"] == [None, "100"]
    assert event.changes["adherence"] == [None, "Good (≥ 80 % of doses or sessions)"]
    assert event.object_version == 1


def test_recording_a_trial_does_not_read_the_acting_user_again(episode, psychiatrist):
    # The service sets who made the change from the user it was given (records.services.common).
    with CaptureQueriesContext(connection) as queries:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    assert not [query for query in queries if 'FROM "auth_user"' in query["sql"]]


def test_trials_are_numbered_in_turn_with_ids_unique_to_the_patient(episode, psychiatrist):
    earlier = EpisodeFactory(
        patient=episode.patient,
        onset_date=ONSET.replace(year=2019),
        end_date=ONSET.replace(year=2020),
    )
    TrialFactory(episode=earlier, code="T2", seq=1, start_date=ONSET.replace(year=2019))
    first = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    second = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    assert (first.code, first.seq) == ("T1", 1)
    assert (second.code, second.seq) == ("T3", 2)


def test_trial_update_saves_the_change_and_audits_old_and_new(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())

    updated = trial_update(
        acting_user=psychiatrist,
        trial_id=trial.pk,
        expected_version=1,
        data=sertraline(dose_mg_per_day=Decimal(150), adherence="poor"),
    )

    trial.refresh_from_db()
    assert (trial.dose_mg_per_day, trial.adherence, trial.version) == (Decimal(150), "poor", 2)
    assert updated.version == 2
    event = trial_events(trial.pk)[-1]
    assert event.action == AuditAction.UPDATE
    assert event.changes == {
        "dose_mg_per_day": ["100", "150"],
        "adherence": ["Good (≥ 80 % of doses or sessions)", "Poor"],
    }
    assert event.object_version == 2


def test_trial_update_without_a_change_writes_nothing(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    trial_update(acting_user=psychiatrist, trial_id=trial.pk, expected_version=1, data=sertraline())
    trial.refresh_from_db()
    assert trial.version == 1
    assert len(trial_events(trial.pk)) == 1


def test_stale_trial_update_is_refused_listing_the_changes_and_saving_nothing(
    episode, psychiatrist, member
):
    colleague = member()
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    trial_update(
        acting_user=colleague,
        trial_id=trial.pk,
        expected_version=1,
        data=sertraline(dose_mg_per_day=Decimal(150)),
    )

    with pytest.raises(StaleEditError) as refused:
        trial_update(
            acting_user=psychiatrist,
            trial_id=trial.pk,
            expected_version=1,
            data=sertraline(weeks=Decimal(10)),
        )

    message = refused.value.messages[0]
    assert colleague.username in message
    assert "dose (mg/day) 100 → 150" in message
    assert "nothing was saved" in message
    assert [event.object_version for event in refused.value.events] == [2]
    trial.refresh_from_db()
    assert (trial.dose_mg_per_day, trial.weeks, trial.version) == (Decimal(150), Decimal(8), 2)
    assert len(trial_events(trial.pk)) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": START - datetime.timedelta(days=1)}, "end_date"),
        ({"start_date": timezone.localdate() + datetime.timedelta(days=1)}, "start_date"),
        ({"end_date": timezone.localdate() + datetime.timedelta(days=1)}, "end_date"),
        (
            {"last_confirmed_on": timezone.localdate() + datetime.timedelta(days=1)},
            "last_confirmed_on",
        ),
        ({"dose_mg_per_day": Decimal(0)}, "dose_mg_per_day"),
        ({"dose_mg_per_day": Decimal(-50)}, "dose_mg_per_day"),
        # Absurd: above 10 × the catalogue minimum (sertraline 50 mg/day).
        ({"dose_mg_per_day": Decimal("500.5")}, "dose_mg_per_day"),
        ({"dose_mg_per_day": Decimal("1e7")}, "dose_mg_per_day"),
        ({"agent": None, "agent_name": "zuranolone"}, "drug_class"),
        ({"kind": TrialKind.PSYCHOTHERAPY, "agent": None, "sessions": -1}, "sessions"),
        ({"percent_symptom_reduction": Decimal("100.5")}, "percent_symptom_reduction"),
        ({"percent_symptom_reduction": Decimal(-101)}, "percent_symptom_reduction"),
        ({"weeks": Decimal(-1)}, "weeks"),
        (
            {
                "percent_symptom_reduction": None,
                "outcome_scale": "HAMD17",
                "outcome_baseline_score": Decimal(53),
                "outcome_end_score": Decimal(10),
            },
            "outcome_baseline_score",
        ),
        (
            {
                "outcome_scale": "HAMD17",
                "outcome_baseline_score": Decimal(20),
                "outcome_end_score": Decimal(10),
            },
            "percent_symptom_reduction",
        ),
        (
            {
                "percent_symptom_reduction": None,
                "outcome_baseline_score": Decimal(20),
                "outcome_end_score": Decimal(10),
            },
            "outcome_scale",
        ),
        ({"adherence": "sometimes"}, "adherence"),
        ({"code": "T" * 21}, "code"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bad_trial_input_names_the_field_and_writes_nothing(episode, psychiatrist, changes, field):
    with pytest.raises(ValidationError) as refused:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline(**changes))
    assert field in refused.value.message_dict
    assert not TreatmentTrial.objects.exists()
    assert not AuditEvent.objects.exists()


def test_dose_exactly_ten_times_the_minimum_is_accepted(episode, psychiatrist):
    trial = trial_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        data=sertraline(dose_mg_per_day=Decimal(500)),
    )
    assert trial.dose_mg_per_day == Decimal(500)


def test_liothyronine_entered_in_micrograms_is_caught_as_an_absurd_dose(episode, psychiatrist):
    base = TrialFactory(episode=episode)
    data = TrialInput(
        kind=TrialKind.AUGMENTATION,
        start_date=START,
        agent=builtin_agent("liothyronine"),
        dose_mg_per_day=Decimal(25),
        weeks=Decimal(6),
        augments=base,
    )
    with pytest.raises(ValidationError) as refused:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    [message] = refused.value.message_dict["dose_mg_per_day"]
    assert "25 µg is 0.025" in message


def test_implausible_lithium_level_is_refused(episode, psychiatrist):
    data = TrialInput(
        kind=TrialKind.AUGMENTATION,
        start_date=START,
        agent=builtin_agent("lithium"),
        dose_mg_per_day=Decimal(800),
        serum_level_mmol_per_l=Decimal("3.5"),
        weeks=Decimal(6),
    )
    with pytest.raises(ValidationError) as refused:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    assert "serum_level_mmol_per_l" in refused.value.message_dict
    assert not TreatmentTrial.objects.exists()


def test_trial_before_the_episode_onset_offers_marking_it_as_an_earlier_episode(
    episode, psychiatrist
):
    before = ONSET - datetime.timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        trial_record(
            acting_user=psychiatrist, episode_id=episode.pk, data=sertraline(start_date=before)
        )
    [error] = refused.value.error_dict["start_date"]
    assert error.code == TRIAL_BEFORE_ONSET_CODE
    assert "earlier episode" in error.messages[0]

    trial = trial_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        data=sertraline(start_date=before, in_previous_episode=True),
    )
    assert trial.in_previous_episode


def test_every_error_of_one_trial_is_reported_at_once(episode, psychiatrist):
    data = sertraline(
        dose_mg_per_day=Decimal(0), weeks=Decimal(-2), percent_symptom_reduction=Decimal(300)
    )
    with pytest.raises(ValidationError) as refused:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    assert {"dose_mg_per_day", "weeks", "percent_symptom_reduction"} <= set(
        refused.value.message_dict
    )


def test_agent_of_another_clinic_cannot_be_recorded(episode, psychiatrist, other_clinic):
    foreign = AgentFactory(clinic=other_clinic)
    with pytest.raises(ValidationError) as refused:
        trial_record(
            acting_user=psychiatrist, episode_id=episode.pk, data=sertraline(agent=foreign)
        )
    assert "agent" in refused.value.message_dict


def test_a_trial_is_added_only_to_a_trial_of_the_same_episode(episode, psychiatrist):
    earlier = EpisodeFactory(
        patient=episode.patient,
        onset_date=ONSET.replace(year=2019),
        end_date=ONSET.replace(year=2020),
    )
    elsewhere = TrialFactory(episode=earlier, start_date=ONSET.replace(year=2019))
    with pytest.raises(ValidationError) as refused:
        trial_record(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            data=sertraline(kind=TrialKind.COMBINATION, augments=elsewhere),
        )
    assert "augments" in refused.value.message_dict


def test_trial_ids_are_unique_for_the_patient(episode, psychiatrist):
    TrialFactory(episode=episode, code="T7")
    with pytest.raises(ValidationError) as refused:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline(code="T7"))
    assert "code" in refused.value.message_dict


def test_outcome_scores_give_the_percent_reduction(episode, psychiatrist):
    trial = trial_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        data=sertraline(
            percent_symptom_reduction=None,
            outcome_scale="HAMD17",
            outcome_baseline_score=Decimal(24),
            outcome_end_score=Decimal(18),
        ),
    )
    assert trial.percent_reduction == 25.0


def test_trial_delete_removes_the_trial_and_audits_its_last_values(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    trial_delete(acting_user=psychiatrist, trial_id=trial.pk, expected_version=1)
    assert not TreatmentTrial.objects.filter(pk=trial.pk).exists()
    event = trial_events(trial.pk)[-1]
    assert event.action == AuditAction.DELETE
    assert event.changes["dose_mg_per_day"] == ["100", None]


def test_stale_delete_is_refused(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    trial_update(
        acting_user=psychiatrist,
        trial_id=trial.pk,
        expected_version=1,
        data=sertraline(weeks=Decimal(9)),
    )
    with pytest.raises(StaleEditError):
        trial_delete(acting_user=psychiatrist, trial_id=trial.pk, expected_version=1)
    assert TreatmentTrial.objects.filter(pk=trial.pk).exists()


def test_a_trial_others_were_added_to_is_not_deleted(episode, psychiatrist):
    base = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    trial_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        data=TrialInput(
            kind=TrialKind.AUGMENTATION,
            start_date=START + datetime.timedelta(weeks=6),
            agent=builtin_agent("aripiprazole"),
            dose_mg_per_day=Decimal(5),
            weeks=Decimal(6),
            augments=base,
        ),
    )
    with pytest.raises(ValidationError, match="T2 added to this trial"):
        trial_delete(acting_user=psychiatrist, trial_id=base.pk, expected_version=1)
    assert TreatmentTrial.objects.filter(pk=base.pk).exists()


def test_adequacy_override_is_kept_beside_the_computed_value_and_audited(episode, psychiatrist):
    trial = trial_record(
        acting_user=psychiatrist, episode_id=episode.pk, data=sertraline(weeks=Decimal(5))
    )
    trial_adequacy_override(
        acting_user=psychiatrist,
        trial_id=trial.pk,
        expected_version=1,
        adequate=True,
        reason="Pharmacy records show 6 weeks at 100 mg; the letter said 5.",
    )
    trial.refresh_from_db()
    assert trial.override_adequate is True
    assert (trial.override_by, trial.version) == (psychiatrist, 2)
    assert trial.weeks == Decimal(5)  # the recorded values stay as they were
    event = trial_events(trial.pk)[-1]
    assert event.action == AuditAction.OVERRIDE
    assert event.changes["override_adequate"] == [None, "yes"]
    assert event.changes["override_reason"][1].startswith("Pharmacy records")

    trial_adequacy_override_clear(acting_user=psychiatrist, trial_id=trial.pk, expected_version=2)
    trial.refresh_from_db()
    assert (trial.override_adequate, trial.override_reason, trial.override_by) == (None, "", None)
    event = trial_events(trial.pk)[-1]
    assert event.action == AuditAction.OVERRIDE_CLEAR
    assert event.changes["override_adequate"] == ["yes", None]


def test_adequacy_override_needs_a_reason(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())
    with pytest.raises(ValidationError) as refused:
        trial_adequacy_override(
            acting_user=psychiatrist,
            trial_id=trial.pk,
            expected_version=1,
            adequate=False,
            reason="  ",
        )
    assert "override_reason" in refused.value.message_dict
    trial.refresh_from_db()
    assert trial.override_adequate is None
    assert len(trial_events(trial.pk)) == 1


def test_user_of_another_clinic_gets_404(episode, stranger):
    trial = TrialFactory(episode=episode)
    with pytest.raises(Http404):
        trial_record(acting_user=stranger, episode_id=episode.pk, data=sertraline())
    with pytest.raises(Http404):
        trial_update(acting_user=stranger, trial_id=trial.pk, expected_version=1, data=sertraline())
    with pytest.raises(Http404):
        trial_delete(acting_user=stranger, trial_id=trial.pk, expected_version=1)
    assert TreatmentTrial.objects.count() == 1


@pytest.mark.parametrize("role_fixture", ["supervisor", "clinic_admin"])
def test_role_without_the_edit_permission_gets_permission_denied(episode, role_fixture, request):
    user = request.getfixturevalue(role_fixture)
    trial = TrialFactory(episode=episode)
    with pytest.raises(PermissionDenied):
        trial_record(acting_user=user, episode_id=episode.pk, data=sertraline())
    with pytest.raises(PermissionDenied):
        trial_adequacy_override(
            acting_user=user, trial_id=trial.pk, expected_version=1, adequate=True, reason="x"
        )
    assert not AuditEvent.objects.exists()


def test_a_deleted_trials_number_is_never_given_again(episode, psychiatrist):
    def record() -> TreatmentTrial:
        return trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=sertraline())

    first, second = record(), record()
    trial_delete(acting_user=psychiatrist, trial_id=second.pk, expected_version=1)
    third, fourth = record(), record()
    assert (first.code, second.code, third.code, fourth.code) == ("T1", "T2", "T3", "T4")
    trial_delete(acting_user=psychiatrist, trial_id=fourth.pk, expected_version=1)
    trial_delete(acting_user=psychiatrist, trial_id=third.pk, expected_version=1)
    assert record().code == "T5"
