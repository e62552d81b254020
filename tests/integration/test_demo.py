import datetime
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from pseudoresistance.criteria import Criterion
from pseudoresistance.models import ImpasseCase, ImpasseReview
from pseudoresistance.services import IMPASSE_REVIEW_OBJECT
from pseudoresistance.states import CaseState
from records.access import access_for_user
from records.caseload import CaseloadFilters, SortOrder, caseload_patients, caseload_rows
from records.demo import (
    DEMO_CLINIC_NAME,
    DEMO_USERS,
    RECENT_RATING_VIGNETTE,
    demo_clinic_create,
    vignette_record_number,
    vignettes,
)
from records.models import AuditEvent, Clinic, Membership, Patient, Role
from records.selectors import patient_detail
from records.two_factor import two_factor_required_for


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
def test_demo_caseload_has_an_open_alert_stages_and_overdue_scores():
    demo_clinic_create()
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    access = access_for_user(User.objects.get(username=DEMO_USERS[0][0]), clinic.pk)
    patients = caseload_patients(
        access=access, filters=CaseloadFilters(psychiatrist_id=access.user.pk), order=SortOrder()
    )
    rows = caseload_rows(access=access, patients=list(patients))
    assert [row.patient.record_number for row in rows if row.alerts] == [
        vignette_record_number(RECENT_RATING_VIGNETTE)
    ]
    assert sum(1 for row in rows if row.overdue) >= 10
    assert sum(1 for row in rows if row.msm) >= 10


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
def test_demo_command_says_where_the_clinic_admin_manages_people():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Team page (/clinic/team/)" in out.getvalue()
    assert "/admin/ is for superusers only" in out.getvalue()


@pytest.mark.django_db
def test_demo_says_who_signs_in_with_two_factors():
    out = StringIO()
    call_command("demo", "--reset-passwords", stdout=out)
    text = out.getvalue()
    assert Clinic.objects.get(name=DEMO_CLINIC_NAME).two_factor_required is False
    lines = text.splitlines()
    for username, *_, role in DEMO_USERS:
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(username))
        asks_code = "authenticator app" in lines[index + 1]
        assert asks_code is (role != Role.PSYCHIATRIST), username
    assert "the psychiatrist signs in with the password alone" in text
    assert two_factor_required_for(User.objects.get(username="demo-psychiatrist")) is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("vignette_id", "record_number"),
    [("V03-strict", "DEMO-V03-STRICT"), ("V08-rul", "DEMO-V08-RUL")],
)
def test_demo_vignettes_with_their_own_parameters_stage_as_expected(vignette_id, record_number):
    demo_clinic_create()
    vignette = next(v for v in vignettes() if v["id"] == vignette_id)
    patient = Patient.objects.get(record_number=record_number)
    psychiatrist = User.objects.get(username=DEMO_USERS[0][0])
    access = access_for_user(psychiatrist, patient.clinic_id)
    day = datetime.date.fromisoformat(vignette["patient"]["assessment_date"])

    results = patient_detail(access=access, patient_id=patient.pk, assessment_date=day).staging()

    for model, expected in vignette["expected"].items():
        for name in ("stage", "met", "score"):
            if name in expected:
                assert getattr(results[model], name) == expected[name], (model, name)
    flagged = ImpasseCase.objects.filter(episode__patient=patient).first()
    fda_flagged = flagged is not None and Criterion.FDA_EMA_MET in flagged.criteria
    assert fda_flagged is vignette["expected"]["fda"]["met"]


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
    events = AuditEvent.objects.filter(object_type=IMPASSE_REVIEW_OBJECT, object_id=review.pk)
    assert set(events.values_list("actor_id", flat=True)) == {review.reviewer_id}
    assert events.count() == 2
