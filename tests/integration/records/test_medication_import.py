"""Medication import: confirmed courses go through the trial service, audited with their source;
the FHIR export's MedicationStatements read back as the same courses (round trip)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from records.demo import vignettes
from records.fhir.medications import ImportProblemError, parse_bundle, parse_csv, propose_courses
from records.models import AuditAction, AuditEvent, TreatmentTrial
from records.models.clinic import SUPPLY_GAP_DEFAULT
from records.models.trial import MEDICATION_KINDS
from records.services.common import ObjectType
from records.services.fhir_export import patient_fhir_export
from records.services.fhir_import import (
    IMPORTED_WEEKS_REASON,
    ConfirmedCourse,
    catalogue_agent,
    medication_courses_import,
)
from records.services.trials import TrialInput, trial_record
from tests.factories import EpisodeFactory, PatientFactory
from tests.integration.records.test_staging_page import vignette_patient
from tests.unit.records.test_medication_import import dispensing_csv

VIGNETTE_IDS = [vignette["id"] for vignette in vignettes()]
READBACK_TYPES = {"Patient", "Condition", "MedicationStatement"}


@pytest.fixture
def access(psychiatrist, access_of):
    return access_of(psychiatrist)


def confirmed(proposal, clinic_id):
    return [
        ConfirmedCourse(
            key=course.key,
            agent=catalogue_agent(clinic_id, course.molecule, course.name),
            kind=course.kind,
            start_date=course.start,
            end_date=course.end,
            dose_mg_per_day=course.dose_mg_per_day,
            weeks=course.weeks,
            adherence=course.adherence,
            augments=course.augments,
            sources=course.sources,
            steps=course.steps if course.stepped else (),
        )
        for course in proposal.courses
    ]


def course_shape(trial):
    return (
        trial.agent.name if trial.agent else trial.agent_name,
        trial.kind,
        trial.start_date,
        trial.end_date,
        trial.dose_mg_per_day.normalize() if trial.dose_mg_per_day is not None else None,
        trial.weeks.normalize() if trial.weeks is not None else None,
        trial.augments.agent.name if trial.augments and trial.augments.agent else None,
        tuple(
            (step.dose_mg_per_day.normalize(), step.weeks and step.weeks.normalize())
            for step in trial.steps()
        ),
    )


def titrate(trial):
    """Give a course a titration: half its dose first, its full dose from a third of the way on."""
    days = (trial.end_date - trial.start_date).days if trial.end_date else 84
    step_start = trial.start_date + datetime.timedelta(days=max(days // 3, 1))
    steps = [
        {
            "dose_mg_per_day": f"{(trial.dose_mg_per_day / 2).normalize():f}",
            "start_date": None,
            "weeks": None,
        },
        {
            "dose_mg_per_day": f"{trial.dose_mg_per_day.normalize():f}",
            "start_date": step_start.isoformat(),
            "weeks": None,
        },
    ]
    TreatmentTrial.objects.filter(pk=trial.pk).update(
        dose_steps=steps, dose_mg_per_day=None, weeks=None, weeks_reason=""
    )


@pytest.mark.parametrize("titrated", [False, True], ids=["as-given", "titrated"])
@pytest.mark.parametrize("vignette_id", VIGNETTE_IDS)
def test_exported_statements_import_as_the_same_courses(access, vignette_id, titrated):
    original = vignette_patient(access, vignette_id)
    if titrated:
        # Each course with a dose is titrated (two dose steps) before the export, so the round
        # trip carries dose steps for every vignette with a medication course.
        for trial in TreatmentTrial.objects.filter(
            episode__patient=original, kind__in=MEDICATION_KINDS, dose_mg_per_day__isnull=False
        ):
            titrate(trial)
    bundle = patient_fhir_export(access=access, patient_id=original.pk)
    bundle["entry"] = [
        entry for entry in bundle["entry"] if entry["resource"]["resourceType"] in READBACK_TYPES
    ]
    medication_trials = [
        t
        for t in TreatmentTrial.objects.filter(episode__patient=original).select_related(
            "agent", "augments__agent"
        )
        if t.kind in MEDICATION_KINDS
    ]
    if not medication_trials:
        with pytest.raises(ImportProblemError):
            parse_bundle(bundle, today=datetime.date.today())
        return
    proposal = propose_courses(
        parse_bundle(bundle, today=datetime.date.today()), max_gap_days=SUPPLY_GAP_DEFAULT
    )
    assert proposal.unknown == ()
    copy = PatientFactory(clinic=access.clinic, diagnosis=original.diagnosis)
    onset = original.episodes.get().onset_date
    EpisodeFactory(patient=copy, onset_date=onset)
    medication_courses_import(
        acting_user=access.user,
        patient=copy,
        courses=confirmed(proposal, access.clinic.pk),
        source_name="export.json",
    )
    imported = TreatmentTrial.objects.filter(episode__patient=copy).select_related(
        "agent", "augments__agent"
    )
    assert sorted(map(course_shape, imported), key=str) == sorted(
        map(course_shape, medication_trials), key=str
    )
    if titrated:
        assert any(trial.dose_steps for trial in imported) == any(
            trial.dose_steps for trial in medication_trials
        )


def test_confirmed_dispensing_courses_are_trials_audited_as_imported(access):
    patient = PatientFactory(clinic=access.clinic)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2022, 1, 1))
    proposal = propose_courses(
        parse_csv(dispensing_csv(), today=datetime.date(2026, 1, 1)),
        max_gap_days=SUPPLY_GAP_DEFAULT,
    )
    trials = medication_courses_import(
        acting_user=access.user,
        patient=patient,
        courses=confirmed(proposal, access.clinic.pk),
        source_name="pharmacy.csv",
    )
    assert [t.agent.name for t in trials] == [
        "sertraline",
        "venlafaxine",
        "venlafaxine",
        "aripiprazole",
        "mirtazapine",
    ]
    assert trials[3].augments == trials[2]
    assert [t.adherence for t in trials] == ["good", "good", "good", "good", "poor"]
    events = AuditEvent.objects.filter(
        action=AuditAction.IMPORT, object_type=ObjectType.TRIAL, patient_id=patient.pk
    )
    assert events.count() == 5
    assert "pharmacy.csv: Row 2, Row 3" in events.get(object_id=trials[0].pk).changes["source"][1]
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type=ObjectType.TRIAL, patient_id=patient.pk
        ).count()
        == 5
    )


def test_weeks_short_of_the_dates_say_why_on_import_as_the_trial_rules_require(access):
    patient = PatientFactory(clinic=access.clinic)
    EpisodeFactory(patient=patient, onset_date=datetime.date(2022, 1, 1))
    course = ConfirmedCourse(
        key="C1",
        agent=catalogue_agent(access.clinic.pk, "sertraline"),
        kind="antidepressant",
        start_date=datetime.date(2022, 2, 1),
        end_date=datetime.date(2022, 5, 1),
        dose_mg_per_day=Decimal(100),
        weeks=Decimal(6),
        adherence="",
        augments="",
        sources=("Entry 0",),
    )
    (trial,) = medication_courses_import(
        acting_user=access.user, patient=patient, courses=[course], source_name="ehr.json"
    )
    assert trial.weeks_reason == IMPORTED_WEEKS_REASON
    with pytest.raises(ValidationError) as refused:
        trial_record(
            acting_user=access.user,
            episode_id=trial.episode_id,
            data=TrialInput(
                kind="antidepressant",
                start_date=course.start_date,
                end_date=course.end_date,
                agent=course.agent,
                dose_mg_per_day=course.dose_mg_per_day,
                weeks=course.weeks,
            ),
        )
    assert "weeks_reason" in refused.value.message_dict
