"""Treatment histories as JSON (history-format.md; docs/history-json.md): export and import.

Both go through the adapter and staging's own reader and writer (staging/jsonio.py), so an
exported file stages exactly like the page, and an imported one is checked by the same rules
as `manage.py stage` before the model's rules.
"""

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from records import scales
from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.audit import audit_event, audit_event_write, audit_events_write, created, snapshot
from records.brands import generic_for_brand
from records.dose_steps import StepEntry
from records.history import default_params, episode_history, episode_params, scale_code_for_name
from records.history_rows import any_of
from records.models import Agent, AuditAction, Episode, Patient, TreatmentTrial
from records.models.staging_defaults import own_parameters, own_parameters_text
from records.services.changes import episode_changed
from records.services.common import (
    Errors,
    ObjectType,
    authorise,
    lock_patient,
    model_errors_added,
)
from records.services.episodes import EPISODE_FIELDS, episode_rule_errors
from records.services.trials import (
    TRIAL_FIELDS,
    TrialInput,
    apply_input,
    trial_audit_event,
    trial_errors,
)
from records.staging import OwnParameterRow, parameter_differences
from records.statements import Statement
from staging.catalogue import lookup_agent
from staging.history import History, Params, is_current
from staging.history import Trial as StagingTrial
from staging.jsonio import HistoryError, history_to_json, parse_history

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.services.common import Actor

NO_EPISODE = "This patient has no episode to export yet."
NOT_EXPORTABLE = "The history is not complete enough to export: {problem}"
DIAGNOSIS_DIFFERS = (
    "The history's diagnosis ({history}) differs from the patient's record ({patient}): "
    "correct the patient's diagnosis first if it has changed."
)
UNKNOWN_SCALE = "Unknown scale {scale!r}: one of {names}."
DUPLICATE_SEQ = "Another trial of this history has sequence number {seq}."
AUGMENTS_ITSELF = "A trial cannot be added to itself."
HUGE_NUMBER = (
    "A number of {digits} digits: no value of a treatment history needs more than {limit}."
)
NUL_CHARACTER = "Contains a NUL character, which cannot be stored: remove it."
LONE_SURROGATE = (
    "Contains an invalid character (an unpaired \\u escape of a surrogate), which cannot be "
    "stored: correct the text."
)
# Python refuses integers of more than 4,300 digits and floats stop at 309; no clinical value
# of a history has more than a few digits.
MAX_INTEGER_DIGITS = 100
SURROGATES = range(0xD800, 0xE000)
PREVIEW_INVALID = (
    "This import could not be verified, so nothing was imported: upload the file again."
)
PREVIEW_EXPIRED = (
    "This check is more than an hour old, so nothing was imported: upload the file again."
)
# As the CSV import's preview: long enough to read it, short enough not to import stale data.
PREVIEW_MAX_AGE_SECONDS = 60 * 60
UPLOAD_SALT = "records.exchange.history_upload"
# The dose steps of a titrated course ride beside the engines' (dose, weeks) pair in the file:
# the engines and `manage.py stage` read the pair, this import reads the steps back.
STEPS_KEY = "dose_steps"
STEPS_MALFORMED = (
    "Dose steps are a list of objects with dose_mg_per_day (above 0), and start_date "
    "(YYYY-MM-DD) or weeks (0 or more)."
)

# Where a model field lives in the JSON, so import errors name the field of the file.
EPISODE_KEYS = {
    "onset_date": "patient.episode_onset_date",
    "end_date": "patient",
    "psychotic_features": "patient.baseline_severity.psychotic_features",
    "baseline_severity_category": "patient.baseline_severity.category",
    "baseline_scale": "patient.baseline_severity.scale",
    "baseline_score": "patient.baseline_severity.score",
    "functional_impairment": "patient.functional_impairment",
    "comorbid_anxiety": "patient.comorbid_anxiety",
    "personality_disorder": "patient.personality_disorder",
    "psychosocial_stressors": "patient.psychosocial_stressors",
    "staging_parameters": "parameters",
    NON_FIELD_ERRORS: "patient",
}
TRIAL_KEYS = {
    "code": "id",
    "in_previous_episode": "episode",
    "agent_name": "agent",
    "drug_class": "class",
    "augments": "augments_trial",
    NON_FIELD_ERRORS: "",
}


