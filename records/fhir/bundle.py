"""A patient's record as a FHIR R4 `Bundle` of type collection (docs/interoperability.md).

Pure building: the service (records/services/fhir_export.py) loads the rows and audits the
export. Every reference in the bundle names another entry's `fullUrl` (a `urn:uuid:` derived
from the clinic and the row), so the bundle is self-contained and the same record always
exports the same ids.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from records import codes
from records.models import Episode, Patient, ScaleAdministration, TreatmentTrial
from records.models.trial import MEDICATION_KINDS, ReasonStopped
from records.scales import SCALES, ScaleCode
from staging.catalogue import psychotherapy_school
from staging.result import ModelResult

BASE = "https://trdclinic.example/fhir"
STAGING_MODEL_SYSTEM = f"{BASE}/CodeSystem/staging-model"
TRIAL_KIND_SYSTEM = f"{BASE}/CodeSystem/trial-kind"
SCALE_SYSTEM = f"{BASE}/CodeSystem/rating-scale"
SCALE_ITEM_SYSTEM = f"{BASE}/CodeSystem/rating-scale-item"
TRIAL_ID_SYSTEM = f"{BASE}/trial-id"
RECORD_NUMBER_SYSTEM = f"{BASE}/clinic/{{clinic}}/record-number"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
UCUM = "http://unitsofmeasure.org"
# Every id is a UUID derived from this namespace, the clinic and the row: stable across exports.
ID_NAMESPACE = uuid.UUID("4c2f3f0e-6b1a-5d8e-9a57-6a0b9e1d2c31")

WITH_PSYCHOTIC_FEATURES = "With psychotic features"
BASELINE_SEVERITY = "Baseline severity: {severity}"
SERUM_LEVEL_TEXT = "Serum level {level} mmol/L"
SESSIONS_TEXT = "{sessions} sessions attended"
DOSE_PER_SESSION_TEXT = "{dose} mg per session"
DOSE_PER_DAY_TEXT = "{dose} mg/day"
NOT_APPLICABLE_TEXT = "Not applicable to this history"
# The yes/no findings a model may add to its stage or score, as components of its Observation.
RESULT_FLAGS = ("provisional", "chronic_resistant", "prd", "trd_minimal_improvement", "chronic")
ADDED_TO = "Added to trial {code}"


@dataclass(frozen=True)
class BundleInput:
    """What a patient's bundle is built from, loaded by the service."""

    patient: Patient
    episodes: Sequence[Episode]
    trials: Sequence[TreatmentTrial]
    scores: Sequence[ScaleAdministration]
    # The staged episode, its assessment date and every model's result; None without an episode.
    staged_episode: Episode | None
    assessment_date: datetime.date | None
    results: Mapping[str, ModelResult]


