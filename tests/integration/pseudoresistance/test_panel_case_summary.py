"""The patient page's impasse panel reads a lighter case summary (issue 18): the same case and
latest signed review as the checklist page's summary, without its events or review in progress."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.selectors import case_summary, panel_case_summary
from records.models import Episode
from tests.factories import ImpasseCaseFactory

pytestmark = pytest.mark.django_db


def _review(case: ImpasseCase, reviewer: User, days_ago: int, *, signed: bool) -> ImpasseReview:
    started = timezone.now() - datetime.timedelta(days=days_ago)
    return ImpasseReview.objects.create(
        case=case,
        reviewer=reviewer,
        started_at=started,
        findings=f"Findings {days_ago} days ago.",
        next_steps=f"Next steps {days_ago} days ago.",
        signed_off_at=started + datetime.timedelta(hours=1) if signed else None,
    )


def _assert_same(episode: Episode) -> None:
    full, panel = case_summary(episode), panel_case_summary(episode)
    assert panel.case == full.case
    assert panel.latest_review == full.latest_review
    assert panel.events == ()


def test_no_case_gives_no_case_and_no_review(episode: Episode) -> None:
    _assert_same(episode)
    assert panel_case_summary(episode).case is None


def test_the_latest_signed_review_is_the_checklist_pages_one_with_one_in_progress(
    episode: Episode, psychiatrist: User, supervisor: User
) -> None:
    case = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    _review(case, supervisor, 30, signed=True)
    newer = _review(case, supervisor, 10, signed=True)
    _review(case, supervisor, 1, signed=False)
    _assert_same(episode)
    summary = panel_case_summary(episode)
    assert summary.latest_review == newer
    # The safety line reads the screen: loaded with the review, no query more.
    with CaptureQueriesContext(connection) as queries:
        assert summary.latest_review is not None
        summary.latest_review.safety_acknowledgement  # noqa: B018
        list(summary.latest_review.factors.all())
    assert not queries.captured_queries


def test_the_patient_page_shows_the_case_and_the_latest_signed_review(
    signed_in: Callable[[User], Client], episode: Episode, psychiatrist: User, supervisor: User
) -> None:
    case = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    _review(case, supervisor, 30, signed=True)
    _review(case, supervisor, 10, signed=True)
    html = (
        signed_in(psychiatrist)
        .get(reverse("records:patient-detail", args=[episode.patient_id]))
        .content.decode()
    )
    panel = html.split('data-testid="impasse-panel"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="panel-case-state"' in panel
    assert "Next steps 10 days ago." in panel
    assert "Next steps 30 days ago." not in panel
