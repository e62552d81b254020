"""The trial table's rows written in Python (issue 18) are the rows the template wrote.

OLD_ROWS (old_trial_rows.html) is the row markup as the template engine writes it (the reference);
over random bench histories, overrides, an earlier episode, an augmentation and hostile text,
the Python rows must be the same markup (whitespace between tags aside) and escape everything.
"""

import datetime
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.utils import timezone

from bench.clinic import load_clinic, plan_clinic
from records.access import ClinicAccess
from records.models import Clinic, Patient, TreatmentTrial, TrialOutcome
from records.selectors import patient_detail
from records.views.patients import _trial_lines
from records.views.trial_rows import trial_rows_html
from tests.factories import EpisodeFactory, PatientFactory, TrialFactory

# The row markup of templates/records/patient_detail.html as a template (the reference).
OLD_ROWS = (Path(__file__).parent / "old_trial_rows.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _normal(html: str) -> str:
    """Collapse whitespace and drop it around tags: the browser shows both the same."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def _old(lines: list, can_edit: bool) -> str:  # type: ignore[type-arg]
    context = Context({"trial_lines": lines, "can_edit": can_edit})
    return Template(OLD_ROWS).render(context)


def _assert_same_rows(access: ClinicAccess, patient: Patient) -> None:
    detail = patient_detail(access=access, patient_id=patient.pk)
    for can_edit in (True, False):
        lines = _trial_lines(detail.trials, patient.pk, can_edit=can_edit)
        assert lines
        new = str(trial_rows_html(lines, can_edit=can_edit))
        assert _normal(new) == _normal(_old(lines, can_edit))


@pytest.mark.parametrize("seed", [1, 2])
def test_random_histories_render_the_same_rows(
    clinic: Clinic, psychiatrist: User, access_of, seed: int
) -> None:
    load_clinic(plan_clinic(6, seed), clinic, psychiatrist)
    rng = random.Random(seed)
    now = timezone.now()
    trials = list(TreatmentTrial.objects.filter(episode__patient__clinic=clinic))
    for trial in rng.sample(trials, k=len(trials) // 4):
        TreatmentTrial.objects.filter(pk=trial.pk).update(
            override_adequate=rng.random() < 0.5,
            override_reason="Seen at the clinic.",
            override_by=psychiatrist,
            override_at=now,
        )
    access = access_of(psychiatrist)
    for patient in Patient.objects.filter(clinic=clinic):
        _assert_same_rows(access, patient)


def test_an_earlier_episode_an_augmentation_and_hostile_text_render_the_same(
    clinic: Clinic, psychiatrist: User, access_of
) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    earlier = EpisodeFactory(
        patient=patient,
        onset_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2020, 12, 1),
    )
    episode = EpisodeFactory(patient=patient, onset_date=datetime.date(2024, 1, 1))
    TrialFactory(episode=earlier, code="T1", seq=1, start_date=datetime.date(2020, 2, 1))
    base = TrialFactory(
        episode=episode,
        code="T2",
        seq=2,
        end_date=datetime.date(2024, 4, 1),
        override_adequate=False,
        override_reason=HOSTILE,
        override_by=psychiatrist,
        override_at=timezone.now(),
    )
    TrialFactory(
        episode=episode,
        code="T3",
        seq=3,
        kind="augmentation",
        agent=None,
        agent_name=HOSTILE,
        dose_mg_per_day=Decimal(600),
        augments=base,
        start_date=datetime.date(2024, 3, 1),
        outcome=TrialOutcome.SWITCH_TO_MANIA,
    )
    access = access_of(psychiatrist)
    _assert_same_rows(access, patient)
    detail = patient_detail(access=access, patient_id=patient.pk)
    html = str(
        trial_rows_html(_trial_lines(detail.trials, patient.pk, can_edit=True), can_edit=True)
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
