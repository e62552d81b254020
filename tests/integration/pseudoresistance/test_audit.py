"""Audit events are written in the transaction of the change: a failed write undoes the change."""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection

from pseudoresistance.models import ChecklistAnswer, ChecklistReview, ImpasseCase, ImpasseReview
from pseudoresistance.services import (
    AnswerInput,
    checklist_answers_record,
    impasse_case_flag,
    impasse_review_start,
)
from pseudoresistance.states import CaseState
from records.models import Episode
from tests.factories import ImpasseCaseFactory

pytestmark = pytest.mark.django_db

FAIL_AUDIT_INSERTS = """
CREATE FUNCTION test_refuse_impasse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit insert refused for the test'; END; $$;
CREATE TRIGGER test_refuse_impasse_audit BEFORE INSERT ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION test_refuse_impasse_audit();
"""


def test_a_failed_audit_write_rolls_every_change_back(
    episode: Episode, psychiatrist: User, supervisor: User
) -> None:
    case = ImpasseCaseFactory(episode=episode)
    with connection.cursor() as cursor:
        cursor.execute(FAIL_AUDIT_INSERTS)

    with pytest.raises(DatabaseError, match="audit insert refused"):
        checklist_answers_record(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            answers=[AnswerInput(item_code="B3", answer="yes")],
        )
    with pytest.raises(DatabaseError, match="audit insert refused"):
        impasse_review_start(acting_user=supervisor, case_id=case.pk)
    case.state = CaseState.CLOSED
    case.save(update_fields=["state"])
    with pytest.raises(DatabaseError, match="audit insert refused"):
        impasse_case_flag(acting_user=psychiatrist, episode_id=episode.pk, reason="Stuck.")

    assert not ChecklistReview.objects.exists()
    assert not ChecklistAnswer.objects.exists()
    assert not ImpasseReview.objects.exists()
    assert list(ImpasseCase.objects.all()) == [case]
