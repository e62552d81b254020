"""Two-factor services and the clinic's setting: who must use it, reset scoping, audit events."""

from base64 import b32encode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.models import AuditEvent, Clinic, Role
from records.services.two_factor import (
    clinic_two_factor_update,
    two_factor_enrol,
    two_factor_recovery_codes_regenerate,
    two_factor_reset,
    two_factor_verify,
)
from records.two_factor import (
    enrolment_qr_svg,
    manual_entry_secret,
    new_totp_key,
    otpauth_url,
    two_factor_required_for,
)
from tests.factories import MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, totp_code, verified_login

pytestmark = pytest.mark.django_db

SECURITY = reverse("records:clinic-settings-security")


def code_for(key: str) -> str:
    return totp_code(b32encode(bytes.fromhex(key)).decode())


def enrolled(user):
    key = new_totp_key()
    return two_factor_enrol(acting_user=user, key=key, code=code_for(key))


def test_new_clinics_require_two_factor_for_everyone():
    assert Clinic.objects.create(name="New Clinic").two_factor_required is True


@pytest.mark.parametrize(
    ("roles", "clinic_requires", "expected"),
    [
        ((Role.PSYCHIATRIST,), False, False),
        ((Role.PSYCHIATRIST,), True, True),
        ((Role.SUPERVISOR,), False, True),
        ((Role.CLINIC_ADMIN,), False, True),
    ],
)
def test_who_must_use_two_factor(clinic, member, roles, clinic_requires, expected):
    clinic.two_factor_required = clinic_requires
    clinic.save(update_fields=["two_factor_required"])
    assert two_factor_required_for(member(*roles)) is expected


def test_a_psychiatrist_in_two_clinics_must_when_either_requires_it(
    clinic, other_clinic, psychiatrist
):
    clinic.two_factor_required = False
    clinic.save(update_fields=["two_factor_required"])
    assert two_factor_required_for(psychiatrist) is False
    MembershipFactory(user=psychiatrist, clinic=other_clinic, role=Role.PSYCHIATRIST)
    assert two_factor_required_for(psychiatrist) is True


def test_superusers_staff_and_accounts_without_a_clinic_must(django_user_model):
    assert two_factor_required_for(django_user_model.objects.create_superuser("root")) is True
    assert two_factor_required_for(UserFactory(is_staff=True)) is True
    assert two_factor_required_for(UserFactory()) is True


def test_enrolment_refuses_a_wrong_code_and_a_forged_secret(supervisor):
    with pytest.raises(ValidationError) as wrong:
        two_factor_enrol(acting_user=supervisor, key=new_totp_key(), code="000000x")
    assert "code" in wrong.value.message_dict
    with pytest.raises(ValidationError):
        two_factor_enrol(acting_user=supervisor, key="not hex", code="123456")
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not AuditEvent.objects.filter(object_type="two_factor").exists()


def test_the_confirming_code_cannot_pass_the_code_step(supervisor):
    key = new_totp_key()
    code = code_for(key)
    two_factor_enrol(acting_user=supervisor, key=key, code=code)
    assert two_factor_verify(acting_user=supervisor, code=code) is None


def test_enrolment_is_audited_in_every_clinic_of_the_user(clinic, other_clinic, supervisor):
    MembershipFactory(user=supervisor, clinic=other_clinic, role=Role.PSYCHIATRIST)
    _, codes = enrolled(supervisor)
    assert len(codes) == 10
    events = AuditEvent.objects.filter(object_type="two_factor", object_id=supervisor.pk)
    assert sorted(events.values_list("clinic_id", flat=True)) == sorted(
        [clinic.pk, other_clinic.pk]
    )


def test_regenerating_needs_an_enrolment(supervisor):
    with pytest.raises(ValidationError):
        two_factor_recovery_codes_regenerate(acting_user=supervisor)


def test_recovery_code_used_is_audited_without_the_code(supervisor):
    _, codes = enrolled(supervisor)
    device = two_factor_verify(acting_user=supervisor, code=codes[0])
    assert isinstance(device, StaticDevice)
    event = AuditEvent.objects.filter(object_type="two_factor").latest("id")
    assert event.changes == {"recovery_codes_left": ["10", "9"]}
    assert codes[0] not in str(event.changes)
    assert two_factor_verify(acting_user=supervisor, code=codes[0]) is None