def _trial_key(trial_id: str, field: str) -> str:
    where = f"trials[{trial_id.strip('[]')}]"
    name = TRIAL_KEYS.get(field, field)
    return f"{where}.{name}" if name else where


@dataclass(frozen=True)
class OversizedNumber:
    """An integer of the uploaded file too long to read; the import refuses it by name."""

    digits: int


def read_integer(text: str) -> int | OversizedNumber:
    """Read a JSON integer (json.loads's parse_int), keeping absurdly long ones as a marker."""
    digits = len(text.lstrip("-"))
    return OversizedNumber(digits) if digits > MAX_INTEGER_DIGITS else int(text)


def _unstorable(value: object) -> str | None:
    """Return why a decoded JSON value cannot be imported at all, if it cannot."""
    if isinstance(value, OversizedNumber):
        return HUGE_NUMBER.format(digits=value.digits, limit=MAX_INTEGER_DIGITS)
    if isinstance(value, str):
        if "\x00" in value:
            return NUL_CHARACTER
        if any(ord(character) in SURROGATES for character in value):
            return LONE_SURROGATE
    return None


def _values(document: object) -> Iterator[tuple[tuple[str, ...], object]]:
    """Yield every key and value of a decoded JSON document with its path (no recursion)."""
    stack: list[tuple[tuple[str, ...], object]] = [((), document)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            for key, inner in value.items():
                name = _path_name(str(key))
                yield (*path, name), key
                stack.append(((*path, name), inner))
        elif isinstance(value, list):
            stack.extend(((*path, str(position)), inner) for position, inner in enumerate(value))


def _path_name(key: str) -> str:
    """Return a key as an error may show it: escaped when it holds what cannot be shown."""
    return key if _unstorable(key) is None else key.encode("unicode_escape").decode("ascii")


def _unstorable_errors(data: Mapping[str, Any]) -> Errors:
    """Return a field error for each value no history may hold (huge integer, NUL, surrogate).

    Checked before the history is read, so such a value never reaches the engines, the
    database or an error message; each error names the trial (by id) and the field.
    """
    errors: Errors = {}
    trials = data.get("trials")
    for path, value in _values(dict(data)):
        problem = _unstorable(value)
        if problem is None or not path:
            continue
        if path[0] == "trials" and len(path) > 1 and isinstance(trials, list):
            trial = trials[int(path[1])]
            trial_id = trial.get("id") if isinstance(trial, dict) else None
            if not isinstance(trial_id, str) or not trial_id or _unstorable(trial_id):
                trial_id = path[1]
            key = f"trials[{trial_id}]" + "".join(f".{name}" for name in path[2:])
        else:
            key = ".".join(path)
        errors.setdefault(key, []).append(ValidationError(problem, code="unstorable"))
    return errors


def _history_error(error: HistoryError) -> ValidationError:
    if error.trial_id is not None:
        key = _trial_key(error.trial_id, error.field)
    else:
        key = error.field or NON_FIELD_ERRORS
    return ValidationError({key: [ValidationError(str(error), code="invalid_history")]})


def _shown_episode(patient: Patient) -> Episode | None:
    """Return the patient's current episode, or the latest when none is open."""
    episodes = Episode.objects.filter(patient=patient).select_related("patient")
    return (
        episodes.filter(end_date__isnull=True).first() or episodes.order_by("-onset_date").first()
    )


def patient_history_export(
    *, access: ClinicAccess, patient_id: int, assessment_date: datetime.date | None = None
) -> dict[str, Any]:
    """Export the current episode's history as a history-format.md object (audited)."""
    patient = access.patients().filter(pk=patient_id).first()
    if patient is None:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    with transaction.atomic():
        episode = _shown_episode(patient)
        if episode is None:
            raise ValidationError(NO_EPISODE, code="no_episode")
        day = assessment_date or episode.end_date or timezone.localdate()
        history = episode_history(episode, assessment_date=day)
        document = history_to_json(history, episode_params(episode, access.clinic))
        _add_steps(document, episode)
        try:
            # Exported files must read back: the same reader checks them.
            parse_history(document)
        except HistoryError as error:
            message = NOT_EXPORTABLE.format(problem=error)
            raise ValidationError(message, code="not_exportable") from None
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=ObjectType.EPISODE,
            object_id=episode.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            object_version=episode.version,
        )
    return document


