"""Two-factor sign-in through the pages: enrolment, the code step, wrong codes, recovery codes."""

import datetime
import re

import pyotp
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.models import AuditEvent, Role
from records.services.accounts import account_is_locked
from records.services.two_factor import two_factor_reset
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import (
    authenticator_for,
    base32_secret,
    code_step_passed,
    device_code,
    totp_code,
    verified_login,
)

pytestmark = pytest.mark.django_db

ENROL = reverse("records:two-factor-enrol")
VERIFY = reverse("records:two-factor-verify")


def password_step(client, user, password=DEFAULT_PASSWORD, next_url=None):
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def wrong_code(device: TOTPDevice) -> str:
    """Return six digits the device does not accept now (none of the three codes it would)."""
    totp = pyotp.TOTP(base32_secret(device))
    now = timezone.now().timestamp()
    valid = {totp.at(now + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def back_off_waited(user) -> None:
    """Let django-otp's back-off after a wrong code pass, as if its seconds had gone by."""
    long_ago = timezone.now() - datetime.timedelta(days=1)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=long_ago)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=long_ago)


def recovery_codes(response) -> list[str]:
    return re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())


def enrolled_through_pages(client, user) -> list[str]:
    """Sign in with the password, enrol on the page, return the recovery codes it shows."""
    assert password_step(client, user)["Location"] == reverse("records:patient-list")
    page = client.get(ENROL)
    response = client.post(ENROL, {"code": totp_code(page.context["secret"])})
    assert response.status_code == 200
    return recovery_codes(response)


def test_a_supervisor_without_an_authenticator_is_taken_to_enrolment(client, supervisor):
    password_step(client, supervisor)
    response = client.get(reverse("records:patient-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


def test_enrolment_shows_a_qr_code_and_the_secret_and_gives_ten_recovery_codes(client, supervisor):
    password_step(client, supervisor)
    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg width="' in html
    assert 'class="qr-code"' in html
    secret = page.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", secret)
    assert secret in html
    # Reloading keeps the secret the app may already have scanned.
    assert client.get(ENROL).context["secret"] == secret

    response = client.post(ENROL, {"code": totp_code(secret)})
    codes = recovery_codes(response)
    assert len(set(codes)) == 10
    assert "no-store" in response["Cache-Control"]
    device = TOTPDevice.objects.get(user=supervisor)
    assert device.confirmed
    assert base32_secret(device) == secret.replace(" ", "")
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10
    # The session is verified by the new authenticator: the clinic's pages open.
    assert client.get(reverse("records:patient-list")).status_code == 200
    event = AuditEvent.objects.get(object_type="two_factor", object_id=supervisor.pk)
    assert event.actor_id == supervisor.pk
    assert event.changes == {"authenticator": [None, "set up"], "recovery_codes_left": [None, "10"]}
    stored = str(event.changes)
    assert secret.replace(" ", "") not in stored
    assert not any(code.replace("-", "") in stored for code in codes)


def test_a_wrong_enrolment_code_is_refused_beside_the_field(client, supervisor):
    password_step(client, supervisor)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "12345x"})
    assert response.status_code == 200
    assert "That code is not right" in str(response.context["form"].errors["code"])
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert client.get(reverse("records:patient-list"))["Location"].startswith(ENROL)


def test_an_enrolled_user_gives_a_code_after_the_password_and_goes_where_they_were_going(
    client, psychiatrist, patient
):
    device = authenticator_for(psychiatrist)
    wanted = reverse("records:patient-detail", args=[patient.pk])
    password_step(client, psychiatrist, next_url=wanted)
    response = client.get(wanted)
    assert response["Location"] == f"{VERIFY}?next=%2Fpatients%2F{patient.pk}%2F"
    session_before = client.session.session_key
    response = client.post(VERIFY, {"code": device_code(device), "next": wanted})
    assert response["Location"] == wanted
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != session_before
    assert client.get(wanted).status_code == 200


