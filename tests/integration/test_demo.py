from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from pseudoresistance.demo import DEMO_REVIEW_VIGNETTE
from pseudoresistance.models import ImpasseReview
from pseudoresistance.services import IMPASSE_REVIEW_OBJECT
from pseudoresistance.states import CaseState
from records.demo import (
    DEMO_CLINIC_NAME,
    DEMO_USERS,
    demo_clinic_create,
    vignette_record_number,
)
from records.models import AuditEvent, Clinic, Membership, Patient, Role


def signs_in(username: str, password: str | None) -> bool:
    # The lock-out backend (django-axes) needs the sign-in request, as the sign-in form passes it.
    request = RequestFactory().post("/signin/")
    return authenticate(request, username=username, password=password) is not None


@pytest.mark.django_db
def test_demo_creates_one_user_per_role_with_working_passwords():
    accounts = demo_clinic_create()
    assert {a.role for a in accounts} == {role for *_, role in DEMO_USERS}
    for account in accounts:
        assert signs_in(account.username, account.password)
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    assert Patient.objects.filter(clinic=clinic).count() >= 3


@pytest.mark.django_db
def test_demo_is_idempotent_and_keeps_passwords():
    first = demo_clinic_create()
    counts = (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count())
    second = demo_clinic_create()
    assert (Clinic.objects.count(), Membership.objects.count(), Patient.objects.count()) == counts
    assert all(account.password is None for account in second)
    assert signs_in(first[0].username, first[0].password)


@pytest.mark.django_db
def test_demo_command_prints_each_password_once():
    first, second = StringIO(), StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)
    assert first.getvalue().count("(shown once)") == len(DEMO_USERS)
    assert "(shown once)" not in second.getvalue()


@pytest.mark.django_db
def test_demo_has_one_review_signed_off_by_the_supervisor_and_audited_once():
    demo_clinic_create()
    demo_clinic_create()
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