def _add_steps(document: dict[str, Any], episode: Episode) -> None:
    """Write each stepped course's steps, weeks counted, beside its trial in the document."""
    stepped = {
        trial.code: trial
        for trial in TreatmentTrial.objects.filter(episode__patient_id=episode.patient_id)
        if trial.dose_steps
    }
    for item in document.get("trials", []):
        trial = stepped.get(item["id"])
        if trial is None:
            continue
        item[STEPS_KEY] = [
            {
                "dose_mg_per_day": float(step.dose_mg_per_day),
                "start_date": None if entry.start_date is None else entry.start_date.isoformat(),
                "weeks": None if step.weeks is None else float(step.weeks),
            }
            for entry, step in zip(trial.step_entries, trial.steps(), strict=True)
        ]


def _read_steps(value: object) -> tuple[StepEntry, ...]:
    """Return a file's dose steps of one trial; raise ValueError when they are malformed."""
    if not isinstance(value, list):
        raise ValueError(STEPS_MALFORMED)
    steps = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(STEPS_MALFORMED)
        dose, start, weeks = item.get("dose_mg_per_day"), item.get("start_date"), item.get("weeks")
        if isinstance(dose, bool) or not isinstance(dose, int | float) or dose <= 0:
            raise ValueError(STEPS_MALFORMED)
        if weeks is not None and (
            isinstance(weeks, bool) or not isinstance(weeks, int | float) or weeks < 0
        ):
            raise ValueError(STEPS_MALFORMED)
        if start is not None and not isinstance(start, str):
            raise ValueError(STEPS_MALFORMED)
        steps.append(
            StepEntry(
                dose_mg_per_day=Decimal(repr(dose)),
                start_date=None if start is None else datetime.date.fromisoformat(start),
                weeks=None if weeks is None else Decimal(repr(weeks)),
            )
        )
    return tuple(steps)


def _file_steps(data: Mapping[str, Any]) -> tuple[dict[str, tuple[StepEntry, ...]], Errors]:
    """Return the dose steps of the file's trials by id, and the errors of malformed ones."""
    steps: dict[str, tuple[StepEntry, ...]] = {}
    errors: Errors = {}
    trials = data.get("trials")
    for item in trials if isinstance(trials, list) else []:
        if not isinstance(item, dict) or STEPS_KEY not in item:
            continue
        trial_id = str(item.get("id"))
        try:
            steps[trial_id] = _read_steps(item[STEPS_KEY])
        except ValueError:
            key = _trial_key(trial_id, STEPS_KEY)
            errors[key] = [ValidationError(STEPS_MALFORMED, code="steps_malformed")]
    return steps, errors


def _decimal(value: float | None) -> Decimal | None:
    # Through the shortest text form, so 0.025 stays 0.025.
    return None if value is None else Decimal(repr(value))


def _scale_code(name: str | None) -> str:
    if name is None:
        return ""
    code = scale_code_for_name(name)
    if code is not None:
        return code.value
    names = ", ".join(definition.name for definition in scales.SCALES.values())
    raise ValidationError(
        {"patient.baseline_severity.scale": UNKNOWN_SCALE.format(scale=name, names=names)}
    )


_CLINIC_AGENTS = Statement(
    lambda ids: Agent.objects.filter(Q(clinic=None) | Q(any_of("clinic_id", ids))).order_by(
        "-clinic_id"
    )
)


def agents_by_name(clinic_id: int) -> dict[str, Agent]:
    """Return the agents a clinic can record, by lower-case name (its own after the built-ins)."""
    return {agent.name.lower(): agent for agent in _CLINIC_AGENTS.rows([clinic_id])}


def catalogued_agent(name: str | None, agents: Mapping[str, Agent]) -> Agent | None:
    """Return the catalogue entry an imported agent name means (aliases, brands, formulations)."""
    if not name:
        return None
    entry = lookup_agent(name) or lookup_agent(generic_for_brand(name) or "")
    if entry is not None and entry.name.lower() in agents:
        return agents[entry.name.lower()]
    return agents.get(" ".join(name.lower().split()))


def _episode(patient: Patient, history: History, user: "User") -> Episode:
    severity = history.baseline_severity
    return Episode(
        patient=patient,
        onset_date=history.episode_onset_date,
        end_date=None,
        psychotic_features=severity.psychotic_features,
        baseline_severity_category=severity.category or "",
        baseline_scale=_scale_code(severity.scale),
        baseline_score=_decimal(severity.score),
        functional_impairment=history.functional_impairment or "",
        comorbid_anxiety=history.comorbid_anxiety or "",
        personality_disorder=history.personality_disorder or "",
        psychosocial_stressors=history.psychosocial_stressors or "",
        created_by=user,
        updated_by=user,
    )


