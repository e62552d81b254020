"""Treatment trials: record, correct, delete, and the clinician's adequacy override.

The shape of a trial (dates in order, dose above 0, percent within ±100 …) is the model's; the
rules here look beyond one row: the episode's onset, the catalogue's minimum dose, the other
trials of the patient, today's date. Adequacy itself is never computed here: staging/ does it.
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from records.access import Permission
from records.audit import (
    audit_event,
    audit_events_write,
    created,
    deleted,
    field_changes,
    snapshot,
)
from records.dose_steps import StepEntry, weeks_beyond_dates, weeks_short_of_dates
from records.history_rows import any_of
from records.models import Agent, AuditAction, AuditEvent, Episode, Patient, TreatmentTrial
from records.statements import Statement

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
    model_errors_added,
    non_field,
    today,
    validate,
)
from .episodes import EPISODE_NOT_FOUND, EPISODE_WITH_PATIENT

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import Field
    from django.db.models.options import Options

    from .common import Actor

# A data-entry guard, not a clinical rule: no catalogued agent is given anywhere near ten times
# its minimum adequate dose, while a unit slip (µg for mg, a missing decimal point) lands far
# above it. Applies where the catalogue gives a minimum in mg/day.
ABSURD_DOSE_FACTOR = 10

WEEKS_BEYOND_COURSE = (
    "{weeks} weeks at dose is longer than the course ({course} weeks from {start} to {end}): "
    "check the weeks or the dates."
)
WEEKS_SHORT_OF_COURSE = (
    "The dates give {course} weeks; {weeks} weeks at dose is more than a week fewer: say why "
    "(e.g. a gap in treatment), or leave the weeks empty to count them from the dates."
)
TRIAL_NOT_FOUND = "No such trial in your clinic."
# The form turns this code into the offer "mark as given in an earlier episode".
TRIAL_BEFORE_ONSET_CODE = "before_episode_onset"
TRIAL_BEFORE_ONSET = (
    "This trial started before the episode's onset ({onset}). If it belongs to an earlier "
    "episode, mark it as given in an earlier episode."
)
ABSURD_DOSE = (
    "{dose} mg/day is more than {factor} × the minimum adequate dose of {agent} "
    "({minimum} mg/day): check the dose and its unit."
)
MICROGRAM_HINT = " Doses are entered in mg: 25 µg is 0.025."
AGENT_NOT_AVAILABLE = "This agent is not in your clinic's catalogue."
AUGMENTS_OTHER_EPISODE = "The trial it was added to must belong to the same episode."
CODE_TAKEN = "This patient already has a trial {code}."
SEQ_TAKEN = "Another trial of this episode has sequence number {seq}."
TRIAL_STILL_STRENGTHENED = "{trials} added to this trial: change or delete them first."

TRIAL_FIELDS = (
    "code",
    "seq",
    "kind",
    "in_previous_episode",
    "agent",
    "agent_name",
    "drug_class",
    "dose_mg_per_day",
    "dose_mg_per_session",
    "serum_level_mmol_per_l",
    "start_date",
    "end_date",
    "weeks",
    "weeks_reason",
    "dose_steps",
    "sessions",
    "electrode_placement",
    "therapy_type",
    "therapist_trained",
    "adherence",
    "percent_symptom_reduction",
    "outcome_scale",
    "outcome_baseline_score",
    "outcome_end_score",
    "outcome",
    "reason_stopped",
    "notes",
    "augments",
    "information_source",
    "prospective",
    "last_confirmed_on",
    "dose_optimised",
    "duration_extended",
)
OVERRIDE_FIELDS = ("override_adequate", "override_reason", "override_by", "override_at")


@dataclass(frozen=True, kw_only=True)
class TrialInput:
    """One treatment course as a form or an import gives it; blank text means not recorded.

    `code` and `seq` may be left out: a new trial gets the next sequence number and the id
    T<seq>, and an edit keeps its own.
    """

    kind: str
    start_date: datetime.date
    code: str = ""
    seq: int | None = None
    in_previous_episode: bool = False
    agent: Agent | None = None
    agent_name: str = ""
    drug_class: str = ""
    dose_mg_per_day: Decimal | None = None
    dose_mg_per_session: Decimal | None = None
    serum_level_mmol_per_l: Decimal | None = None
    end_date: datetime.date | None = None
    weeks: Decimal | None = None
    weeks_reason: str = ""
    dose_steps: tuple[StepEntry, ...] = ()
    sessions: int | None = None
    electrode_placement: str = ""
    therapy_type: str = ""
    therapist_trained: bool | None = None
    adherence: str = ""
    percent_symptom_reduction: Decimal | None = None
    outcome_scale: str = ""
    outcome_baseline_score: Decimal | None = None
    outcome_end_score: Decimal | None = None
    outcome: str = ""
    reason_stopped: str = ""
    notes: str = ""
    augments: TreatmentTrial | None = None
    information_source: str = ""
    prospective: bool | None = None
    last_confirmed_on: datetime.date | None = None
    dose_optimised: bool | None = None
    duration_extended: bool | None = None


def apply_input(trial: TreatmentTrial, data: TrialInput) -> None:
    """Copy the input onto the trial; a blank code or missing seq keeps the trial's own."""
    for name in TRIAL_FIELDS:
        value = getattr(data, name)
        if name in {"code", "seq"} and value in ("", None):
            continue
        if isinstance(value, str):
            value = value.strip()
        if name == "dose_steps":
            value = [_step_json(step) for step in value]
        setattr(trial, name, value)


