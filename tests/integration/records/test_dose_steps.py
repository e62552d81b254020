"""Dose steps and weeks from the dates: saved and audited with the trial, judged through the
adapter the same on the form, the patient page and a JSON round trip."""

import datetime
import html
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records.dose_steps import StepEntry
from records.history import STOPPED_FOR_ADVERSE_EFFECTS, assess_trials, episode_history
from records.models import AuditEvent, TreatmentTrial, TrialKind
from records.models.trial import STEPS_FOR_MEDICATION, STEPS_NEED_TWO, STEPS_REPLACE_DOSE
from records.report import patient_report
from records.services import StaleEditError, TrialInput, trial_record, trial_update
from records.services.csv_import import csv_import
from records.services.exchange import patient_history_export, patient_history_import
from staging.history import Params
from tests.factories import PatientFactory, builtin_agent

from .conftest import ONSET
from .test_csv_import import csv_bytes, refused, row

START = ONSET + datetime.timedelta(days=7)
TITRATION = (
    StepEntry(Decimal(50), START),
    StepEntry(Decimal(150), START + datetime.timedelta(weeks=4)),
)
END = START + datetime.timedelta(weeks=12)
WORKED_EXAMPLE = "150 mg/day for 8 weeks, after 4 weeks at 50 mg"


def titrated(**changes: object) -> TrialInput:
    data = TrialInput(
        kind=TrialKind.ANTIDEPRESSANT,
        start_date=START,
        end_date=END,
        agent=builtin_agent("sertraline"),
        dose_steps=TITRATION,
        adherence="good",
        percent_symptom_reduction=Decimal(20),
    )
    return replace(data, **changes)


def judged(episode):
    history = episode_history(episode, assessment_date=timezone.localdate())
    trials = list(TreatmentTrial.objects.filter(episode=episode).select_related("agent"))
    return history, assess_trials(history, Params(), trials)


def test_a_titrated_course_is_one_trial_judged_at_its_best_pair(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated())

    history, assessments = judged(episode)
    [staged] = history.trials
    assert (staged.dose_mg_per_day, staged.weeks) == (150.0, 8.0)
    assessment = assessments[trial.code]
    assert assessment.adequate
    assert assessment.reasons[0] == WORKED_EXAMPLE
    assert trial.amount_text(weeks=True) == "50 → 150 mg/day · 12 weeks"


def test_the_steps_are_audited_with_the_trial_and_keep_its_version(episode, psychiatrist):
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated())
    [created] = AuditEvent.objects.filter(object_type="trial", object_id=trial.pk)
    assert '"dose_mg_per_day": "150"' in created.changes["dose_steps"][1]

    reduced = (*TITRATION[:1], StepEntry(Decimal(100), TITRATION[1].start_date))
    updated = trial_update(
        acting_user=psychiatrist,
        trial_id=trial.pk,
        expected_version=1,
        data=titrated(dose_steps=reduced),
    )
    assert updated.version == 2
    event = AuditEvent.objects.filter(object_type="trial", object_id=trial.pk).latest("id")
    old, new = event.changes["dose_steps"]
    assert '"150"' in old
    assert '"100"' in new
    with pytest.raises(StaleEditError):
        trial_update(
            acting_user=psychiatrist, trial_id=trial.pk, expected_version=1, data=titrated()
        )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_steps": TITRATION[:1]}, "dose_steps", STEPS_NEED_TWO),
        (
            {"kind": TrialKind.PSYCHOTHERAPY, "agent": None, "sessions": 12},
            "dose_steps",
            STEPS_FOR_MEDICATION,
        ),
        (
            {"dose_mg_per_day": Decimal(150)},
            "dose_steps",
            STEPS_REPLACE_DOSE.format(field="the dose"),
        ),
        (
            {"dose_steps": (TITRATION[1], TITRATION[0])},
            "dose_steps",
            "Step 2 starts before the step above it: list the steps in order.",
        ),
        (
            {"end_date": START + datetime.timedelta(weeks=2)},
            "dose_steps",
            "Step 2 starts after the trial ends.",
        ),
    ],
)
def test_malformed_steps_are_refused_by_name(episode, psychiatrist, changes, field, message):
    with pytest.raises(ValidationError) as error:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated(**changes))
    assert message in error.value.message_dict[field]
    assert not TreatmentTrial.objects.exists()


def test_empty_weeks_are_counted_from_the_dates(episode, psychiatrist):
    data = titrated(dose_steps=(), dose_mg_per_day=Decimal(100))
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    assert trial.weeks is None
    [staged] = judged(episode)[0].trials
    assert staged.weeks == 12.0


def test_weeks_fewer_than_the_dates_need_a_reason_which_is_audited(episode, psychiatrist):
    data = titrated(dose_steps=(), dose_mg_per_day=Decimal(100), weeks=Decimal(8))
    with pytest.raises(ValidationError) as error:
        trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    [message] = error.value.message_dict["weeks_reason"]
    assert message.startswith("The dates give 12 weeks; 8 weeks at dose is more than a week")

    reason = "Four weeks off treatment in hospital"
    trial = trial_record(
        acting_user=psychiatrist, episode_id=episode.pk, data=replace(data, weeks_reason=reason)
    )
    assert trial.weeks_reason == reason
    [event] = AuditEvent.objects.filter(object_type="trial", object_id=trial.pk)
    assert event.changes["weeks_reason"] == [None, reason]
    assert judged(episode)[0].trials[0].weeks == 8.0