def _trial_input(trial: StagingTrial, history: History, agent: Agent | None) -> TrialInput:
    """Return a staging trial as a service input; a catalogued agent takes the catalogue's class."""
    return TrialInput(
        kind=trial.kind.value,
        start_date=trial.start_date,
        code=trial.id,
        seq=trial.seq,
        in_previous_episode=not is_current(trial, history.episode_onset_date),
        agent=agent,
        agent_name="" if agent is not None else trial.agent or "",
        drug_class="" if agent is not None else trial.drug_class or "",
        dose_mg_per_day=_decimal(trial.dose_mg_per_day),
        dose_mg_per_session=_decimal(trial.dose_mg_per_session),
        serum_level_mmol_per_l=_decimal(trial.serum_level_mmol_per_l),
        weeks=_decimal(trial.weeks),
        sessions=trial.sessions,
        electrode_placement=trial.electrode_placement or "",
        therapy_type=trial.therapy_type or "",
        therapist_trained=trial.therapist_trained,
        adherence=trial.adherence or "",
        percent_symptom_reduction=_decimal(trial.percent_symptom_reduction),
        outcome=trial.outcome or "",
        prospective=trial.prospective,
        dose_optimised=trial.dose_optimised,
        duration_extended=trial.duration_extended,
    )


def imported_parameters(data: Mapping[str, Any], params: Params, clinic: Params) -> dict[str, Any]:
    """Return the parameters a history file gives that differ from the clinic's defaults.

    They become the episode's own (records.history.episode_params); a parameter the file does
    not give, or gives as the clinic's own value, follows the clinic.
    """
    given = data.get("parameters") or {}
    own = own_parameters(params, clinic)
    return {name: value for name, value in own.items() if given.get(name) is not None}


@dataclass(frozen=True)
class HistoryImportPreview:
    """What importing a checked history creates: the episode, its trials and own parameters."""

    onset_date: datetime.date
    trials: int
    parameters: tuple[OwnParameterRow, ...]


class _Checked(Exception):
    """Carries the preview out of the import's transaction, which it rolls back."""

    def __init__(self, preview: HistoryImportPreview) -> None:
        super().__init__()
        self.preview = preview


def patient_history_import_preview(
    *, access: ClinicAccess, patient: Patient, data: Mapping[str, Any], acting_user: "Actor"
) -> HistoryImportPreview:
    """Check a history exactly as importing it does and say what it would create; save nothing."""
    # The import itself runs and is rolled back, so the preview can never pass a file that the
    # confirmation then refuses for a reason the preview did not show.
    try:
        with transaction.atomic():
            episode = patient_history_import(
                access=access, patient=patient, data=data, acting_user=acting_user
            )
            clinic = default_params(access.clinic)
            preview = HistoryImportPreview(
                onset_date=episode.onset_date,
                trials=episode.trials.count(),
                parameters=parameter_differences(episode_params(episode, access.clinic), clinic),
            )
            raise _Checked(preview)
    except _Checked as checked:
        return checked.preview


def history_upload_sign(*, data: Mapping[str, Any], access: ClinicAccess, patient: Patient) -> str:
    """Return a checked history signed for its confirmation: this user, clinic and patient."""
    return signing.dumps(dict(data), salt=_upload_salt(access, patient), compress=True)