def _step_json(step: StepEntry) -> dict[str, str | None]:
    """Return a step as the trial row keeps it: decimals and dates as text, exact."""
    return {
        "dose_mg_per_day": f"{step.dose_mg_per_day.normalize():f}",
        "start_date": None if step.start_date is None else step.start_date.isoformat(),
        "weeks": None if step.weeks is None else f"{step.weeks.normalize():f}",
    }


def _weeks_errors(errors: Errors, trial: TreatmentTrial) -> None:
    """Refuse weeks at dose longer than the dates allow; fewer by over a week need a reason."""
    start, end, weeks = trial.start_date, trial.end_date, trial.weeks
    if weeks is None or start is None or end is None:
        return
    course = f"{(end - start).days / 7:.1f}".removesuffix(".0")
    if weeks_short_of_dates(weeks, start, end) and not trial.weeks_reason.strip():
        message = WEEKS_SHORT_OF_COURSE.format(weeks=f"{weeks.normalize():f}", course=course)
        add_error(errors, "weeks_reason", message, "weeks_short_of_course")
    if weeks_beyond_dates(weeks, start, end):
        message = WEEKS_BEYOND_COURSE.format(
            weeks=f"{weeks.normalize():f}",
            course=course,
            start=start.strftime("%-d %b %Y"),
            end=end.strftime("%-d %b %Y"),
        )
        add_error(errors, "weeks", message, "weeks_beyond_course")


# The relations of a trial whose rows the rules' one statement reads.
LOOKED_UP = ("episode", "agent", "augments")
# The episode's two unique constraints: what the rules check of the trial's id (across the
# patient's episodes) and sequence number, with their own messages.
UNIQUE_BY_RULES = ("trial_code_unique_in_episode", "trial_seq_unique_in_episode")


@dataclass(frozen=True)
class _Lookups:
    """What the rules' one statement found: ids taken, related rows that exist."""

    code_taken: bool
    seq_taken: bool
    found: frozenset[str]


@cache
def _lookups_sql() -> str:
    """Return the rules' lookups as one statement, written once a process from the models.

    Each is what its queryset or Django's foreign key validation asks (`exists()` of the
    same condition): the id taken by another trial of the patient, the sequence number by
    another trial of the episode, and whether the episode, agent and added-to trial exist.
    """
    quote = connection.ops.quote_name
    trial, episode, agent = TreatmentTrial._meta, Episode._meta, Agent._meta

    def column(meta: "Options[Any]", name: str) -> str:
        field = cast("Field[Any, Any]", meta.get_field(name))
        return f"{quote(meta.db_table)}.{quote(str(field.column))}"

    trials, episodes, agents = (quote(meta.db_table) for meta in (trial, episode, agent))
    other = f"{column(trial, 'id')} IS DISTINCT FROM %s"
    # Names from the models' metadata only; every value is a parameter.
    return (
        f"SELECT EXISTS (SELECT 1 FROM {trials} JOIN {episodes} "  # noqa: S608  # nosec B608
        f"ON {column(episode, 'id')} = {column(trial, 'episode')} "
        f"WHERE {column(episode, 'patient')} = %s AND {column(trial, 'code')} = %s AND {other}), "
        f"EXISTS (SELECT 1 FROM {trials} WHERE {column(trial, 'episode')} = %s "
        f"AND {column(trial, 'seq')} = %s AND {other}), "
        f"EXISTS (SELECT 1 FROM {episodes} WHERE {column(episode, 'id')} = %s), "
        f"EXISTS (SELECT 1 FROM {agents} WHERE {column(agent, 'id')} = %s), "
        f"EXISTS (SELECT 1 FROM {trials} WHERE {column(trial, 'id')} = %s)"
    )


