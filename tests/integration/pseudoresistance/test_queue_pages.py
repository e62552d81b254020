"""The impasse queue in pages: the order over every case, a constant query count, the SQL alert
scan equal to the Python one, and only the shown patients logged (issue 18)."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pseudoresistance.criteria import CriterionKind, criterion_labels
from pseudoresistance.models import CaseOrigin, ImpasseCase
from pseudoresistance.selectors import (
    QUEUE_PAGE_SIZE,
    _kind_in_sql,
    _open_safety_alerts,
    _ordered,
    _queue_cases,
    case_kinds,
    impasse_queue,
    impasse_queue_page,
)
from records.access import ClinicAccess, access_for_user
from records.models import AuditAction, AuditEvent, Clinic
from tests.factories import (
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("pseudoresistance:queue")


def queued(clinic: Clinic, number: int, *, days: int, msm: int | None = None) -> ImpasseCase:
    patient = PatientFactory(clinic=clinic, record_number=f"RN-Q{number:03}")
    flagged = timezone.now() - datetime.timedelta(days=days)
    return ImpasseCaseFactory(
        episode=EpisodeFactory(patient=patient), msm_score=msm, flagged_at=flagged
    )


def many_cases(clinic: Clinic, count: int, start: int = 0) -> list[ImpasseCase]:
    return [queued(clinic, n, days=n % 40, msm=n % 11) for n in range(start, start + count)]


def access(user: User, clinic: Clinic) -> ClinicAccess:
    found = access_for_user(user, clinic.pk)
    assert found is not None
    return found


def test_the_pages_follow_the_full_queue_order_and_keep_the_filters(
    clinic: Clinic, supervisor: User, signed_in: Callable[[User], Client]
) -> None:
    many_cases(clinic, QUEUE_PAGE_SIZE + 7)
    order = [row.case.pk for row in impasse_queue(access=access(supervisor, clinic))]
    client = signed_in(supervisor)

    first = client.get(QUEUE, {"state": "open"})
    second = client.get(QUEUE, {"state": "open", "page": "2"})

    shown = [row.case.pk for row in first.context["rows"] + second.context["rows"]]
    assert shown == order
    assert len(first.context["rows"]) == QUEUE_PAGE_SIZE
    assert f"Cases 1–{QUEUE_PAGE_SIZE} of {QUEUE_PAGE_SIZE + 7}" in first.content.decode()
    assert first.context["page_links"]["next"] == "?state=open&page=2"
    assert second.context["page_links"] == {"previous": "?state=open&page=1"}


@pytest.mark.parametrize("page", ["0", "-3", "999", "junk", "1e9", "２"])
def test_an_unusable_page_number_shows_the_first_or_last_page(
    clinic: Clinic, supervisor: User, signed_in: Callable[[User], Client], page: str
) -> None:
    many_cases(clinic, 3)
    response = signed_in(supervisor).get(QUEUE, {"page": page})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3


def test_the_queue_takes_the_same_queries_for_few_and_many_cases(
    clinic: Clinic, supervisor: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(supervisor)
    client.get(QUEUE)  # the session and user are loaded once warm
    counts = []
    for total in (2, QUEUE_PAGE_SIZE * 3):
        already = ImpasseCase.objects.count()
        many_cases(clinic, total - already, start=already)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        counts.append(len(queries))
    # Pinned: the cases' order, the page's cases, their alerts and one access-log INSERT, beside
    # the session, the user with their memberships and devices (records/signed_in.py),
    # psychiatrists and the navigation badge, for 2 cases as for 150.
    assert counts == [7, 7]


def test_a_page_logs_only_the_patients_it_shows(
    clinic: Clinic, supervisor: User, signed_in: Callable[[User], Client]
) -> None:
    many_cases(clinic, QUEUE_PAGE_SIZE + 5)
    response = signed_in(supervisor).get(QUEUE, {"page": "2"})
    logged = AuditEvent.objects.filter(actor_id=supervisor.pk, action=AuditAction.VIEW)
    shown = {row.case.patient_id for row in response.context["rows"]}
    assert len(shown) == 5
    assert set(logged.values_list("patient_id", flat=True)) == shown
    assert logged.count() == 5


def test_the_sql_alert_scan_finds_the_alerts_the_python_scan_finds(
    clinic: Clinic, supervisor: User
) -> None:
    def scored(case: ImpasseCase, scale: str, items: dict[str, int | None], day: int) -> None:
        ScaleAdministrationFactory(
            episode=case.episode,
            scale=scale,
            items=items,
            administered_on=datetime.date(2025, 1, day),
        )

    cases = [queued(clinic, n, days=n) for n in range(9)]
    scored(cases[0], "HAMD17", {"3": 2}, 1)  # alerting
    scored(cases[1], "HAMD17", {"3": 2}, 1)  # alerting, then a later score does not
    scored(cases[1], "HAMD17", {"3": 0}, 2)
    scored(cases[2], "MADRS", {"10": 1}, 1)  # under MADRS's threshold of 2
    scored(cases[3], "MADRS", {"10": 4}, 1)
    scored(cases[4], "PHQ9", {"9": 3}, 1)  # urgent
    scored(cases[5], "PHQ9", {"9": None}, 1)  # item not rated
    scored(cases[6], "HAMD17", {"3": 0}, 1)  # an old alert on another scale stays open
    scored(cases[6], "QIDS_SR16", {"12": 1}, 1)
    scored(cases[7], "BDI_II", {"9": 1}, 3)
    scored(cases[7], "HAMD17", {"1": 4}, 4)  # no suicide item rated

    entries = list(_ordered(_queue_cases(access(supervisor, clinic), None, "")))
    python = _open_safety_alerts(case.episode_id for case in cases)
    assert {e.episode_id for e in entries if e.open_alert} == set(python)
    assert {case.pk for case in (cases[0], cases[3], cases[4], cases[6], cases[7])} == {
        e.pk for e in entries if e.open_alert
    }


def test_the_sql_reasons_for_flagging_are_the_python_ones_for_every_code(
    clinic: Clinic, supervisor: User
) -> None:
    codes = [*criterion_labels(), "msm_at_least_99", "retired_code"]
    cases = [queued(clinic, n, days=n) for n, _code in enumerate(codes)]
    for case, code in zip(cases, codes, strict=True):
        case.criteria = [code]
        case.origin = CaseOrigin.AUTOMATIC
        case.save(update_fields=["criteria", "origin"])
    by_hand = queued(clinic, len(codes), days=1)
    by_hand.criteria, by_hand.origin = ["fda_ema_met", "msm_at_least_3"], CaseOrigin.MANUAL
    by_hand.save(update_fields=["criteria", "origin"])
    for kind in CriterionKind:
        in_sql = set(ImpasseCase.objects.filter(_kind_in_sql(kind)).values_list("pk", flat=True))
        in_python = {
            case.pk
            for case in ImpasseCase.objects.all()
            if kind in case_kinds(case.criteria, case.origin)
        }
        assert in_sql == in_python, kind
        assert in_sql, kind


def test_the_sql_order_and_counts_are_the_python_rule(clinic: Clinic, supervisor: User) -> None:
    cases = [queued(clinic, n, days=n % 4, msm=(None, 0, 7)[n % 3]) for n in range(12)]
    cases[5].criteria = ["red_concern"]
    cases[5].save(update_fields=["criteria"])
    ScaleAdministrationFactory(episode=cases[10].episode, scale="PHQ9", items={"9": 3})
    # Alert first, the highest Maudsley score (none counts below 0), the longest wait, the id.
    expected = sorted(
        cases,
        key=lambda case: (
            case.pk != cases[10].pk,
            -(case.msm_score if case.msm_score is not None else -1),
            case.flagged_at,
            case.pk,
        ),
    )
    found = impasse_queue_page(access=access(supervisor, clinic), page=1)
    assert [row.case.pk for row in found.rows] == [case.pk for case in expected]
    assert found.criterion_counts == {
        CriterionKind.FDA_EMA_MET: 0,
        CriterionKind.MSM: 0,
        CriterionKind.RED_CONCERN: 1,
        CriterionKind.LONG_EPISODE: 0,
        CriterionKind.MANUAL: sum(1 for case in cases if case.origin == CaseOrigin.MANUAL),
    }
    red = impasse_queue_page(access=access(supervisor, clinic), criterion="red_concern")
    assert [row.case.pk for row in red.rows] == [cases[5].pk]
    assert red.page.paginator.count == 1


def test_another_clinics_cases_never_reach_a_page(
    clinic: Clinic,
    other_clinic: Clinic,
    supervisor: User,
    member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    mine = many_cases(clinic, 3)
    theirs = queued(other_clinic, 900, days=99, msm=11)
    outsider = member("supervisor", in_clinic=other_clinic)

    rows = signed_in(supervisor).get(QUEUE).context["rows"]
    assert {row.case.pk for row in rows} == {case.pk for case in mine}
    other_rows = signed_in(outsider).get(QUEUE, {"page": "2"}).context["rows"]
    assert [row.case.pk for row in other_rows] == [theirs.pk]
