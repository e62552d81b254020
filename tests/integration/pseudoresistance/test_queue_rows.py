"""The impasse queue's rows written in Python (issue 18) are the rows the template wrote.

old_queue_rows.html is the queue's row markup before issue 18; over cases flagged by hand and
automatically, with and without safety alerts, a psychiatrist or none, and hostile text, the
Python rows must be the same markup (whitespace between tags aside) and escape everything.
"""

import re
from pathlib import Path

from django.template import Context, Template

from pseudoresistance.models import CaseOrigin
from pseudoresistance.queue_rows import queue_rows_html
from pseudoresistance.selectors import QueueRow
from tests.factories import EpisodeFactory, PatientFactory
from tests.factories.pseudoresistance import ImpasseCaseFactory

OLD_ROWS = (Path(__file__).parent / "old_queue_rows.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _normal(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def _assert_same(rows: list[QueueRow]) -> str:
    new = str(queue_rows_html(rows))
    old = Template(OLD_ROWS).render(Context({"rows": rows}))
    assert _normal(new) == _normal(old)
    return new


def test_every_kind_of_case_renders_the_same_row(clinic, psychiatrist):
    patient = PatientFactory(
        clinic=clinic, psychiatrist=psychiatrist, family_name=HOSTILE, record_number="Q-1"
    )
    orphan = PatientFactory(clinic=clinic, psychiatrist=None, record_number="Q-2")
    manual = ImpasseCaseFactory(
        episode=EpisodeFactory(patient=patient), flag_reason=HOSTILE, msm_score=9
    )
    automatic = ImpasseCaseFactory(
        episode=EpisodeFactory(patient=orphan),
        origin=CaseOrigin.AUTOMATIC,
        flag_reason="",
        flagged_by=None,
        criteria=["fda_ema_met", "msm_at_least_7"],
    )
    bare = ImpasseCaseFactory(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic, record_number="Q-3")),
        origin=CaseOrigin.AUTOMATIC,
        flag_reason="",
        flagged_by=None,
        criteria=[],
    )
    rows = [
        QueueRow(manual, ("Suicide item scored 3 on 1 Dec 2026.", HOSTILE), 12),
        QueueRow(automatic, (), 0),
        QueueRow(bare, (), 400),
    ]
    html = _assert_same(rows)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_empty_queue_says_so():
    assert _assert_same([]) == str(queue_rows_html([]))
    assert "No impasse case matches." in str(queue_rows_html([]))
