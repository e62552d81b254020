"""The score table's rows written in Python (issue 18) are the rows the template wrote.

OLD_ROWS (old_score_rows.html) is the loop templates/records/patient_detail.html ran (the
reference): over random bench histories, fractional and missing totals, a highlighted score and
hostile text, the Python rows must be the same markup (whitespace between tags aside).
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template

from bench.clinic import load_clinic, plan_clinic
from records.access import ClinicAccess
from records.models import Clinic, Patient, ScaleAdministration
from records.selectors import patient_detail
from records.views.patients import _score_lines
from records.views.trial_rows import score_rows_html
from tests.factories import EpisodeFactory, PatientFactory, ScaleAdministrationFactory

OLD_ROWS = (Path(__file__).parent / "old_score_rows.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _normal(html: str) -> str:
    """Collapse whitespace and drop it around tags: the browser shows both the same."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def _assert_same_rows(access: ClinicAccess, patient: Patient, highlighted: str = "") -> str:
    detail = patient_detail(access=access, patient_id=patient.pk)
    for can_edit in (True, False):
        lines = _score_lines(detail.scales, highlighted, patient.pk, can_edit=can_edit)
        assert lines
        new = str(score_rows_html(lines, can_edit=can_edit))
        context = Context({"score_lines": lines, "can_edit": can_edit, "patient": patient})
        assert _normal(new) == _normal(Template(OLD_ROWS).render(context))
    return new


@pytest.mark.parametrize("seed", [1, 2])
def test_random_histories_render_the_same_score_rows(
    clinic: Clinic, psychiatrist: User, access_of, seed: int
) -> None:
    load_clinic(plan_clinic(6, seed), clinic, psychiatrist)
    access = access_of(psychiatrist)
    for patient in Patient.objects.filter(clinic=clinic):
        if ScaleAdministration.objects.filter(episode__patient=patient).exists():
            _assert_same_rows(access, patient)


def test_fractions_a_missing_total_a_highlight_and_hostile_text_render_the_same(
    clinic: Clinic, psychiatrist: User, access_of
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(patient=patient, onset_date=datetime.date(2024, 1, 1))
    first = ScaleAdministrationFactory(
        episode=episode, administered_on=datetime.date(2024, 1, 5), rater=HOSTILE
    )
    ScaleAdministrationFactory(
        episode=episode,
        administered_on=datetime.date(2024, 2, 29),
        total=Decimal("12.50"),
        scale_version=HOSTILE[:20],
    )
    ScaleAdministrationFactory(episode=episode, administered_on=datetime.date(2024, 3, 1), total=0)
    # The WPAI has no single total.
    ScaleAdministrationFactory(
        episode=episode, administered_on=datetime.date(2024, 3, 2), scale="WPAI", total=None
    )
    html = _assert_same_rows(access_of(psychiatrist), patient, highlighted=str(first.pk))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "29 Feb 2024" in html
