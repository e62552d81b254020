"""Checking a read file against the records: one plan per patient, every problem at once."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower

from records.models import (
    Agent,
    Clinic,
    Episode,
    Patient,
    Sex,
    TreatmentTrial,
)
from records.models.trial import AUGMENTS_ITSELF
from records.services.common import Errors
from records.services.episodes import EPISODE_FIELDS, EpisodeInput, episode_rule_errors
from records.services.exchange import DIAGNOSIS_DIFFERS, agents_by_name, catalogued_agent
from records.services.patients import PatientInput, patient_apply, patient_rule_errors
from records.services.trials import CODE_TAKEN, TrialInput, apply_input, trial_rule_errors
from staging import history as staging

if TYPE_CHECKING:
    from django.contrib.auth.models import User


from .read import (
    EPISODE_COLUMN_FIELDS,
    EPISODE_COLUMNS,
    EPISODE_FIELD_COLUMNS,
    EPISODE_RELATIONS,
    NEW_PATIENT_COLUMNS,
    PATIENT_COLUMNS,
    PATIENT_RELATIONS,
    REQUIRED,
    REQUIRED_FOR_NEW_PATIENT,
    REQUIRED_TRIAL_COLUMNS,
    TRIAL_FIELD_COLUMNS,
    TRIAL_RELATIONS,
    Problem,
    _read,
    _Row,
    _shown,
    _Values,
)

CONFLICT = (
    "{value} differs from {first} on row {row} for the same patient: the patient's and the "
    "episode's columns must agree on every row (or be left blank after the first)."
)
DIFFERS_FROM_RECORD = (
    "{value} differs from the patient's record ({recorded}): check the record number. "
    "Patients are not changed by an import."
)
RECORD_NUMBER_CASE = (
    "{number} differs only in capital letters from {other}: use one spelling for one patient."
)
ONSET_DIFFERS = (
    "{number} already has a current episode with onset {onset}: give that onset to add trials "
    "to it, or end that episode in the patient's record first."
)
EPISODE_DIFFERS = (
    "{value} differs from the current episode's record ({recorded}): leave it blank to keep "
    "the record. Episodes are not changed by an import."
)
DUPLICATE_TRIAL_IN_FILE = "Trial id {code} is also on row {row} for the same patient."
AUGMENTS_UNKNOWN = "{code} names no trial of this patient, in this file or already recorded."


@dataclass(frozen=True)
class PatientSummary:
    """What an import does for one patient of the file."""

    record_number: str
    name: str
    new_patient: bool
    new_episode: bool
    onset_date: datetime.date | None
    trials: int
    first_row: int


@dataclass(frozen=True)
class ImportSummary:
    """What a file creates (preview) or created (import), patient by patient."""

    patients: tuple[PatientSummary, ...]

    @property
    def new_patients(self) -> int:
        return sum(patient.new_patient for patient in self.patients)

    @property
    def existing_patients(self) -> int:
        return len(self.patients) - self.new_patients

    @property
    def new_episodes(self) -> int:
        return sum(patient.new_episode for patient in self.patients)

    @property
    def existing_episodes(self) -> int:
        return len(self.patients) - self.new_episodes

    @property
    def trials(self) -> int:
        return sum(patient.trials for patient in self.patients)


@dataclass
class _Records:
    """What the clinic already holds for the patients of a file, read in a few queries."""

    patients: dict[str, Patient]
    spellings: dict[str, str]
    current_episodes: dict[int, Episode]
    trials: dict[int, dict[str, TreatmentTrial]]
    highest_seq: dict[int, int]
    agents: dict[str, Agent]


def _records(clinic: Clinic, numbers: Iterable[str], *, lock: bool) -> _Records:
    """Return the clinic's patients of these record numbers (any capitals) and their trials."""
    queryset = (
        Patient.objects.filter(clinic=clinic)
        .annotate(lowered=Lower("record_number"))
        .filter(lowered__in={number.lower() for number in numbers})
        .order_by("pk")
    )
    if lock:
        # In id order, as every writer under one patient takes its lock first (lock_patient).
        queryset = queryset.select_for_update(of=("self",))
    found = list(queryset)
    trials: dict[int, dict[str, TreatmentTrial]] = {}
    highest: dict[int, int] = {}
    recorded = TreatmentTrial.objects.filter(episode__patient__in=found).select_related(
        "agent", "episode"
    )
    for trial in recorded:
        trials.setdefault(trial.episode.patient_id, {})[trial.code] = trial
        highest[trial.episode_id] = max(highest.get(trial.episode_id, 0), trial.seq)
    return _Records(
        patients={patient.record_number: patient for patient in found},
        spellings={patient.record_number.lower(): patient.record_number for patient in found},
        current_episodes={
            episode.patient_id: episode
            for episode in Episode.objects.filter(patient__in=found, end_date__isnull=True)
        },
        trials=trials,
        highest_seq=highest,
        agents=agents_by_name(clinic.pk),
    )