def test_clinic_admin_resets_a_user_of_their_clinic(clinic, clinic_admin, supervisor):
    enrolled(supervisor)
    assert two_factor_reset(acting_user=clinic_admin, user=supervisor) is True
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticToken.objects.filter(device__user=supervisor).exists()
    event = AuditEvent.objects.filter(object_type="two_factor").latest("id")
    assert event.actor_id == clinic_admin.pk
    assert event.clinic_id == clinic.pk
    assert event.changes == {
        "authenticator": ["set up", None],
        "recovery_codes_left": ["10", None],
    }


def test_another_clinics_admin_cannot_reset(member, other_clinic, supervisor):
    enrolled(supervisor)
    outsider = member(Role.CLINIC_ADMIN, in_clinic=other_clinic)
    with pytest.raises(PermissionDenied):
        two_factor_reset(acting_user=outsider, user=supervisor)
    assert TOTPDevice.objects.filter(user=supervisor).exists()


def test_an_admin_cannot_reset_a_user_who_also_works_in_another_clinic(
    clinic_admin, stranger, clinic
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.PSYCHIATRIST)
    authenticator_for(stranger)
    with pytest.raises(PermissionDenied):
        two_factor_reset(acting_user=clinic_admin, user=stranger)
    assert TOTPDevice.objects.filter(user=stranger).exists()


def test_no_clinic_admin_resets_a_superuser_or_themselves_into_a_role_they_lack(
    clinic_admin, psychiatrist, django_user_model
):
    root = django_user_model.objects.create_superuser("root")
    authenticator_for(root)
    with pytest.raises(PermissionDenied):
        two_factor_reset(acting_user=clinic_admin, user=root)
    with pytest.raises(PermissionDenied):
        two_factor_reset(acting_user=psychiatrist, user=clinic_admin)
    assert two_factor_reset(acting_user=root, user=clinic_admin) is False


def test_clinic_admin_turns_the_setting_off_with_the_password(signed_in, clinic, clinic_admin):
    client = signed_in(clinic_admin)
    page = client.get(SECURITY)
    assert page.context["form"].initial["two_factor_required"] is True
    response = client.post(SECURITY, {"password": DEFAULT_PASSWORD})
    assert response["Location"] == SECURITY
    clinic.refresh_from_db()
    assert clinic.two_factor_required is False
    event = AuditEvent.objects.get(object_type="clinic", object_id=clinic.pk)
    assert event.actor_id == clinic_admin.pk
    assert event.changes == {"two_factor_required": ["yes", "no"]}


def test_the_setting_is_unchanged_without_the_right_password(signed_in, clinic, clinic_admin):
    client = signed_in(clinic_admin)
    response = client.post(SECURITY, {"password": "not mine"})
    assert response.status_code == 200
    assert "That is not your password" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.two_factor_required is True
    assert not AuditEvent.objects.filter(object_type="clinic").exists()


def test_saving_the_same_setting_writes_no_event(clinic, clinic_admin):
    clinic_two_factor_update(acting_user=clinic_admin, clinic_id=clinic.pk, required=True)
    assert not AuditEvent.objects.filter(object_type="clinic").exists()


def test_the_setting_page_changes_only_the_admins_own_clinic(
    signed_in, clinic, other_clinic, member
):
    outsider = member(Role.CLINIC_ADMIN, in_clinic=other_clinic)
    signed_in(outsider).post(SECURITY, {"password": DEFAULT_PASSWORD})
    clinic.refresh_from_db()
    other_clinic.refresh_from_db()
    assert clinic.two_factor_required is True
    assert other_clinic.two_factor_required is False
    with pytest.raises(Http404):
        clinic_two_factor_update(acting_user=outsider, clinic_id=clinic.pk, required=False)


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_other_roles_cannot_open_the_setting(signed_in, member, role):
    assert signed_in(member(role)).get(SECURITY).status_code == 403


def test_the_admin_does_not_change_the_setting(client, clinic, django_user_model):
    root = django_user_model.objects.create_superuser("root")
    page = verified_login(client, root).get(
        reverse("admin:records_clinic_change", args=[clinic.pk])
    )
    assert page.status_code == 200
    assert 'name="two_factor_required"' not in page.content.decode()


def test_the_qr_code_carries_the_secret_the_page_shows(supervisor):
    key = new_totp_key()
    address = otpauth_url(key, supervisor)
    secret = manual_entry_secret(key).replace(" ", "")
    assert address.startswith(f"otpauth://totp/trdclinic%3A{supervisor.username}?")
    assert f"secret={secret}" in address
    assert "issuer=trdclinic" in address
    assert "digits=6" in address
    assert "period=30" in address
    assert enrolment_qr_svg(key, supervisor).startswith("<svg")