def _full_url(clinic_id: int, kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{clinic_id}/{kind}/{key}')}"


def _number(value: Decimal | float) -> int | float:
    """Return a JSON number: whole numbers without a decimal point, others as they read."""
    decimal = value if isinstance(value, Decimal) else Decimal(repr(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def _plain(value: Decimal | float) -> str:
    return str(_number(value))


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(text: str, codings: Iterable[dict[str, str]] = ()) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    codings = list(codings)
    if codings:
        concept["coding"] = codings
    return concept


def _patient(patient: Patient) -> dict[str, Any]:
    # The record number only: names and dates of birth stay in trdclinic.
    return {
        "resourceType": "Patient",
        "identifier": [
            {
                "use": "usual",
                "type": _concept("Medical record number", [_coding(IDENTIFIER_TYPE, "MR")]),
                "system": RECORD_NUMBER_SYSTEM.format(clinic=patient.clinic_id),
                "value": patient.record_number,
            }
        ],
    }


def _condition(episode: Episode, patient: Patient, patient_url: str) -> dict[str, Any]:
    diagnosis = patient.diagnosis
    codings = []
    snomed = codes.DIAGNOSIS_SNOMED.get(diagnosis)
    if snomed:
        codings.append(_coding(codes.SNOMED_SYSTEM, snomed))
    icd10 = (
        codes.ICD10_WITH_PSYCHOTIC_FEATURES
        if episode.psychotic_features and diagnosis != "bipolar"
        else codes.DIAGNOSIS_ICD10[diagnosis]
    )
    codings.append(_coding(codes.ICD10_SYSTEM, icd10))
    clinical = "active" if episode.end_date is None else "resolved"
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": _concept(clinical, [_coding(CONDITION_CLINICAL, clinical)]),
        "verificationStatus": _concept("confirmed", [_coding(CONDITION_VERIFICATION, "confirmed")]),
        "code": _concept(patient.get_diagnosis_display(), codings),
        "subject": {"reference": patient_url},
        "onsetDateTime": episode.onset_date.isoformat(),
    }
    if episode.end_date is not None:
        condition["abatementDateTime"] = episode.end_date.isoformat()
    if episode.baseline_severity_category:
        condition["severity"] = _concept(episode.get_baseline_severity_category_display())
    notes = []
    if episode.psychotic_features:
        notes.append(WITH_PSYCHOTIC_FEATURES)
    if episode.baseline_scale and episode.baseline_score is not None:
        scale = SCALES[ScaleCode(episode.baseline_scale)].name
        notes.append(BASELINE_SEVERITY.format(severity=f"{scale} {_plain(episode.baseline_score)}"))
    if notes:
        condition["note"] = [{"text": note} for note in notes]
    return condition


def _period(trial: TreatmentTrial) -> dict[str, str]:
    period = {"start": trial.start_date.isoformat()}
    if trial.end_date is not None:
        period["end"] = trial.end_date.isoformat()
    return period


def _kind(trial: TreatmentTrial) -> dict[str, Any]:
    return _concept(trial.get_kind_display(), [_coding(TRIAL_KIND_SYSTEM, trial.kind)])


def _identifier(trial: TreatmentTrial) -> list[dict[str, str]]:
    return [{"system": TRIAL_ID_SYSTEM, "value": trial.code}]


def _status(trial: TreatmentTrial) -> tuple[str, dict[str, Any] | None]:
    """Return the FHIR status and, for a course stopped early, the reason as a concept."""
    if trial.end_date is None:
        return "active", None
    if trial.reason_stopped and trial.reason_stopped != ReasonStopped.REMISSION:
        return "stopped", _concept(trial.get_reason_stopped_display())
    return "completed", None


def _medication(trial: TreatmentTrial) -> dict[str, Any]:
    if trial.agent is None:
        return _concept(trial.agent_label)
    molecule = trial.agent.molecule or trial.agent.name
    codings = []
    atc = codes.atc_for(molecule)
    if atc:
        codings.append(_coding(codes.ATC_SYSTEM, atc, molecule))
    rxnorm = codes.rxnorm_for(molecule)
    if rxnorm:
        codings.append(_coding(codes.RXNORM_SYSTEM, rxnorm, molecule))
    return _concept(trial.agent.name, codings)


def _daily_dosage(sequence: int, dose: Decimal, weeks: Decimal | None) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": 1, "period": 1, "periodUnit": "d"}
    if weeks is not None:
        repeat["boundsDuration"] = {
            "value": _number(weeks),
            "unit": "wk",
            "system": UCUM,
            "code": "wk",
        }
    return {
        "sequence": sequence,
        "text": DOSE_PER_DAY_TEXT.format(dose=_plain(dose)),
        "timing": {"repeat": repeat},
        "doseAndRate": [
            {"doseQuantity": {"value": _number(dose), "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
    }


def trial_dosage(trial: TreatmentTrial) -> list[dict[str, Any]]:
    """Return a course's FHIR `Dosage` list: the one place that turns a trial's doses into FHIR."""
    if trial.dose_steps:
        # A titrated course: one entry per dose step, in order (sequence = step number).
        return [
            _daily_dosage(number, step.dose_mg_per_day, step.weeks)
            for number, step in enumerate(trial.steps(), start=1)
        ]
    # One entry for the sustained daily dose, held for the weeks at dose.
    parts = []
    dosage: dict[str, Any] = {"sequence": 1}
    if trial.dose_mg_per_day is not None:
        dosage = _daily_dosage(1, trial.dose_mg_per_day, trial.weeks)
        parts.append(dosage.pop("text"))
    elif trial.weeks is not None:
        dosage["timing"] = {
            "repeat": {
                "boundsDuration": {
                    "value": _number(trial.weeks),
                    "unit": "wk",
                    "system": UCUM,
                    "code": "wk",
                }
            }
        }
    if trial.serum_level_mmol_per_l is not None:
        parts.append(SERUM_LEVEL_TEXT.format(level=_plain(trial.serum_level_mmol_per_l)))
    if not parts and "timing" not in dosage:
        return []
    if parts:
        dosage["text"] = "; ".join(parts)
    return [dosage]


def _notes(trial: TreatmentTrial) -> list[dict[str, str]]:
    notes = []
    if trial.augments is not None:
        notes.append(ADDED_TO.format(code=trial.augments.code))
    if trial.notes:
        notes.append(trial.notes)
    return [{"text": note} for note in notes]


def _medication_statement(
    trial: TreatmentTrial, patient_url: str, urls: Mapping[int, str]
) -> dict[str, Any]:
    status, reason = _status(trial)
    statement: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "identifier": _identifier(trial),
        "status": status,
        "category": _kind(trial),
        "medicationCodeableConcept": _medication(trial),
        "subject": {"reference": patient_url},
        "effectivePeriod": _period(trial),
    }
    if reason is not None:
        statement["statusReason"] = [reason]
    if trial.augments_id is not None and trial.augments_id in urls:
        statement["partOf"] = [{"reference": urls[trial.augments_id]}]
    dosage = trial_dosage(trial)
    if dosage:
        statement["dosage"] = dosage
    notes = _notes(trial)
    if notes:
        statement["note"] = notes
    return statement


def _procedure_code(trial: TreatmentTrial) -> dict[str, Any]:
    snomed: str | None
    if trial.kind == "psychotherapy":
        school = psychotherapy_school(trial.therapy_type or trial.agent_name or None)
        snomed = codes.PSYCHOTHERAPY_SNOMED.get(school) if school else None
        snomed = snomed or codes.PROCEDURE_SNOMED.get(trial.kind)
    else:
        snomed = codes.PROCEDURE_SNOMED.get(trial.kind)
    codings = [_coding(codes.SNOMED_SYSTEM, snomed)] if snomed else []
    return _concept(trial.agent_label, codings)


def _procedure(trial: TreatmentTrial, patient_url: str, urls: Mapping[int, str]) -> dict[str, Any]:
    status, reason = _status(trial)
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "identifier": _identifier(trial),
        "status": {"active": "in-progress"}.get(status, status),
        "category": _kind(trial),
        "code": _procedure_code(trial),
        "subject": {"reference": patient_url},
        "performedPeriod": _period(trial),
    }
    if reason is not None:
        procedure["statusReason"] = reason
    if trial.augments_id is not None and trial.augments_id in urls:
        procedure["partOf"] = [{"reference": urls[trial.augments_id]}]
    notes = [*_notes(trial)]
    if trial.sessions is not None:
        notes.insert(0, {"text": SESSIONS_TEXT.format(sessions=trial.sessions)})
    if trial.dose_mg_per_session is not None:
        notes.insert(
            0, {"text": DOSE_PER_SESSION_TEXT.format(dose=_plain(trial.dose_mg_per_session))}
        )
    if notes:
        procedure["note"] = notes
    return procedure


def _score_quantity(value: Decimal | float) -> dict[str, Any]:
    return {"value": _number(value), "unit": "{score}", "system": UCUM, "code": "{score}"}


def _scale_observation(score: ScaleAdministration, patient_url: str) -> dict[str, Any]:
    scale = ScaleCode(score.scale)
    definition = SCALES[scale]
    codings = [_coding(SCALE_SYSTEM, scale.value, definition.name)]
    loinc = codes.SCALE_LOINC.get(scale)
    if loinc:
        codings.insert(0, _coding(codes.LOINC_SYSTEM, loinc))
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [_concept("Survey", [_coding(OBSERVATION_CATEGORY, "survey")])],
        "code": _concept(f"{definition.name} total score", codings),
        "subject": {"reference": patient_url},
        "effectiveDateTime": score.administered_on.isoformat(),
    }
    if score.total is not None:
        observation["valueQuantity"] = _score_quantity(score.total)
    else:
        observation["dataAbsentReason"] = _concept(
            "Not applicable", [_coding(DATA_ABSENT, "not-applicable")]
        )
    components = [
        {
            "code": _concept(
                f"{definition.name} item {key}",
                [_coding(SCALE_ITEM_SYSTEM, f"{scale.value}.{key}")],
            ),
            "valueQuantity": _score_quantity(value),
        }
        for key, value in (score.items or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    if components:
        observation["component"] = components
    return observation


def _result_value(result: ModelResult) -> dict[str, Any]:
    if not result.applicable:
        return {
            "dataAbsentReason": _concept(
                NOT_APPLICABLE_TEXT, [_coding(DATA_ABSENT, "not-applicable")]
            )
        }
    if result.stage is not None:
        return {"valueString": str(result.stage)}
    if result.score is not None:
        return {"valueQuantity": _score_quantity(result.score)}
    if result.met is not None:
        return {"valueBoolean": result.met}
    if result.band is not None:
        return {"valueString": result.band}
    # A profile of yes/no findings (the response profile): they are the components.
    return {}


def _result_components(key: str, result: ModelResult) -> list[dict[str, Any]]:
    """Return the result's further findings (band beside a score, yes/no flags) as components."""
    components = []
    if result.band is not None and (result.stage is not None or result.score is not None):
        components.append(
            {
                "code": _concept("band", [_coding(STAGING_MODEL_SYSTEM, f"{key}.band")]),
                "valueString": result.band,
            }
        )
    for name in RESULT_FLAGS:
        value = getattr(result, name)
        if value is not None:
            code = _concept(
                name.replace("_", " "), [_coding(STAGING_MODEL_SYSTEM, f"{key}.{name}")]
            )
            components.append({"code": code, "valueBoolean": value})
    return components


def _staging_observation(
    key: str, result: ModelResult, day: datetime.date, patient_url: str, condition_url: str
) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": _concept(result.label, [_coding(STAGING_MODEL_SYSTEM, key, result.label)]),
        "subject": {"reference": patient_url},
        "focus": [{"reference": condition_url}],
        "effectiveDateTime": day.isoformat(),
        "method": _concept(f"{result.label} {result.version}"),
        **_result_value(result),
    }
    components = _result_components(key, result) if result.applicable else []
    if components:
        observation["component"] = components
    explanation = "\n".join(result.explanation)
    if explanation:
        observation["note"] = [{"text": explanation}]
    return observation


def patient_bundle(data: BundleInput) -> dict[str, Any]:
    """Return the patient's record as a FHIR R4 Bundle (type collection) in JSON form."""
    clinic = data.patient.clinic_id
    patient_url = _full_url(clinic, "patient", data.patient.pk)
    entries: list[tuple[str, dict[str, Any]]] = [(patient_url, _patient(data.patient))]
    condition_urls = {
        episode.pk: _full_url(clinic, "episode", episode.pk) for episode in data.episodes
    }
    for episode in data.episodes:
        entries.append((condition_urls[episode.pk], _condition(episode, data.patient, patient_url)))
    trial_urls = {trial.pk: _full_url(clinic, "trial", trial.pk) for trial in data.trials}
    for trial in data.trials:
        resource = (
            _medication_statement(trial, patient_url, trial_urls)
            if trial.kind in MEDICATION_KINDS
            else _procedure(trial, patient_url, trial_urls)
        )
        resource["reasonReference"] = [{"reference": condition_urls[trial.episode_id]}]
        entries.append((trial_urls[trial.pk], resource))
    for score in data.scores:
        observation = _scale_observation(score, patient_url)
        observation["focus"] = [{"reference": condition_urls[score.episode_id]}]
        entries.append((_full_url(clinic, "score", score.pk), observation))
    if data.staged_episode is not None and data.assessment_date is not None:
        condition_url = condition_urls[data.staged_episode.pk]
        for key, result in data.results.items():
            observation = _staging_observation(
                key, result, data.assessment_date, patient_url, condition_url
            )
            url = _full_url(clinic, f"staging/{data.assessment_date.isoformat()}", key)
            entries.append((url, observation))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }


def bundle_references(bundle: Mapping[str, Any]) -> list[str]:
    """Return every `reference` value anywhere in a bundle (for the self-containment check)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "reference" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(bundle)
    return found
