"""The timeline table's rows written in Python (issue 18) are the rows the template wrote.

OLD_ROWS (old_timeline_rows.html) is the loop templates/records/_timeline.html ran (the
reference): over random bench histories and hostile text the Python rows must be the same bytes.
"""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.utils.html import json_script

from bench.clinic import load_clinic, plan_clinic
from records.access import ClinicAccess
from records.charts import Timeline, patient_timeline
from records.models import Clinic, Patient
from records.selectors import patient_detail
from records.views.trial_rows import json_script_html, timeline_rows_html
from tests.factories import EpisodeFactory, PatientFactory, ScaleAdministrationFactory, TrialFactory

OLD_ROWS = (Path(__file__).parent / "old_timeline_rows.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _timeline(access: ClinicAccess, patient: Patient) -> Timeline:
    detail = patient_detail(access=access, patient_id=patient.pk)
    return patient_timeline(detail.scales, detail.trials, detail.assessment_date)


def _assert_same_rows(timeline: Timeline) -> None:
    old = Template(OLD_ROWS).render(Context({"timeline": timeline}))
    assert str(timeline_rows_html(timeline.entries)) == old
    # The figure's script as |json_script wrote it (templates/records/_timeline.html did).
    assert str(json_script_html(timeline.figure, "score-timeline-data")) == json_script(
        timeline.figure, "score-timeline-data"
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_random_histories_render_the_same_timeline_rows(
    clinic: Clinic, psychiatrist: User, access_of, seed: int
) -> None:
    load_clinic(plan_clinic(6, seed), clinic, psychiatrist)
    access = access_of(psychiatrist)
    shown = 0
    for patient in Patient.objects.filter(clinic=clinic):
        timeline = _timeline(access, patient)
        shown += len(timeline.entries)
        _assert_same_rows(timeline)
    assert shown


def test_hostile_trial_names_render_the_same_and_escaped(
    clinic: Clinic, psychiatrist: User, access_of
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(patient=patient, onset_date=datetime.date(2024, 1, 1))
    TrialFactory(
        episode=episode,
        code="T1",
        seq=1,
        agent=None,
        agent_name=HOSTILE,
        start_date=datetime.date(2024, 3, 1),
        end_date=datetime.date(2024, 5, 9),
    )
    ScaleAdministrationFactory(episode=episode, administered_on=datetime.date(2024, 2, 29))
    timeline = _timeline(access_of(psychiatrist), patient)
    _assert_same_rows(timeline)
    html = str(timeline_rows_html(timeline.entries))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    script = str(json_script_html(timeline.figure, "score-timeline-data"))
    assert script.count("<script") == 1
    assert script.count("</script>") == 1
    assert "\\u003Cscript\\u003E" in script
    assert "29 Feb 2024" in html