def _looked_up(trial: TreatmentTrial, episode: Episode, patient: Patient) -> _Lookups:
    """Return whether the trial's id and sequence are taken and which related rows exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            _lookups_sql(),
            [
                patient.pk,
                trial.code,
                trial.pk,
                episode.pk,
                trial.seq,
                trial.pk,
                trial.episode_id,
                trial.agent_id,
                trial.augments_id,
            ],
        )
        code_taken, seq_taken, *exist = cursor.fetchone()
    found = frozenset(
        name
        for name, exists in zip(LOOKED_UP, exist, strict=True)
        if exists and getattr(trial, f"{name}_id") is not None
    )
    return _Lookups(code_taken, seq_taken, found)


def _rule_errors(
    trial: TreatmentTrial, episode: Episode, patient: Patient
) -> tuple[Errors, _Lookups | None]:
    errors: Errors = {}
    future_date_errors(
        errors,
        {
            "start_date": trial.start_date,
            "end_date": trial.end_date,
            "last_confirmed_on": trial.last_confirmed_on,
        },
        on=today(),
    )
    if (
        trial.start_date is not None
        and not trial.in_previous_episode
        and trial.start_date < episode.onset_date
    ):
        message = TRIAL_BEFORE_ONSET.format(onset=episode.onset_date.isoformat())
        add_error(errors, "start_date", message, TRIAL_BEFORE_ONSET_CODE)
    _weeks_errors(errors, trial)
    agent = trial.agent
    if agent is not None:
        if agent.clinic_id not in (None, patient.clinic_id):
            add_error(errors, "agent", AGENT_NOT_AVAILABLE, "agent_not_available")
        minimum = agent.minimum_dose_mg_per_day
        dose = trial.dose_mg_per_day
        if minimum is not None and dose is not None and dose > ABSURD_DOSE_FACTOR * minimum:
            message = ABSURD_DOSE.format(
                dose=f"{dose.normalize():f}",
                factor=ABSURD_DOSE_FACTOR,
                agent=agent.name,
                minimum=f"{minimum.normalize():f}",
            )
            if minimum < 1:
                # Agents dosed in micrograms are where the unit slips.
                message += MICROGRAM_HINT
            add_error(errors, "dose_mg_per_day", message, "absurd_dose")
    augments = trial.augments
    if augments is not None and augments.episode_id != episode.pk:
        add_error(errors, "augments", AUGMENTS_OTHER_EPISODE, "augments_other_episode")
    if not trial.code and trial.seq is None:
        # The CSV import checks ids and sequence numbers for the whole file instead.
        return errors, None
    lookups = _looked_up(trial, episode, patient)
    if trial.code and lookups.code_taken:
        add_error(errors, "code", CODE_TAKEN.format(code=trial.code), "code_taken")
    if trial.seq is not None and lookups.seq_taken:
        add_error(errors, "seq", SEQ_TAKEN.format(seq=trial.seq), "seq_taken")
    return errors, lookups


def trial_rule_errors(trial: TreatmentTrial, *, episode: Episode, patient: Patient) -> Errors:
    """Return the errors of the rules that look beyond the trial's own fields."""
    return _rule_errors(trial, episode, patient)[0]


def _model_errors(
    trial: TreatmentTrial, errors: Errors, lookups: _Lookups | None, exclude: Collection[str]
) -> Errors:
    """Add the model's own errors to the rules', not reading again what the rules read."""
    if lookups is None:
        return model_errors_added(trial, errors, exclude=exclude)
    if trial.code and trial.seq is not None and "episode" in lookups.found:
        # The rules just checked what the episode's two unique constraints check, the only
        # constraints naming it (tests/integration/records/test_trial_lookups.py).
        exclude = [*exclude, "episode"]
    # The rows the statement found are not read again; the constraints naming them still run.
    return model_errors_added(trial, errors, exclude=exclude, found=lookups.found)


