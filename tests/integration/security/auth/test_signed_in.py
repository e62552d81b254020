"""The request's user, their memberships and second factors, read in one statement (issue 18).

records/signed_in.py reads with raw SQL what three ORM queries read: these tests hold it to the
ORM (fields, order, the staging defaults a clinic may lack) and to django-otp's rule that a
session is verified only while the device that accepted its code exists, is the user's and is
confirmed, with every change counting from the very next request.
"""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.models import ClinicStagingDefaults, Membership, Role
from records.services.two_factor import two_factor_recovery_codes_regenerate
from records.signed_in import SignedInUserBackend, signed_in_user
from records.signed_in import signed_in as read_with
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.two_factor import authenticator_for, verified_login

pytestmark = pytest.mark.django_db

PATIENTS = reverse("records:patient-list")
VERIFY = reverse("records:two-factor-verify")


def values(instance: Model) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_the_statement_reads_what_the_orm_reads(clinic, member):
    user = member(Role.PSYCHIATRIST, Role.SUPERVISOR)
    # Created out of name order; one clinic without staging defaults of its own.
    zeta, alpha = ClinicFactory(name="Zeta Clinic"), ClinicFactory(name="Alpha Clinic")
    MembershipFactory(user=user, clinic=zeta, role=Role.CLINIC_ADMIN)
    MembershipFactory(user=user, clinic=alpha, role=Role.PSYCHIATRIST)
    ClinicStagingDefaults.objects.for_clinic(alpha)
    expected = list(
        Membership.objects.filter(user=user).select_related("user", "clinic__staging_defaults")
    )

    read = signed_in_user(user.pk)

    assert read is not None
    assert values(read) == values(user)
    loaded = read_with(read)
    assert loaded is not None
    assert [m.pk for m in loaded.memberships] == [m.pk for m in expected]
    with CaptureQueriesContext(connection) as queries:
        for membership, orm in zip(loaded.memberships, expected, strict=True):
            assert values(membership) == values(orm)
            assert membership.user is read
            assert values(membership.clinic) == values(orm.clinic)
            if hasattr(orm.clinic, "staging_defaults"):
                assert values(membership.clinic.staging_defaults) == values(
                    orm.clinic.staging_defaults
                )
            else:
                assert not hasattr(membership.clinic, "staging_defaults")
    assert queries.captured_queries == []


def test_a_user_without_memberships_or_devices_is_read_alone(db):
    user = UserFactory()
    read = signed_in_user(user.pk)
    assert read is not None
    assert values(read) == values(user)
    loaded = read_with(read)
    assert loaded is not None
    assert loaded.memberships == ()
    assert loaded.confirmed_devices == frozenset()


def test_an_unknown_or_inactive_user_is_nobody(psychiatrist):
    assert signed_in_user(psychiatrist.pk + 1000) is None
    backend = SignedInUserBackend()
    assert backend.get_user(psychiatrist.pk) is not None
    psychiatrist.is_active = False
    psychiatrist.save(update_fields=["is_active"])
    assert backend.get_user(psychiatrist.pk) is None


def test_only_the_users_own_confirmed_devices_are_read(psychiatrist, supervisor):
    app = authenticator_for(psychiatrist)
    codes = StaticDevice.objects.create(user=psychiatrist, name="Recovery codes", confirmed=True)
    TOTPDevice.objects.create(user=psychiatrist, name="Half set up", confirmed=False)
    authenticator_for(supervisor)
    read = signed_in_user(psychiatrist.pk)
    assert read is not None
    loaded = read_with(read)
    assert loaded is not None
    assert loaded.confirmed_devices == {app.persistent_id, codes.persistent_id}


def test_a_signed_in_request_reads_session_and_user_in_two_statements(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    # The first request stamps the new session (a save); later ones within a minute only read.
    client.get(reverse("healthz"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    # The session, the user with roles and devices, and the health check's own SELECT 1.
    assert len(queries.captured_queries) == 3
    user = response.wsgi_request.user
    assert user.is_verified()
    # The device django-otp would have loaded: its other fields are read when asked for.
    assert user.otp_device == authenticator_for(psychiatrist)
    assert user.otp_device.name == "Test authenticator"


def test_a_deleted_device_unverifies_the_session_at_the_next_request(client, psychiatrist):
    verified_login(client, psychiatrist)
    assert client.get(PATIENTS).status_code == 200
    TOTPDevice.objects.filter(user=psychiatrist).delete()
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_unconfirmed_device_does_not_verify(client, psychiatrist):
    verified_login(client, psychiatrist)
    TOTPDevice.objects.filter(user=psychiatrist).update(confirmed=False)
    assert client.get(PATIENTS)["Location"].startswith(reverse("records:two-factor-enrol"))


def test_another_users_device_does_not_verify(client, psychiatrist, supervisor):
    verified_login(client, psychiatrist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(supervisor).persistent_id
    session.save()
    assert client.get(PATIENTS)["Location"].startswith(VERIFY)
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_new_recovery_codes_unverify_a_session_signed_in_with_an_old_one(client, psychiatrist):
    authenticator_for(psychiatrist)
    old = StaticDevice.objects.create(user=psychiatrist, name="Recovery codes", confirmed=True)
    client.force_login(psychiatrist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = old.persistent_id
    session.save()
    assert client.get(PATIENTS).status_code == 200
    two_factor_recovery_codes_regenerate(acting_user=psychiatrist)
    assert client.get(PATIENTS)["Location"].startswith(VERIFY)


def test_a_role_removed_counts_from_the_next_request(signed_in, clinic, member):
    user: User = member(Role.PSYCHIATRIST, Role.SUPERVISOR)
    client = signed_in(user)
    queue = reverse("pseudoresistance:queue")
    assert client.get(queue).status_code == 200
    Membership.objects.filter(user=user, role=Role.SUPERVISOR).delete()
    assert client.get(queue).status_code == 403
    Membership.objects.filter(user=user).delete()
    assert client.get(PATIENTS).status_code == 403
