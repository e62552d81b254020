"""Two supervisors starting a review of one case at the same moment: one wins, one is refused."""

import threading

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection

from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.services import IMPASSE_REVIEW_OBJECT, impasse_review_start
from pseudoresistance.states import CaseState
from records.models import AuditEvent, Episode
from tests.factories import ImpasseCaseFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_reviews_started_at_once_one_is_refused(
    episode: Episode, psychiatrist: User, supervisor: User, other_supervisor: User
) -> None:
    case: ImpasseCase = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start(user: User) -> None:
        barrier.wait()
        try:
            impasse_review_start(acting_user=user, case_id=case.pk)
            outcomes.append("started")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=start, args=(user,)) for user in (supervisor, other_supervisor)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(
        ["started", "Only an open case can be taken for review; this case is under review."]
    )
    case.refresh_from_db()
    assert case.state == CaseState.UNDER_REVIEW
    assert ImpasseReview.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(object_type=IMPASSE_REVIEW_OBJECT).count() == 1