def trial_errors(
    trial: TreatmentTrial, *, episode: Episode, patient: Patient, exclude: Collection[str] = ()
) -> Errors:
    """Return the rules' errors and the model's own (the fields in `exclude` not validated)."""
    errors, lookups = _rule_errors(trial, episode, patient)
    return _model_errors(trial, errors, lookups, exclude)


def validate_trial(trial: TreatmentTrial, *, episode: Episode, patient: Patient) -> None:
    """Raise every field error of the trial at once: its own shape and the wider rules."""
    errors, lookups = _rule_errors(trial, episode, patient)
    # A field the rules already faulted is not validated twice (no duplicate messages).
    if _model_errors(trial, errors, lookups, exclude=list(errors)):
        raise ValidationError(errors)


_HIGHEST_SEQ = Statement(
    lambda ids: (
        TreatmentTrial.objects.filter(any_of("episode_id", ids))
        .order_by("-seq")
        .values_list("seq", flat=True)[:1]
    )
)
_PATIENT_CODES = Statement(
    lambda ids: TreatmentTrial.objects.filter(any_of("episode__patient_id", ids)).values_list(
        "code", flat=True
    )
)
# A deleted trial's id stays in the change history, so it is never given again.
_CREATED_CODES = Statement(
    lambda ids: AuditEvent.objects.filter(
        any_of("patient_id", ids), object_type=ObjectType.TRIAL, action=AuditAction.CREATE
    ).values_list("changes__code__1", flat=True)
)


def _number_trial(trial: TreatmentTrial, episode: Episode, patient: Patient) -> None:
    """Give a new trial the next sequence number and an id T<n> the patient never had."""
    if trial.seq is None:
        highest = _HIGHEST_SEQ.rows([episode.pk])
        trial.seq = (highest[0] if highest else 0) + 1
    if not trial.code:
        taken = set(_PATIENT_CODES.rows([patient.pk]))
        taken.update(_CREATED_CODES.rows([patient.pk]))
        number = trial.seq
        while f"T{number}" in taken:
            number += 1
        trial.code = f"T{number}"


def trial_audit_event(
    user: "User | None",
    trial: TreatmentTrial,
    patient: Patient,
    action: AuditAction,
    changes: dict[str, list[str | None]],
) -> AuditEvent:
    """Return the audit event of a change to the trial, not yet written (imports write many)."""
    return audit_event(
        actor=user,
        action=action,
        object_type=ObjectType.TRIAL,
        object_id=trial.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes=changes,
        object_version=trial.version,
    )


def _audit(
    user: "User",
    trial: TreatmentTrial,
    patient: Patient,
    action: AuditAction,
    changes: dict[str, list[str | None]],
) -> None:
    """Append the audit event of a change to the trial, inside the change's transaction."""
    audit_events_write([trial_audit_event(user, trial, patient, action, changes)])


def trial_record(*, acting_user: "Actor", episode_id: int, data: TrialInput) -> TreatmentTrial:
    """Record a treatment trial in the episode."""
    with transaction.atomic():
        episode = found_by(EPISODE_WITH_PATIENT, episode_id, not_found=EPISODE_NOT_FOUND)
        patient = episode.patient
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=EPISODE_NOT_FOUND,
        ).user
        # Serialises the numbering and the id check across the patient's episodes.
        lock_patient(patient.pk)
        trial = TreatmentTrial(episode=episode, created_by=user, updated_by=user)
        apply_input(trial, data)
        _number_trial(trial, episode, patient)
        validate_trial(trial, episode=episode, patient=patient)
        trial.save()
        _audit(user, trial, patient, AuditAction.CREATE, created(snapshot(trial, TRIAL_FIELDS)))
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return trial


_TRIAL = Statement(
    lambda ids: TreatmentTrial.objects.select_related("episode__patient").filter(any_of("pk", ids))
)
_LOCKED_TRIAL = Statement(
    lambda ids: (
        TreatmentTrial.objects.select_related("episode__patient")
        .select_for_update(of=("self",))
        .filter(any_of("pk", ids))
    )
)


