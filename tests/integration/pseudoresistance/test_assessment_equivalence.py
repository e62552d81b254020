"""The episode assessment made from compact inputs (issue 18) reads as the full item grid did.

Over the demo clinic's vignettes and random bench histories with random stored answers: each
trial's rows are exactly its kind's items with their stored or derived answer, and the status
equals the item-by-item reading of every row (tests/unit/pseudoresistance/
test_status_equivalence.py holds that reference).
"""

import random

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from bench.clinic import load_clinic, plan_clinic
from pseudoresistance import checklist_data as data
from pseudoresistance.models import ChecklistAnswer, ChecklistItem, ChecklistReview
from pseudoresistance.selectors import (
    EpisodeAssessment,
    current_checklist_version,
    episode_assessment,
)
from pseudoresistance.status import Effective, TrialFacts
from records.demo import DEMO_CLINIC_NAME, demo_clinic_create
from records.models import Clinic, Episode
from tests.unit.pseudoresistance.test_status_equivalence import (
    assert_same_report,
    reference_report,
)


def _full_grid_effective(
    assessment: EpisodeAssessment,
) -> dict[tuple[str, str | None], Effective]:
    """Check every row against the item grid; return the answers that stand, by (item, trial)."""
    trial_items = [item for item in assessment.items if item.scope is data.Scope.TRIAL]
    answers: dict[tuple[str, str | None], Effective] = {}
    for section in assessment.trial_sections:
        kind = section.trial.kind
        expected = [item.code for item in trial_items if data.item_applies(item.code, kind)]
        assert [row.code for row in section.rows] == expected
        for row in section.rows:
            assert row.trial == section.trial
            if row.stored is not None:
                assert row.effective == Effective(
                    data.Answer(row.stored.answer), row.stored.escalated, derived=False
                )
            elif row.derived is not None:
                assert row.effective == Effective(
                    row.derived.answer, row.derived.escalate, derived=True
                )
            else:
                assert row.effective == Effective()
            answers[(row.code, section.trial.code)] = row.effective
    for domain_section in assessment.domain_sections:
        for row in domain_section.rows:
            answers[(row.code, None)] = row.effective
    return answers


def _assert_reads_as_the_grid(assessment: EpisodeAssessment) -> None:
    answers = _full_grid_effective(assessment)
    facts = [
        TrialFacts(s.trial.code, s.claimed_failure, s.trial.kind) for s in assessment.trial_sections
    ]
    reference = reference_report(items=assessment.items, trials=facts, answers=answers)
    assert_same_report(assessment.status, reference)


def _answer_at_random(episode: Episode, rng: random.Random, user: User) -> None:
    """Store random answers (Yes, No, Unknown, some escalated) on random items of the episode."""
    version = current_checklist_version()
    review = ChecklistReview.objects.create(
        episode=episode, version=version, created_by=user, updated_by=user
    )
    items = {item.code: item for item in ChecklistItem.objects.filter(version=version)}
    trials = list(episode.trials.all())
    now = timezone.now()
    answers = []
    seen = set()
    for _ in range(rng.randrange(40)):
        item = data.ITEMS[rng.randrange(len(data.ITEMS))]
        trial = rng.choice(trials) if item.scope is data.Scope.TRIAL and trials else None
        if (item.scope is data.Scope.TRIAL and trial is None) or (item.code, trial) in seen:
            continue
        seen.add((item.code, trial))
        escalated = item.can_escalate and rng.random() < 0.3
        answers.append(
            ChecklistAnswer(
                review=review,
                item=items[item.code],
                trial=trial,
                answer=rng.choice(list(data.Answer)).value,
                escalated=escalated,
                escalation_reason="Seen in clinic." if escalated else "",
                answered_by=user,
                answered_at=now,
            )
        )
    ChecklistAnswer.objects.bulk_create(answers)


@pytest.mark.django_db
def test_every_demo_vignette_reads_as_the_item_grid() -> None:
    demo_clinic_create()
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    episodes = list(Episode.objects.filter(patient__clinic=clinic).select_related("patient"))
    assert episodes
    for episode in episodes:
        _assert_reads_as_the_grid(episode_assessment(episode))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_with_random_answers_read_as_the_item_grid(
    clinic: Clinic, psychiatrist: User, seed: int
) -> None:
    load_clinic(plan_clinic(12, seed), clinic, psychiatrist)
    rng = random.Random(seed)
    episodes = list(Episode.objects.filter(patient__clinic=clinic).order_by("pk"))
    for episode in episodes:
        if rng.random() < 0.7:
            _answer_at_random(episode, rng, psychiatrist)
    for episode in episodes:
        single = episode_assessment(Episode.objects.select_related("patient").get(pk=episode.pk))
        _assert_reads_as_the_grid(single)
