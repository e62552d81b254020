"""The patient page's staging panel rows written in Python (issue 18) are the rows its template
wrote: OLD_ROWS (old_staging_panel_rows.html) is that loop, the reference; over random bench
histories and hostile text the Python rows must be the same bytes and escape everything."""

import dataclasses
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template

from bench.clinic import load_clinic, plan_clinic
from records.models import Clinic, Patient
from records.selectors import patient_detail
from records.staging import StagingPanel, staging_panel_for

OLD_ROWS = (Path(__file__).parent / "old_staging_panel_rows.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _assert_same_rows(panel: StagingPanel) -> None:
    old = Template(OLD_ROWS).render(Context({"panel": panel}))
    assert str(panel.rows_html()) == old


@pytest.mark.parametrize("seed", [1, 2])
def test_random_histories_render_the_same_staging_rows(
    clinic: Clinic, psychiatrist: User, access_of, seed: int
) -> None:
    load_clinic(plan_clinic(6, seed), clinic, psychiatrist)
    access = access_of(psychiatrist)
    shown = 0
    for patient in Patient.objects.filter(clinic=clinic):
        panel = staging_panel_for(patient_detail(access=access, patient_id=patient.pk))
        shown += len(panel.rows)
        _assert_same_rows(panel)
    assert shown


def test_hostile_text_renders_the_same_and_escaped(
    clinic: Clinic, psychiatrist: User, access_of
) -> None:
    load_clinic(plan_clinic(1, 3), clinic, psychiatrist)
    patient = Patient.objects.filter(clinic=clinic).first()
    assert patient is not None
    panel = staging_panel_for(patient_detail(access=access_of(psychiatrist), patient_id=patient.pk))
    rows = tuple(
        dataclasses.replace(
            row,
            name=HOSTILE,
            result_text=HOSTILE,
            meaning=f"{HOSTILE} [sources: {HOSTILE}]",
            details=(HOSTILE, "plain"),
            applicable=index % 2 == 0,
        )
        for index, row in enumerate(panel.rows)
    )
    hostile = dataclasses.replace(panel, rows=rows)
    _assert_same_rows(hostile)
    html = str(hostile.rows_html())
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'class="text-muted"' in html