def test_weeks_within_a_week_of_the_dates_need_no_reason(episode, psychiatrist):
    data = titrated(dose_steps=(), dose_mg_per_day=Decimal(100), weeks=Decimal(11))
    assert trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data).pk


def test_stopping_for_adverse_effects_shows_in_the_reasons(episode, psychiatrist):
    data = titrated(reason_stopped="adverse_effects")
    trial = trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=data)
    assert STOPPED_FOR_ADVERSE_EFFECTS in judged(episode)[1][trial.code].reasons


def test_the_steps_survive_a_json_round_trip_and_stage_the_same(
    episode, psychiatrist, clinic, access_of
):
    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated())
    access = access_of(psychiatrist)
    day = END + datetime.timedelta(days=1)
    document = patient_history_export(
        access=access, patient_id=episode.patient_id, assessment_date=day
    )
    [item] = document["trials"]
    assert (item["dose_mg_per_day"], item["weeks"]) == (150.0, 8.0)
    assert [step["dose_mg_per_day"] for step in item["dose_steps"]] == [50.0, 150.0]

    other = PatientFactory(clinic=clinic, diagnosis=episode.patient.diagnosis)
    imported = patient_history_import(
        access=access, patient=other, data=document, acting_user=psychiatrist
    )
    [copy] = imported.trials.all()
    assert copy.dose_mg_per_day is None
    assert [step.dose_mg_per_day for step in copy.steps()] == [Decimal(50), Decimal(150)]
    assert [step.weeks for step in copy.steps()] == [Decimal(4), Decimal(8)]
    again = patient_history_export(access=access, patient_id=other.pk, assessment_date=day)
    assert again["trials"] == document["trials"]


def test_malformed_steps_in_a_file_are_named_and_nothing_is_imported(
    clinic, psychiatrist, episode, access_of
):
    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated())
    access = access_of(psychiatrist)
    document = patient_history_export(access=access, patient_id=episode.patient_id)
    document["trials"][0]["dose_steps"] = [{"dose_mg_per_day": "fifty"}]
    other = PatientFactory(clinic=clinic, diagnosis=episode.patient.diagnosis)
    with pytest.raises(ValidationError) as error:
        patient_history_import(
            access=access, patient=other, data=document, acting_user=psychiatrist
        )
    assert "trials[T1].dose_steps" in error.value.message_dict
    assert not other.episodes.exists()


def step_data(**changes: str) -> dict[str, str]:
    data = {
        "kind": "antidepressant",
        "agent_text": "Zoloft",
        "adherence": "good",
        "percent_symptom_reduction": "20",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "step_dose_1": "50",
        "step_start_1": START.isoformat(),
        "step_dose_2": "150",
        "step_start_2": TITRATION[1].start_date.isoformat(),
    }
    return {**data, **changes}


def test_the_form_saves_two_steps_and_the_live_panel_shows_the_pair(
    signed_in, psychiatrist, episode
):
    client = signed_in(psychiatrist)
    url = reverse("records:trial-create", args=[episode.patient_id, episode.pk])
    live = client.post(url, step_data(), HTTP_HX_REQUEST="true")
    assert WORKED_EXAMPLE in html.unescape(live.content.decode())
    assert live.context["feedback"].adequate

    response = client.post(url, step_data())
    assert response.status_code == 302
    trial = TreatmentTrial.objects.get()
    assert trial.agent == builtin_agent("sertraline")
    assert [step["dose_mg_per_day"] for step in trial.dose_steps] == ["50", "150"]

    page = client.get(reverse("records:patient-detail", args=[episode.patient_id]))
    assert WORKED_EXAMPLE in html.unescape(page.content.decode())
    edit = client.get(reverse("records:trial-update", args=[episode.patient_id, trial.pk]))
    assert edit.context["form"].initial["step_dose_2"] == "150"


def test_a_step_without_its_dose_is_a_field_error_with_everything_kept(
    signed_in, psychiatrist, episode
):
    url = reverse("records:trial-create", args=[episode.patient_id, episode.pk])
    response = signed_in(psychiatrist).post(url, step_data(step_dose_2="", step_weeks_2="8"))
    assert response.status_code == 200
    assert "Give this step's dose." in response.context["form"].errors["step_dose_2"]
    assert response.context["form"]["step_weeks_2"].value() == "8"
    assert not TreatmentTrial.objects.exists()


def test_the_report_gives_a_stepped_course_and_the_weeks_staging_judged(
    episode, psychiatrist, access_of
):
    trial_record(acting_user=psychiatrist, episode_id=episode.pk, data=titrated())
    report = patient_report(access=access_of(psychiatrist), patient_id=episode.patient_id)
    [line] = report.trials
    assert line.amount == WORKED_EXAMPLE
    assert line.weeks == "8"


def test_csv_weeks_fewer_than_the_dates_need_the_weeks_reason_column(clinic, psychiatrist):
    short = row(end_date="2024-08-07", weeks="8")
    [problem] = refused(psychiatrist, clinic, csv_bytes(short))
    assert (problem.row, problem.column) == (2, "weeks_reason")
    assert "more than a week fewer" in problem.message

    reason = "Four weeks off treatment"
    csv_import(
        acting_user=psychiatrist, clinic=clinic, data=csv_bytes({**short, "weeks_reason": reason})
    )
    assert TreatmentTrial.objects.get().weeks_reason == reason
