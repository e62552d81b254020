"""Every query of the hot pages can be served by an index (issue 18: 100,000 patients).

Small test data makes the planner prefer sequential scans, rightly, so this does not switch
them off: it runs EXPLAIN on every query the patient page, the staging page, the impasse queue
and the cohort page send, and for each scan of a big table checks that an index exists whose
leading column is one the query filters or joins that table on; a filter on a clinic must be
served by an index that leads with the clinic. A query that reads a big table whole fails.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.clinic import load_clinic, plan_clinic
from cohort.services import snapshots_restage
from pseudoresistance.models import ImpasseCase
from records.models import Patient, Role

BIG_TABLES = {
    "records_patient",
    "records_episode",
    "records_treatmenttrial",
    "records_scaleadministration",
    "records_auditevent",
    "cohort_episodesnapshot",
    "pseudoresistance_impassecase",
    "pseudoresistance_impassereview",
    "pseudoresistance_impassecaseevent",
    "pseudoresistance_checklistreview",
    "pseudoresistance_checklistanswer",
}
CONDITIONS = ("Filter", "Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter")
COLUMN = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")
BARE_COLUMN = re.compile(r"\(([a-z_][a-z0-9_]*) (?:=|<|>|<=|>=|<>|IS|= ANY)")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _leading_columns() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] "
            "WHERE t.relname = ANY(%s)",
            [sorted(BIG_TABLES)],
        )
        leading: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            leading.setdefault(table, set()).add(column)
    return leading


def _columns(node: dict[str, Any], alias: str, plan: dict[str, Any]) -> set[str]:
    """Return the columns of one scanned table that the query filters or joins it on."""
    columns: set[str] = set()
    for key in CONDITIONS:
        if key in node:
            columns.update(BARE_COLUMN.findall(node[key]))
    for each in _nodes(plan):
        for key in CONDITIONS:
            for qualifier, column in COLUMN.findall(each.get(key, "")):
                if qualifier == alias:
                    columns.add(column)
    return columns


def _unserved_scans(sql: str, leading: dict[str, set[str]]) -> list[str]:
    """Return the big-table scans of a query that no index could serve."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        found = cursor.fetchone()[0]
    plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    problems = []
    for node in _nodes(plan):
        table = node.get("Relation Name")
        if table not in BIG_TABLES or node["Node Type"] != "Seq Scan":
            continue
        columns = _columns(node, node.get("Alias", table), plan)
        indexed = leading.get(table, set())
        if not columns & indexed:
            problems.append(f"{table} scanned on {sorted(columns) or 'nothing'}: {sql[:300]}")
        elif "clinic_id" in columns and "clinic_id" not in indexed:
            problems.append(f"{table} filtered by clinic without an index leading with it")
    return problems


@pytest.fixture
def two_clinics(clinic, other_clinic, psychiatrist, member):  # type: ignore[no-untyped-def]
    load_clinic(plan_clinic(12, 1), clinic, psychiatrist)
    colleague = member(Role.PSYCHIATRIST, in_clinic=other_clinic)
    load_clinic(plan_clinic(12, 2), other_clinic, colleague)
    snapshots_restage()
    return clinic


def _captured(client, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_every_hot_page_query_can_be_served_by_an_index(
    two_clinics, signed_in, psychiatrist, member
):
    supervisor = member(Role.SUPERVISOR)
    patient = Patient.objects.get(clinic=two_clinics, record_number="PAGE-40")
    assert ImpasseCase.objects.filter(patient__clinic=two_clinics).exists()
    pages = {
        "patient page": (psychiatrist, reverse("records:patient-detail", args=[patient.pk])),
        "staging page": (psychiatrist, reverse("records:patient-staging", args=[patient.pk])),
        "impasse queue": (supervisor, reverse("pseudoresistance:queue")),
        "cohort page": (supervisor, reverse("cohort:cohort")),
    }
    leading = _leading_columns()
    problems = []
    for page, (user, url) in pages.items():
        for sql in _captured(signed_in(user), url):
            problems.extend(f"{page}: {problem}" for problem in _unserved_scans(sql, leading))
    assert problems == []


@pytest.mark.django_db
def test_the_check_fails_a_scan_no_index_can_serve():
    leading = _leading_columns()
    assert _unserved_scans("SELECT id FROM records_treatmenttrial WHERE weeks = 8", leading)
    # Every column of every row: no index can serve it (a bare count(*) may be answered by an
    # index-only scan once the table's visibility map is set, whatever ran before).
    assert _unserved_scans("SELECT * FROM records_episode", leading)
    assert not _unserved_scans("SELECT id FROM records_patient WHERE clinic_id = 1", leading)
    joined = (
        "SELECT t.id FROM records_treatmenttrial t JOIN records_episode e ON e.id = t.episode_id "
        "JOIN records_patient p ON p.id = e.patient_id WHERE p.clinic_id = 1"
    )
    assert not _unserved_scans(joined, leading)