def _for_edit(acting_user: "Actor", trial_id: int) -> tuple["User", TreatmentTrial]:
    trial = found_by(_TRIAL, trial_id, not_found=TRIAL_NOT_FOUND)
    user = authorise(
        acting_user,
        trial.episode.patient.clinic_id,
        Permission.EDIT_CLINICAL_DATA,
        not_found=TRIAL_NOT_FOUND,
    ).user
    lock_patient(trial.episode.patient_id)
    return user, found_by(_LOCKED_TRIAL, trial_id, not_found=TRIAL_NOT_FOUND)


def _check_version(trial: TreatmentTrial, expected_version: int) -> None:
    check_version(
        trial,
        expected_version=expected_version,
        object_type=ObjectType.TRIAL,
        thing=f"Trial {trial.code}",
    )


def trial_update(
    *, acting_user: "Actor", trial_id: int, expected_version: int, data: TrialInput
) -> TreatmentTrial:
    """Correct a treatment trial, refusing a stale edit."""
    with transaction.atomic():
        user, trial = _for_edit(acting_user, trial_id)
        _check_version(trial, expected_version)
        episode = trial.episode
        before = snapshot(trial, TRIAL_FIELDS)
        apply_input(trial, data)
        validate_trial(trial, episode=episode, patient=episode.patient)
        changes = field_changes(before, snapshot(trial, TRIAL_FIELDS))
        if not changes:
            return trial
        trial.version += 1
        trial.updated_by = user
        trial.save(update_fields=[*TRIAL_FIELDS, "version", "updated_by", "updated_at"])
        _audit(user, trial, episode.patient, AuditAction.UPDATE, changes)
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return trial


def trial_delete(*, acting_user: "Actor", trial_id: int, expected_version: int) -> None:
    """Delete a trial entered in error, refusing a stale delete or one others are added to."""
    with transaction.atomic():
        user, trial = _for_edit(acting_user, trial_id)
        _check_version(trial, expected_version)
        added = list(trial.strengthened_by.values_list("code", flat=True))
        if added:
            message = TRIAL_STILL_STRENGTHENED.format(trials=", ".join(added))
            raise non_field(message, "trial_strengthened")
        changes = deleted(snapshot(trial, TRIAL_FIELDS))
        _audit(user, trial, trial.episode.patient, AuditAction.DELETE, changes)
        trial.delete()
        episode_changed(episode_ids=[trial.episode.pk], acting_user=user)


def trial_adequacy_override(
    *, acting_user: "Actor", trial_id: int, expected_version: int, adequate: bool, reason: str
) -> TreatmentTrial:
    """Record the clinician's judgement of adequacy beside the computed one, with the reason."""
    with transaction.atomic():
        user, trial = _for_edit(acting_user, trial_id)
        _check_version(trial, expected_version)
        before = snapshot(trial, OVERRIDE_FIELDS)
        trial.override_adequate = adequate
        trial.override_reason = reason.strip()
        trial.override_by = user
        trial.override_at = timezone.now()
        validate(trial, {})
        return _save_override(user, trial, before, AuditAction.OVERRIDE)


def trial_adequacy_override_clear(
    *, acting_user: "Actor", trial_id: int, expected_version: int
) -> TreatmentTrial:
    """Remove the clinician's adequacy override: the computed adequacy stands alone again."""
    with transaction.atomic():
        user, trial = _for_edit(acting_user, trial_id)
        _check_version(trial, expected_version)
        if trial.override_adequate is None:
            return trial
        before = snapshot(trial, OVERRIDE_FIELDS)
        trial.override_adequate = None
        trial.override_reason = ""
        trial.override_by = None
        trial.override_at = None
        return _save_override(user, trial, before, AuditAction.OVERRIDE_CLEAR)


def _save_override(
    user: "User",
    trial: TreatmentTrial,
    before: dict[str, str | None],
    action: AuditAction,
) -> TreatmentTrial:
    changes = field_changes(before, snapshot(trial, OVERRIDE_FIELDS))
    trial.version += 1
    trial.updated_by = user
    trial.save(update_fields=[*OVERRIDE_FIELDS, "version", "updated_by", "updated_at"])
    _audit(user, trial, trial.episode.patient, action, changes)
    episode_changed(episode_ids=[trial.episode_id], acting_user=user)
    return trial
