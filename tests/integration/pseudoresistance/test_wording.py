"""No impasse page calls a patient "treatment-resistant": the treatments tried meet definitions.

Every page of the app is rendered in every case status, with a case in every state, a review, the
form errors and the patient panel, and the HTML is scanned for the label.
"""

import datetime
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.checklist_data import CaseStatus
from pseudoresistance.models import ImpasseCase
from pseudoresistance.selectors import episode_assessment, patient_impasse_panel
from pseudoresistance.services import (
    AnswerInput,
    ReviewInput,
    checklist_answers_record,
    impasse_case_flag,
    impasse_review_sign_off,
    impasse_review_start,
)
from records.access import ClinicAccess
from records.models import Clinic, Diagnosis, Episode, TreatmentTrial
from tests.factories import EpisodeFactory, PatientFactory, ScaleAdministrationFactory
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db

LABEL = re.compile(r"treatment[\s\-\u2010\u2011]+resistant", re.IGNORECASE)


def assert_no_label(html: str) -> None:
    found = LABEL.search(html)
    assert found is None, html[max(found.start() - 200, 0) : found.end() + 200]


@pytest.fixture
def statuses(
    clinic: Clinic,
    psychiatrist: User,
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
    verify_red_items: Callable[..., None],
) -> list[Episode]:
    """Episodes in every case status, with contributors, gaps, exclusions and process items."""
    failed_trial()
    failed_trial("venlafaxine", 150)
    verify_red_items(episode, psychiatrist)
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[
            AnswerInput(item_code="E1", answer="yes"),
            AnswerInput(item_code="F2", answer="no"),
        ],
    )
    onset = timezone.localdate() - datetime.timedelta(days=150)
    unverified = EpisodeFactory(patient=PatientFactory(clinic=clinic), onset_date=onset)
    inadequate = EpisodeFactory(patient=PatientFactory(clinic=clinic), onset_date=onset)
    bipolar = EpisodeFactory(
        patient=PatientFactory(clinic=clinic, diagnosis=Diagnosis.MDD_BIPOLARITY_SUSPECTED),
        onset_date=onset,
    )
    empty = EpisodeFactory(patient=PatientFactory(clinic=clinic), onset_date=onset)
    for other in (unverified, inadequate, bipolar):
        for agent, dose in (("sertraline", 100), ("venlafaxine", 150)):
            failed_trial(agent, dose, episode=other)
    verify_red_items(inadequate, psychiatrist)
    verify_red_items(empty, psychiatrist)
    answers = [
        AnswerInput(item_code="A5", trial_id=trial.pk, answer="yes", expected_version=1)
        for trial in inadequate.trials.all()
    ]
    checklist_answers_record(acting_user=psychiatrist, episode_id=inadequate.pk, answers=answers)
    ScaleAdministrationFactory(episode=bipolar, scale="HAMD17", items={"3": 3})
    episodes = [episode, unverified, inadequate, bipolar, empty]
    found = {episode_assessment(e).status.status for e in episodes}
    assert found == set(CaseStatus)
    return episodes


def test_no_page_calls_a_patient_treatment_resistant(
    signed_in: Callable[[User], Client],
    psychiatrist: User,
    supervisor: User,
    other_supervisor: User,
    statuses: list[Episode],
    access_of: Callable[[User], ClinicAccess],
) -> None:
    first, unverified, inadequate, bipolar, _ = statuses
    reviewed = ImpasseCase.objects.get(episode=first)
    review = impasse_review_start(acting_user=supervisor, case_id=reviewed.pk)
    impasse_review_sign_off(
        acting_user=supervisor,
        case_id=reviewed.pk,
        data=ReviewInput(findings="Seen.", next_steps="Plan.", factors=("E1",)),
        expected_version=review.version,
    )
    under_review = impasse_case_flag(
        acting_user=psychiatrist, episode_id=bipolar.pk, reason="Alert."
    )
    impasse_review_start(acting_user=other_supervisor, case_id=under_review.pk)
    impasse_case_flag(acting_user=psychiatrist, episode_id=unverified.pk, reason="Waiting.")

    client = signed_in(supervisor)
    pages = [reverse("pseudoresistance:queue")]
    pages += [
        f"{reverse('pseudoresistance:queue')}?state={state}"
        for state in ("open", "under_review", "reviewed", "closed")
    ]
    pages += [reverse("pseudoresistance:case", args=[case.pk]) for case in (reviewed, under_review)]
    pages += [reverse("pseudoresistance:episode", args=[e.pk]) for e in statuses]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_no_label(response.content.decode())
    verified_login(client, other_supervisor)
    reviewing = client.get(reverse("pseudoresistance:case", args=[under_review.pk]))
    assert 'data-testid="review-form"' in reviewing.content.decode()
    assert_no_label(reviewing.content.decode())
    refused = client.post(
        reverse("pseudoresistance:review-save", args=[under_review.pk]),
        {"version": "1", "action": "sign_off"},
    )
    assert_no_label(refused.content.decode())

    verified_login(client, psychiatrist)
    errors = client.post(
        reverse("pseudoresistance:checklist-answers", args=[inadequate.pk]),
        {"dB-evidence_B2": "x"},
    )
    assert errors.status_code == 200
    assert_no_label(errors.content.decode())
    for episode in statuses:
        panel = patient_impasse_panel(access=access_of(psychiatrist), patient_id=episode.patient_id)
        html = render_to_string("pseudoresistance/_patient_panel.html", {"panel": panel})
        assert 'data-testid="panel-status"' in html
        assert_no_label(html)


def test_the_scan_would_catch_the_label() -> None:
    for text in ("a treatment-resistant patient", "Treatment resistant depression"):
        with pytest.raises(AssertionError):
            assert_no_label(text)