def _model_errors(instance: models.Model, errors: Errors, exclude: Iterable[str]) -> Errors:
    """Add the model's own field and clean() errors to the rule errors (constraints: see above)."""
    # A field the rules already faulted is not validated twice, as in the services.
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _differs(value: object, other: object) -> bool:
    if isinstance(value, str) and isinstance(other, str):
        return value.strip().casefold() != other.strip().casefold()
    return value != other


def _display(value: object) -> str:
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@dataclass
class _Plan:
    """One patient of the file: the records to create or reuse, checked."""

    record_number: str
    rows: list[_Row]
    patient: Patient
    new_patient: bool
    episode: Episode
    new_episode: bool
    trials: list[TreatmentTrial] = field(default_factory=list)

    def summary(self) -> PatientSummary:
        patient = self.patient
        name = f"{patient.family_name}, {patient.given_name}" if patient.family_name else ""
        return PatientSummary(
            record_number=self.record_number,
            name=name,
            new_patient=self.new_patient,
            new_episode=self.new_episode,
            onset_date=self.episode.onset_date,
            trials=len(self.trials),
            first_row=self.rows[0].number,
        )


@dataclass
class _Merged:
    """One patient's patient and episode columns over its rows: values and where each came from."""

    values: _Values
    rows: dict[str, int]
    faulted: set[str]
    first_row: int


