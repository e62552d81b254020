"""The demo clinic's build itself (records/demo.py), on an empty database, built twice.

The two builds are made once for the module, in a transaction rolled back after it
(tests/shared_world.py); each test reads them in its own savepoint. The demo command
on an empty database: tests/integration/test_demo_command.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from pytest_django import DjangoDbBlocker

from pseudoresistance.demo import DEMO_REVIEW_VIGNETTE
from pseudoresistance.models import ImpasseReview
from pseudoresistance.services import IMPASSE_REVIEW_OBJECT
from pseudoresistance.states import CaseState
from records.demo import (
    DEMO_CLINIC_NAME,
    DEMO_USERS,
    DemoAccount,
    demo_clinic_create,
    vignette_record_number,
)
from records.models import AuditEvent, Clinic, Membership, Patient, Role
from tests.shared_world import built_for_module


def signs_in(username: str, password: str | None) -> bool:
    # The lock-out backend (django-axes) needs the sign-in request, as the sign-in form passes it.
    request = RequestFactory().post("/signin/")
    return authenticate(request, username=username, password=password) is not None


def counts() -> tuple[int, int, int]:
    return (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count())


@dataclass(frozen=True)
class TwoBuilds:
    """The accounts each build returned, and the rows counted between the builds."""

    first: list[DemoAccount]
    counts_after_first: tuple[int, int, int]
    second: list[DemoAccount]


def built_twice() -> TwoBuilds:
    first = demo_clinic_create()
    after_first = counts()
    return TwoBuilds(first=first, counts_after_first=after_first, second=demo_clinic_create())


@pytest.fixture(scope="module")
def _builds_of_module(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[TwoBuilds]:
    yield from built_for_module(django_db_blocker, built_twice)


@pytest.fixture
def builds(_builds_of_module: TwoBuilds, db: None) -> TwoBuilds:
    return _builds_of_module


def test_demo_creates_one_user_per_role_with_working_passwords(builds: TwoBuilds) -> None:
    accounts = builds.first
    assert {a.role for a in accounts} == {role for *_, role in DEMO_USERS}
    for account in accounts:
        assert signs_in(account.username, account.password)
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    assert Patient.objects.filter(clinic=clinic).count() >= 3


def test_demo_is_idempotent_and_keeps_passwords(builds: TwoBuilds) -> None:
    assert counts() == builds.counts_after_first
    assert all(account.password is None for account in builds.second)
    assert signs_in(builds.first[0].username, builds.first[0].password)


def test_demo_has_one_review_signed_off_by_the_supervisor_and_audited_once(
    builds: TwoBuilds,
) -> None:
    reviews = ImpasseReview.objects.filter(case__patient__clinic__name=DEMO_CLINIC_NAME)
    assert reviews.count() == 1
    review = reviews.get()
    assert review.signed_off_at is not None
    assert review.reviewer.username == next(
        name for name, *_, role in DEMO_USERS if role == Role.SUPERVISOR
    )
    assert review.case.state == CaseState.REVIEWED
    # Its words describe the record of the patient it reviews.
    assert review.case.patient.record_number == vignette_record_number(DEMO_REVIEW_VIGNETTE)
    assert "citalopram" in review.findings
    events = AuditEvent.objects.filter(object_type=IMPASSE_REVIEW_OBJECT, object_id=review.pk)
    assert set(events.values_list("actor_id", flat=True)) == {review.reviewer_id}
    assert events.count() == 2
