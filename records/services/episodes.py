"""Episodes: the current major depressive episode and earlier ones, with their baseline."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from records.access import PATIENT_NOT_FOUND_MESSAGE, Permission
from records.audit import audit_event_write, created, field_changes, snapshot
from records.history import default_params
from records.history_rows import any_of
from records.models import AuditAction, ClinicStagingDefaults, Episode, Patient, TreatmentTrial
from records.models.staging_defaults import own_parameters, own_parameters_text
from records.statements import Statement
from staging.history import Params

from .changes import episode_changed
from .common import (
    Errors,
    ObjectType,
    add_error,
    authorise,
    check_version,
    found_by,
    future_date_errors,
    lock_patient,
    today,
    validate,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .common import Actor

EPISODE_NOT_FOUND = "No such episode in your clinic."
ANOTHER_CURRENT_EPISODE = (
    "This patient already has a current episode (onset {onset}): give this one an end date, "
    "or end the current episode first."
)
TRIALS_BEFORE_ONSET = (
    "{trials} started before this onset: mark them as given in an earlier episode, or choose an "
    "earlier onset."
)

EPISODE_FIELDS = (
    "onset_date",
    "end_date",
    "psychotic_features",
    "mde_criteria_met",
    "baseline_severity_category",
    "baseline_scale",
    "baseline_score",
    "functional_impairment",
    "comorbid_anxiety",
    "personality_disorder",
    "psychosocial_stressors",
)


@dataclass(frozen=True, kw_only=True)
class EpisodeInput:
    """An episode's dates, baseline severity and DM-TRD context items (blank = not recorded)."""

    onset_date: datetime.date
    end_date: datetime.date | None = None
    psychotic_features: bool = False
    mde_criteria_met: bool | None = None
    baseline_severity_category: str = ""
    baseline_scale: str = ""
    baseline_score: Decimal | None = None
    functional_impairment: str = ""
    comorbid_anxiety: str = ""
    personality_disorder: str = ""
    psychosocial_stressors: str = ""


def _apply(episode: Episode, data: EpisodeInput) -> None:
    for name in EPISODE_FIELDS:
        setattr(episode, name, getattr(data, name))


# A patient's episodes without an end, latest first (the model's order; one holds by constraint).
_CURRENT_EPISODES = Statement(
    lambda ids: Episode.objects.filter(any_of("patient_id", ids), end_date__isnull=True)
)
# An episode's trials given in it (not in an earlier one), in the model's order.
_CURRENT_TRIALS = Statement(
    lambda ids: TreatmentTrial.objects.filter(
        any_of("episode_id", ids), in_previous_episode=False
    ).values_list("code", "start_date")
)


def episode_rule_errors(episode: Episode) -> Errors:
    """Return the errors of the rules that look beyond the episode's own fields."""
    errors: Errors = {}
    future_date_errors(
        errors, {"onset_date": episode.onset_date, "end_date": episode.end_date}, on=today()
    )
    if episode.end_date is None:
        current = next(
            (
                other
                for other in _CURRENT_EPISODES.rows([episode.patient_id])
                if other.pk != episode.pk
            ),
            None,
        )
        if current is not None:
            message = ANOTHER_CURRENT_EPISODE.format(onset=current.onset_date.isoformat())
            add_error(errors, "end_date", message, "another_current_episode")
    if episode.pk is not None and episode.onset_date is not None:
        early = [
            code for code, start in _CURRENT_TRIALS.rows([episode.pk]) if start < episode.onset_date
        ]
        if early:
            message = TRIALS_BEFORE_ONSET.format(trials=", ".join(early))
            add_error(errors, "onset_date", message, "trials_before_onset")
    return errors


_PATIENT = Statement(lambda ids: Patient.objects.filter(any_of("pk", ids)))
# An episode with its patient, as the episode and trial services read it before authorising.
EPISODE_WITH_PATIENT = Statement(
    lambda ids: Episode.objects.select_related("patient").filter(any_of("pk", ids))
)
_LOCKED_EPISODE = Statement(
    lambda ids: (
        Episode.objects.select_related("patient")
        .select_for_update(of=("self",))
        .filter(any_of("pk", ids))
    )
)