class _Checker:
    """Check every row of a file against the clinic's records, collecting every problem."""

    def __init__(self, *, clinic: Clinic, user: "User", records: _Records) -> None:
        self.clinic = clinic
        self.user = user
        self.records = records
        self.problems: list[Problem] = []

    def add(self, message: str, row: int, column: str | None) -> None:
        self.problems.append(Problem(message, row=row, column=column))

    def add_errors(
        self,
        errors: Errors,
        columns: Mapping[str, str | None],
        *,
        row: int,
        rows: Mapping[str, int],
        faulted: set[str],
    ) -> None:
        """Add a service's field errors, each at the column (and row) its value came from."""
        for name, messages in errors.items():
            column = None if name == NON_FIELD_ERRORS else columns.get(name)
            if column in faulted:
                # The unreadable cell is reported already; what follows from it is not news.
                continue
            for error in messages:
                for message in error.messages:
                    self.add(message, rows.get(column or "", row), column)

    def merge(self, rows: Sequence[_Row]) -> _Merged:
        """Return the patient's and episode's values; a value unlike an earlier row's is refused."""
        merged = _Merged(values=_Values(), rows={}, faulted=set(), first_row=rows[0].number)
        for column in (*PATIENT_COLUMNS, *EPISODE_COLUMNS):
            for row in rows:
                if column in row.faulted:
                    merged.faulted.add(column)
                value = row.values.get(column)
                if value is None:
                    continue
                if column not in merged.values:
                    merged.values[column], merged.rows[column] = value, row.number
                elif _differs(value, merged.values[column]):
                    message = CONFLICT.format(
                        value=_shown(_display(value)),
                        first=_shown(_display(merged.values[column])),
                        row=merged.rows[column],
                    )
                    self.add(message, row.number, column)
        return merged

    def plan(self, record_number: str, rows: list[_Row]) -> _Plan:
        """Return the patient's plan: who, which episode, and every trial, checked."""
        merged = self.merge(rows)
        existing = self.records.patients.get(record_number)
        if existing is not None:
            self.compare_patient(existing, merged)
        patient = existing or self.new_patient(record_number, merged)
        if "episode_onset_date" not in merged.values.keys() | merged.faulted:
            self.add(REQUIRED, merged.first_row, "episode_onset_date")
        episode, new_episode = self.episode(patient, existing is not None, merged)
        plan = _Plan(
            record_number=record_number,
            rows=rows,
            patient=patient,
            new_patient=existing is None,
            episode=episode,
            new_episode=new_episode,
        )
        self.check_trials(plan)
        return plan

    def compare_patient(self, patient: Patient, merged: _Merged) -> None:
        """Refuse values that disagree with an existing patient's record: a wrong record number."""
        for column in PATIENT_COLUMNS:
            if column == "record_number" or column not in merged.values:
                continue
            value, recorded = merged.values[column], getattr(patient, column)
            if not _differs(value, recorded):
                continue
            if column == "diagnosis":
                message = DIAGNOSIS_DIFFERS.format(history=value, patient=recorded)
            else:
                message = DIFFERS_FROM_RECORD.format(
                    value=_shown(_display(value)), recorded=_display(recorded)
                )
            self.add(message, merged.rows[column], column)

    def new_patient(self, record_number: str, merged: _Merged) -> Patient:
        """Return the new patient, checked by the patient rules and the model."""
        patient = Patient(clinic=self.clinic, created_by=self.user, updated_by=self.user)
        patient.record_number = record_number
        values = merged.values
        birth = values.day("date_of_birth")
        missing = [name for name in NEW_PATIENT_COLUMNS if name not in values]
        for name in missing:
            if name not in merged.faulted:
                message = REQUIRED_FOR_NEW_PATIENT.format(
                    number=record_number, clinic=self.clinic.name
                )
                self.add(message, merged.first_row, name)
        if missing or birth is None:
            return patient
        data = PatientInput(
            record_number=record_number,
            family_name=values.text("family_name"),
            given_name=values.text("given_name"),
            date_of_birth=birth,
            sex=values.text("sex") or Sex.UNKNOWN,
            diagnosis=values.text("diagnosis"),
        )
        patient_apply(patient, data)
        # The record number was looked up for the whole file (in any capitals): the rules see
        # the patient without it, instead of with a query per patient.
        patient.record_number = ""
        errors = patient_rule_errors(patient)
        patient.record_number = record_number
        _model_errors(patient, errors, [*merged.faulted, *PATIENT_RELATIONS])
        self.add_errors(
            errors,
            {name: name for name in PATIENT_COLUMNS},
            row=merged.first_row,
            rows=merged.rows,
            faulted=merged.faulted,
        )
        return patient

    def episode(self, patient: Patient, recorded: bool, merged: _Merged) -> tuple[Episode, bool]:
        """Return the current episode to add the trials to, and whether it is new."""
        values = merged.values
        onset = values.day("episode_onset_date")
        current = self.records.current_episodes.get(patient.pk) if recorded else None
        if current is not None and onset in (None, current.onset_date):
            self.compare_episode(current, merged)
            return current, False
        episode = Episode(patient=patient, created_by=self.user, updated_by=self.user)
        if onset is None:
            return episode, True
        data = EpisodeInput(
            onset_date=onset,
            psychotic_features=bool(values.flag("psychotic_features")),
            baseline_severity_category=values.text("baseline_category"),
            baseline_scale=values.text("baseline_scale"),
            baseline_score=values.number("baseline_score"),
            functional_impairment=values.text("functional_impairment"),
            comorbid_anxiety=values.text("comorbid_anxiety"),
            personality_disorder=values.text("personality_disorder"),
            psychosocial_stressors=values.text("psychosocial_stressors"),
        )
        for name in EPISODE_FIELDS:
            setattr(episode, name, getattr(data, name))
        if current is not None:
            # The episode is refused; its trials are still checked against the file's onset.
            message = ONSET_DIFFERS.format(
                number=patient.record_number, onset=current.onset_date.isoformat()
            )
            self.add(message, merged.rows["episode_onset_date"], "episode_onset_date")
            return episode, True
        faulted = [
            EPISODE_COLUMN_FIELDS[column] for column in merged.faulted & EPISODE_COLUMNS.keys()
        ]
        # The patient has no current episode (read for the whole file, under its lock): the rules
        # see this one as ending at its onset, which skips their query for another current
        # episode; the end date they then also check is the onset, already checked.
        episode.end_date = episode.onset_date
        errors = episode_rule_errors(episode)
        errors.pop("end_date", None)
        episode.end_date = None
        _model_errors(episode, errors, [*faulted, *EPISODE_RELATIONS])
        self.add_errors(
            errors,
            EPISODE_FIELD_COLUMNS,
            row=merged.first_row,
            rows=merged.rows,
            faulted=merged.faulted,
        )
        return episode, True

    def compare_episode(self, episode: Episode, merged: _Merged) -> None:
        """Refuse episode values that disagree with the current episode's record."""
        for column, name in EPISODE_COLUMN_FIELDS.items():
            if column not in merged.values:
                continue
            value, recorded = merged.values[column], getattr(episode, name)
            if _differs(value, recorded):
                message = EPISODE_DIFFERS.format(
                    value=_shown(_display(value)), recorded=_display(recorded)
                )
                self.add(message, merged.rows[column], column)

    def check_trials(self, plan: _Plan) -> None:
        """Build and check every trial of the patient; augments may name any of its trials."""
        episode, patient = plan.episode, plan.patient
        recorded = {} if plan.new_patient else self.records.trials.get(patient.pk, {})
        seq = self.records.highest_seq.get(episode.pk, 0) if episode.pk else 0
        by_code: dict[str, TreatmentTrial] = {}
        code_rows: dict[str, int] = {}
        built: list[tuple[_Row, TreatmentTrial]] = []
        for row in plan.rows:
            missing = [name for name in REQUIRED_TRIAL_COLUMNS if name not in row.values]
            for name in missing:
                if name not in row.faulted:
                    self.add(REQUIRED, row.number, name)
            start = row.values.day("start_date")
            if missing or start is None:
                # Without its id, kind or start, a trial's other rules cannot be judged.
                continue
            seq += 1
            trial = self.trial(row, episode, seq, start)
            if trial.code in code_rows:
                message = DUPLICATE_TRIAL_IN_FILE.format(code=trial.code, row=code_rows[trial.code])
                self.add(message, row.number, "trial_id")
            elif trial.code in recorded:
                self.add(CODE_TAKEN.format(code=trial.code), row.number, "trial_id")
            else:
                code_rows[trial.code] = row.number
                by_code[trial.code] = trial
            built.append((row, trial))
        for row, trial in built:
            self.link(row, trial, by_code, recorded)
            self.check_trial(row, trial, episode, patient)
        plan.trials = [trial for _, trial in built]

    def trial(self, row: _Row, episode: Episode, seq: int, start: datetime.date) -> TreatmentTrial:
        """Return the row's trial, its values applied as the services apply a form's."""
        values = row.values
        named = values.text("agent")
        agent = catalogued_agent(named, self.records.agents)
        kind = values.text("kind")
        previous = values.flag("previous_episode")
        if previous is None and episode.onset_date is not None:
            # Left blank, as in the JSON format (staging 1.3.1): before the onset is earlier.
            staged = staging.Trial(id="", seq=seq, start_date=start, kind=staging.TrialKind(kind))
            previous = not staging.is_current(staged, episode.onset_date)
        data = TrialInput(
            kind=kind,
            start_date=start,
            in_previous_episode=bool(previous),
            agent=agent,
            # A catalogued agent takes the catalogue's class (staging-models.md 12.5).
            agent_name="" if agent is not None else named,
            drug_class="" if agent is not None else values.text("class"),
            dose_mg_per_day=values.number("dose_mg_per_day"),
            dose_mg_per_session=values.number("dose_mg_per_session"),
            serum_level_mmol_per_l=values.number("serum_level_mmol_per_l"),
            end_date=values.day("end_date"),
            weeks=values.number("weeks"),
            weeks_reason=values.text("weeks_reason"),
            sessions=values.whole("sessions"),
            electrode_placement=values.text("electrode_placement"),
            therapy_type=values.text("therapy_type"),
            therapist_trained=values.flag("therapist_trained"),
            adherence=values.text("adherence"),
            percent_symptom_reduction=values.number("percent_symptom_reduction"),
            outcome_scale=values.text("outcome_scale"),
            outcome_baseline_score=values.number("outcome_baseline_score"),
            outcome_end_score=values.number("outcome_end_score"),
            outcome=values.text("outcome"),
            reason_stopped=values.text("reason_stopped"),
            information_source=values.text("information_source"),
            prospective=values.flag("prospective"),
            dose_optimised=values.flag("dose_optimised"),
            duration_extended=values.flag("duration_extended"),
        )
        trial = TreatmentTrial(episode=episode, created_by=self.user, updated_by=self.user)
        apply_input(trial, data)
        trial.code = values.text("trial_id")
        trial.seq = seq
        return trial

    def link(
        self,
        row: _Row,
        trial: TreatmentTrial,
        by_code: Mapping[str, TreatmentTrial],
        recorded: Mapping[str, TreatmentTrial],
    ) -> None:
        """Point the trial at the trial it was added to: in the file, or already recorded."""
        code = row.values.text("augments_trial")
        if not code:
            return
        if code == trial.code:
            self.add(AUGMENTS_ITSELF, row.number, "augments_trial")
            return
        target = by_code.get(code) or recorded.get(code)
        if target is None:
            self.add(AUGMENTS_UNKNOWN.format(code=code), row.number, "augments_trial")
            return
        trial.augments = target

    def check_trial(
        self, row: _Row, trial: TreatmentTrial, episode: Episode, patient: Patient
    ) -> None:
        """Run the trial rules and the model's validation, as `trial_record` does."""
        # The rules see the trial without its id and sequence, which were checked for the whole
        # file above instead of with a query per row; the model then checks their shape.
        code, seq = trial.code, trial.seq
        trial.code, trial.seq = "", None  # type: ignore[assignment]
        errors = trial_rule_errors(trial, episode=episode, patient=patient)
        trial.code, trial.seq = code, seq
        faulted = [name for name, column in TRIAL_FIELD_COLUMNS.items() if column in row.faulted]
        _model_errors(trial, errors, [*faulted, *TRIAL_RELATIONS])
        self.add_errors(errors, TRIAL_FIELD_COLUMNS, row=row.number, rows={}, faulted=row.faulted)


def _group(rows: Sequence[_Row], checker: _Checker) -> dict[str, list[_Row]]:
    """Return the rows by record number, in file order; refuse a number spelt two ways."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        number = row.values.text("record_number")
        if number:
            groups.setdefault(number, []).append(row)
        elif "record_number" not in row.faulted:
            checker.add(REQUIRED, row.number, "record_number")
    spellings = dict(checker.records.spellings)
    for number in list(groups):
        other = spellings.setdefault(number.lower(), number)
        if other != number:
            # Two spellings of one record number would make two patients of one person.
            message = RECORD_NUMBER_CASE.format(number=number, other=other)
            checker.add(message, groups.pop(number)[0].number, "record_number")
    return groups


def _check(
    data: bytes, *, clinic: Clinic, user: "User", lock: bool
) -> tuple[list[_Plan], list[Problem]]:
    """Read and check the whole file; return each patient's plan and every problem found."""
    rows, problems = _read(data)
    numbers = {row.values.text("record_number") for row in rows} - {""}
    checker = _Checker(clinic=clinic, user=user, records=_records(clinic, numbers, lock=lock))
    groups = _group(rows, checker)
    plans = [checker.plan(number, group) for number, group in groups.items()]
    return plans, [*problems, *checker.problems]