def history_upload_unsign(token: str, *, access: ClinicAccess, patient: Patient) -> dict[str, Any]:
    """Return the history of a signed confirmation; refuse an altered, foreign or expired one."""
    try:
        data = signing.loads(
            token, salt=_upload_salt(access, patient), max_age=PREVIEW_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise ValidationError(PREVIEW_EXPIRED, code="preview_expired") from None
    except signing.BadSignature:
        raise ValidationError(PREVIEW_INVALID, code="preview_invalid") from None
    return dict(data)


def _upload_salt(access: ClinicAccess, patient: Patient) -> str:
    return f"{UPLOAD_SALT}:{access.clinic.pk}:{access.user.pk}:{patient.pk}"


def patient_history_import(
    *, access: ClinicAccess, patient: Patient, data: Mapping[str, Any], acting_user: "Actor"
) -> Episode:
    """Import one history object as the patient's new current episode, all or nothing."""
    # Errors name the file's field (`patient.episode_onset_date`, `trials[T2].dose_mg_per_day`).
    # The history's `parameters` that differ from the clinic's defaults become the episode's own;
    # the assessment date is not stored: it is chosen when staging.
    if patient.clinic_id != access.clinic.pk:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    access.require(Permission.EDIT_CLINICAL_DATA)
    unstorable = _unstorable_errors(data)
    if unstorable:
        raise ValidationError(unstorable)
    try:
        history, params = parse_history(dict(data))
    except HistoryError as error:
        raise _history_error(error) from None
    steps, step_errors = _file_steps(data)
    if step_errors:
        raise ValidationError(step_errors)
    with transaction.atomic():
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=PATIENT_NOT_FOUND_MESSAGE,
        ).user
        lock_patient(patient.pk)
        patient.refresh_from_db()
        errors: Errors = {}
        if patient.diagnosis != history.diagnosis:
            message = DIAGNOSIS_DIFFERS.format(
                history=history.diagnosis.value, patient=patient.diagnosis
            )
            errors["patient.diagnosis"] = [ValidationError(message, code="diagnosis_differs")]
        episode = _episode(patient, history, user)
        episode.staging_parameters = imported_parameters(
            data, params, default_params(access.clinic)
        )
        episode_errors = model_errors_added(
            episode, episode_rule_errors(episode), exclude=["patient"]
        )
        for field, messages in episode_errors.items():
            errors.setdefault(EPISODE_KEYS.get(field, f"patient.{field}"), []).extend(messages)
        if errors:
            raise ValidationError(errors)
        episode.save()
        events = [
            audit_event(
                actor=user,
                action=AuditAction.IMPORT,
                object_type=ObjectType.EPISODE,
                object_id=episode.pk,
                clinic_id=patient.clinic_id,
                patient_id=patient.pk,
                changes={
                    **created(snapshot(episode, EPISODE_FIELDS)),
                    **created(
                        {"staging_parameters": own_parameters_text(episode.staging_parameters)}
                    ),
                },
                object_version=episode.version,
            )
        ]
        trials = _import_trials(history, episode, patient, user, steps)
        events.extend(
            trial_audit_event(
                user, trial, patient, AuditAction.IMPORT, created(snapshot(trial, TRIAL_FIELDS))
            )
            for trial in trials
        )
        # One insert for the episode's and its trials' events, in that order.
        audit_events_write(events)
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return episode


def _import_trials(
    history: History,
    episode: Episode,
    patient: Patient,
    user: "User",
    steps: Mapping[str, tuple[StepEntry, ...]],
) -> list[TreatmentTrial]:
    """Validate every trial first (all errors at once), then save them and link additions."""
    agents = agents_by_name(patient.clinic_id)
    errors: Errors = {}
    built: list[tuple[StagingTrial, TreatmentTrial]] = []
    seqs: set[int] = set()
    for staged in history.trials:
        trial = TreatmentTrial(episode=episode, created_by=user, updated_by=user)
        data = _trial_input(staged, history, catalogued_agent(staged.agent, agents))
        if staged.id in steps:
            # The steps are the record; the file's pair is what they were judged as.
            data = replace(data, dose_steps=steps[staged.id], dose_mg_per_day=None, weeks=None)
        apply_input(trial, data)
        faults = trial_errors(trial, episode=episode, patient=patient, exclude=["augments"])
        if staged.seq in seqs:
            faults.setdefault("seq", []).append(
                ValidationError(DUPLICATE_SEQ.format(seq=staged.seq), code="seq_taken")
            )
        if staged.augments_trial == staged.id:
            faults.setdefault("augments", []).append(
                ValidationError(AUGMENTS_ITSELF, code="augments_itself")
            )
        seqs.add(staged.seq)
        for field, messages in faults.items():
            errors.setdefault(_trial_key(staged.id, field), []).extend(messages)
        built.append((staged, trial))
    if errors:
        raise ValidationError(errors)
    trials = [trial for _, trial in built]
    # One insert for all (no signal listens to a trial's save).
    TreatmentTrial.objects.bulk_create(trials)
    by_code = {trial.code: trial for trial in trials}
    for staged, trial in built:
        if staged.augments_trial is not None:
            trial.augments = by_code[staged.augments_trial]
            trial.save(update_fields=["augments"])
    return trials