def test_the_code_step_refuses_a_foreign_next_address(client, psychiatrist):
    device = authenticator_for(psychiatrist)
    password_step(client, psychiatrist)
    response = client.post(VERIFY, {"code": device_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("records:patient-list")


def test_a_wrong_code_is_refused_and_counted(client, supervisor):
    device = authenticator_for(supervisor)
    password_step(client, supervisor)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("records:patient-list"))["Location"].startswith(VERIFY)


def test_a_code_cannot_be_used_twice(client, supervisor):
    device = authenticator_for(supervisor)
    code = device_code(device)
    password_step(client, supervisor)
    assert client.post(VERIFY, {"code": code})["Location"] == reverse("records:patient-list")
    client.post(reverse("logout"))
    password_step(client, supervisor)
    back_off_waited(supervisor)
    assert client.post(VERIFY, {"code": code}).status_code == 200
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_codes_typed_quickly_after_a_wrong_one_wait_without_counting(client, supervisor):
    device = authenticator_for(supervisor)
    password_step(client, supervisor)
    client.post(VERIFY, {"code": wrong_code(device)})
    # django-otp's back-off: even the right code waits a second after a wrong one.
    response = client.post(VERIFY, {"code": device_code(device)})
    assert "wait a few seconds" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    back_off_waited(supervisor)
    assert client.post(VERIFY, {"code": device_code(device)}).status_code == 302


def test_wrong_codes_lock_the_account_and_end_the_session(client, supervisor):
    device = authenticator_for(supervisor)
    password_step(client, supervisor)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        back_off_waited(supervisor)
        assert client.post(VERIFY, {"code": wrong_code(device)}).status_code == 200
    back_off_waited(supervisor)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 429
    assert "this account is locked" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert account_is_locked(supervisor)
    # The password no longer opens it until the cool-off or an admin's unlock.
    assert password_step(client, supervisor).status_code == 429


def test_a_locked_account_cannot_pass_the_code_step_even_with_the_right_code(client, supervisor):
    device = authenticator_for(supervisor)
    password_step(client, supervisor)
    other = client.__class__()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(other, supervisor, password="wrong")
    response = client.post(VERIFY, {"code": device_code(device)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client, supervisor):
    codes = enrolled_through_pages(client, supervisor)
    client.post(reverse("logout"))
    password_step(client, supervisor)
    # Typed as shown, in capitals or with spaces, it is the same code.
    typed = codes[3].upper().replace("-", " ")
    assert client.post(VERIFY, {"code": typed})["Location"] == reverse("records:patient-list")
    assert StaticToken.objects.filter(device__user=supervisor).count() == 9
    used = AuditEvent.objects.filter(object_type="two_factor").latest("id")
    assert used.changes == {"recovery_codes_left": ["10", "9"]}
    client.post(reverse("logout"))
    password_step(client, supervisor)
    back_off_waited(supervisor)
    response = client.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, supervisor):
    old = enrolled_through_pages(client, supervisor)
    url = reverse("records:two-factor-recovery-codes")
    refused = client.post(url, {"password": "not mine"})
    assert "That is not your password" in refused.content.decode()
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10
    response = client.post(url, {"password": DEFAULT_PASSWORD})
    new = recovery_codes(response)
    assert len(set(new)) == 10
    assert not set(new) & set(old)
    stored = set(
        StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)
    )
    assert stored == {code.replace("-", "") for code in new}
    event = AuditEvent.objects.filter(object_type="two_factor").latest("id")
    assert event.changes == {"recovery_codes_left": ["10", "10"]}


def test_moving_to_a_new_app_needs_a_code_from_it_and_the_password(client, supervisor):
    enrolled_through_pages(client, supervisor)
    old_key = TOTPDevice.objects.get(user=supervisor).key
    page = client.get(ENROL)
    assert page.context["replacing"]
    code = totp_code(page.context["secret"])
    refused = client.post(ENROL, {"code": code, "password": "not mine"})
    assert refused.status_code == 200
    assert TOTPDevice.objects.get(user=supervisor).key == old_key
    response = client.post(ENROL, {"code": code, "password": DEFAULT_PASSWORD})
    assert len(recovery_codes(response)) == 10
    assert TOTPDevice.objects.get(user=supervisor).key != old_key
    event = AuditEvent.objects.filter(object_type="two_factor").latest("id")
    assert event.changes["authenticator"] == ["set up", "replaced"]


def test_the_account_page_shows_the_state_and_the_codes_left(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    page = client.get(reverse("records:two-factor"))
    assert "On: you sign in with your password and a code" in page.content.decode()


def test_a_reset_ends_the_verified_session_and_asks_for_enrolment(
    signed_in, supervisor, clinic_admin
):
    client = signed_in(supervisor)
    assert client.get(reverse("records:patient-list")).status_code == 200
    two_factor_reset(acting_user=clinic_admin, user=supervisor)
    assert client.get(reverse("records:patient-list"))["Location"].startswith(ENROL)


def test_a_psychiatrist_of_a_clinic_without_the_requirement_signs_in_with_the_password(
    client, clinic, psychiatrist
):
    clinic.two_factor_required = False
    clinic.save(update_fields=["two_factor_required"])
    password_step(client, psychiatrist)
    assert client.get(reverse("records:patient-list")).status_code == 200
    # Once they set up an app themselves, it is asked for.
    authenticator_for(psychiatrist)
    assert client.get(reverse("records:patient-list"))["Location"].startswith(VERIFY)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINIC_ADMIN])
def test_admins_and_supervisors_must_enrol_whatever_the_clinic_says(client, clinic, member, role):
    clinic.two_factor_required = False
    clinic.save(update_fields=["two_factor_required"])
    user = member(role)
    password_step(client, user)
    assert client.get(reverse("records:patient-list"))["Location"].startswith(ENROL)


def test_a_superuser_without_a_clinic_must_enrol(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=DEFAULT_PASSWORD)
    password_step(client, root)
    assert client.get(reverse("admin:index"))["Location"].startswith(ENROL)


def test_verified_login_marks_the_session_as_a_real_code_does(client, supervisor):
    verified_login(client, supervisor)
    assert client.session[DEVICE_ID_SESSION_KEY] == authenticator_for(supervisor).persistent_id
    assert client.get(reverse("records:patient-list")).status_code == 200


def test_verified_login_leaves_the_session_a_real_sign_in_leaves(client, supervisor):
    authenticator_for(supervisor)
    password_step(client, supervisor)
    code_step_passed(client, supervisor)
    real = client.session.load()
    client.cookies.clear()

    verified_login(client, supervisor)
    written = client.session.load()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("pseudoresistance:queue")).status_code == 200

    assert written.keys() == real.keys()
    assert {key: written[key] for key in written if not key.startswith("trdclinic_")} == {
        key: real[key] for key in real if not key.startswith("trdclinic_")
    }
    # A signed-in page within the minute after signing in writes nothing to the session.
    assert not [
        query
        for query in queries
        if "django_session" in query["sql"]
        and not query["sql"].lstrip().upper().startswith("SELECT")
    ]
