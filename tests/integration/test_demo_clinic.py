"""The demo clinic as built (records/demo.py): its caseload, its staging, the demo command's notes.

The tests read one build shared by the module (the `demo_clinic` fixture); tests/integration/
test_demo.py builds it on an empty database to test the build itself.
"""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from pseudoresistance.criteria import Criterion
from pseudoresistance.models import ImpasseCase
from records.access import access_for_user
from records.caseload import CaseloadFilters, SortOrder, caseload_patients, caseload_rows
from records.demo import (
    DEMO_CLINIC_NAME,
    DEMO_USERS,
    RECENT_RATING_VIGNETTE,
    vignette_record_number,
    vignettes,
)
from records.models import Clinic, Patient, Role
from records.selectors import patient_detail
from records.two_factor import two_factor_required_for

pytestmark = pytest.mark.usefixtures("demo_clinic")


def test_demo_caseload_has_an_open_alert_stages_and_overdue_scores():
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


def test_demo_command_says_where_the_clinic_admin_manages_people():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Team page (/clinic/team/)" in out.getvalue()
    assert "/admin/ is for superusers only" in out.getvalue()


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


@pytest.mark.parametrize(
    ("vignette_id", "record_number"),
    [("V03-strict", "DEMO-V03-STRICT"), ("V08-rul", "DEMO-V08-RUL")],
)
def test_demo_vignettes_with_their_own_parameters_stage_as_expected(vignette_id, record_number):
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