def _episode_for_edit(acting_user: "Actor", episode_id: int) -> tuple["User", Episode]:
    episode = found_by(EPISODE_WITH_PATIENT, episode_id, not_found=EPISODE_NOT_FOUND)
    user = authorise(
        acting_user,
        episode.patient.clinic_id,
        Permission.EDIT_CLINICAL_DATA,
        not_found=EPISODE_NOT_FOUND,
    ).user
    lock_patient(episode.patient_id)
    return user, found_by(_LOCKED_EPISODE, episode_id, not_found=EPISODE_NOT_FOUND)


def episode_create(*, acting_user: "Actor", patient_id: int, data: EpisodeInput) -> Episode:
    """Record an episode of the patient."""
    with transaction.atomic():
        patient = found_by(_PATIENT, patient_id, not_found=PATIENT_NOT_FOUND_MESSAGE)
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=PATIENT_NOT_FOUND_MESSAGE,
        ).user
        # The patient's row lock serialises the "one current episode" check.
        lock_patient(patient.pk)
        episode = Episode(patient=patient, created_by=user, updated_by=user)
        _apply(episode, data)
        # The patient was read and locked above: its row is not read again.
        validate(episode, episode_rule_errors(episode), found=["patient"])
        episode.save()
        audit_event_write(
            actor=user,
            action=AuditAction.CREATE,
            object_type=ObjectType.EPISODE,
            object_id=episode.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes=created(snapshot(episode, EPISODE_FIELDS)),
            object_version=episode.version,
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return episode


def episode_update(
    *, acting_user: "Actor", episode_id: int, expected_version: int, data: EpisodeInput
) -> Episode:
    """Change an episode, refusing a stale edit."""
    with transaction.atomic():
        user, episode = _episode_for_edit(acting_user, episode_id)
        patient = episode.patient
        check_version(
            episode,
            expected_version=expected_version,
            object_type=ObjectType.EPISODE,
            thing="This episode",
        )
        before = snapshot(episode, EPISODE_FIELDS)
        _apply(episode, data)
        # The patient was read and locked above: its row is not read again.
        validate(episode, episode_rule_errors(episode), found=["patient"])
        changes = field_changes(before, snapshot(episode, EPISODE_FIELDS))
        if not changes:
            return episode
        episode.version += 1
        episode.updated_by = user
        episode.save(update_fields=[*EPISODE_FIELDS, "version", "updated_by", "updated_at"])
        audit_event_write(
            actor=user,
            action=AuditAction.UPDATE,
            object_type=ObjectType.EPISODE,
            object_id=episode.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes=changes,
            object_version=episode.version,
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return episode


def episode_staging_parameters_update(
    *, acting_user: "Actor", episode_id: int, expected_version: int, data: Params
) -> Episode:
    """Set the parameters an episode is staged with (psychiatrists); audited, flags refreshed.

    Only the values that differ from the clinic's defaults are kept as the episode's own, so
    the clinic's defaults given back return the episode to them.
    """
    with transaction.atomic():
        user, episode = _episode_for_edit(acting_user, episode_id)
        patient = episode.patient
        check_version(
            episode,
            expected_version=expected_version,
            object_type=ObjectType.EPISODE,
            thing="This episode",
        )
        # The clinic settings' own checks, so each error sits beside its field.
        checked = ClinicStagingDefaults(clinic_id=patient.clinic_id)
        checked.apply(data)
        validate(checked, {}, exclude=["clinic"])
        before = own_parameters_text(episode.staging_parameters)
        episode.staging_parameters = own_parameters(data, default_params(patient.clinic))
        validate(episode, {}, found=["patient"])
        after = own_parameters_text(episode.staging_parameters)
        if before == after:
            return episode
        episode.version += 1
        episode.updated_by = user
        episode.save(update_fields=["staging_parameters", "version", "updated_by", "updated_at"])
        audit_event_write(
            actor=user,
            action=AuditAction.UPDATE,
            object_type=ObjectType.EPISODE,
            object_id=episode.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes={"staging_parameters": [before, after]},
            object_version=episode.version,
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return episode
