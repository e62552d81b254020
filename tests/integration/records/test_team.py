"""The clinic admin's Team page: invitations, roles, activation and unlocks (issue 13).

Every action needs the admin's password, is audited in the admin's clinic, and reaches only
people of that clinic; credentials and activation change only for accounts whose every role is
in clinics the admin administers. A refusal changes nothing.
"""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from records.models import AuditAction, AuditEvent, Invitation, Membership, Role
from records.services.accounts import account_is_locked
from records.services.team import token_hash
from records.services.two_factor import TWO_FACTOR_OBJECT
from records.two_factor import two_factor_enrolled
from tests.factories import MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, verified_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-tundra-quietly-87"


def invite(client: Client, **overrides: str):
    data = {
        "username": "new.psychiatrist",
        "first_name": "Nadia",
        "last_name": "Quist",
        "email": "nadia@example.org",
        "role": Role.PSYCHIATRIST,
        "password": DEFAULT_PASSWORD,
        **overrides,
    }
    return client.post(reverse("records:team-invite"), data)


def link_token(response) -> str:
    link = response.context["link"]
    return link.rstrip("/").rsplit("/", 1)[-1]


def accept(token: str, password: str = NEW_PASSWORD, client: Client | None = None):
    return (client or Client()).post(
        reverse("records:invitation", args=[token]),
        {"new_password1": password, "new_password2": password},
    )


def state() -> tuple:
    """Everything an action could change: accounts, roles, invitations, audit events."""
    return (
        list(User.objects.order_by("pk").values_list("pk", "password", "is_active", "username")),
        list(Membership.objects.order_by("pk").values_list("pk", "user_id", "clinic_id", "role")),
        list(Invitation.objects.order_by("pk").values_list("pk", "token_hash", "used_at")),
        AuditEvent.objects.count(),
    )


# The page itself


def test_clinic_admin_sees_the_clinics_people(signed_in, clinic_admin, psychiatrist, stranger):
    response = signed_in(clinic_admin).get(reverse("records:team"))
    assert response.status_code == 200
    listed = {member.user.username for member in response.context["members"]}
    assert listed == {clinic_admin.username, psychiatrist.username}
    page = response.content.decode()
    assert psychiatrist.username in page
    assert stranger.username not in page


def test_the_team_page_answers_in_a_fixed_number_of_queries(
    signed_in, clinic_admin, member, django_assert_max_num_queries
):
    client = signed_in(clinic_admin)
    for _ in range(8):
        member(Role.PSYCHIATRIST)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("records:team")).status_code == 200


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_other_roles_get_403(signed_in, member, psychiatrist, role):
    client = signed_in(member(role))
    assert client.get(reverse("records:team")).status_code == 403
    assert client.get(reverse("records:team-invite")).status_code == 403
    assert client.get(reverse("records:team-member", args=[psychiatrist.pk])).status_code == 403
    before = state()
    assert invite(client).status_code == 403
    assert state() == before


def test_a_person_of_another_clinic_is_404_for_every_action(
    signed_in, clinic_admin, stranger, client
):
    """Ids are sequential: another clinic's user is answered as if there were none."""
    client = signed_in(clinic_admin)
    stranger.memberships.update(role=Role.PSYCHIATRIST)
    before = state()
    assert client.get(reverse("records:team-member", args=[stranger.pk])).status_code == 404
    for name in (
        "team-role-add",
        "team-role-remove",
        "team-deactivate",
        "team-reactivate",
        "team-unlock",
        "team-reinvite",
    ):
        response = client.post(
            reverse(f"records:{name}", args=[stranger.pk]),
            {"role": Role.SUPERVISOR, "password": DEFAULT_PASSWORD},
        )
        assert response.status_code == 404, name
    assert state() == before


def test_an_admin_of_another_clinic_gets_404_for_this_clinics_people(
    signed_in, member, other_clinic, psychiatrist
):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    before = state()
    assert client.get(reverse("records:team-member", args=[psychiatrist.pk])).status_code == 404
    response = client.post(
        reverse("records:team-deactivate", args=[psychiatrist.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 404
    assert state() == before


# Invitations


def test_inviting_creates_an_account_without_a_password_and_a_one_time_link(
    signed_in, clinic_admin, clinic
):
    response = invite(signed_in(clinic_admin))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(username="new.psychiatrist")
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email) == ("Nadia", "Quist", "nadia@example.org")
    assert list(user.memberships.values_list("clinic_id", "role")) == [
        (clinic.pk, Role.PSYCHIATRIST)
    ]
    token = link_token(response)
    invitation = Invitation.objects.get(user=user)
    # Only the token's hash is stored.
    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    assert invitation.expires_at - timezone.now() > datetime.timedelta(hours=71)
    event = AuditEvent.objects.get(object_type="account", object_id=user.pk)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.CREATE,
        clinic_admin.pk,
        clinic.pk,
    )
    assert event.changes["role"] == [None, "Psychiatrist"]
    assert token not in str(event.changes)


def test_the_link_is_e_mailed_when_an_address_is_given(signed_in, clinic_admin):
    response = invite(signed_in(clinic_admin))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nadia@example.org"]
    assert response.context["link"] in mail.outbox[0].body
    assert "new.psychiatrist" in mail.outbox[0].body


def test_no_e_mail_without_an_address_or_a_backend(signed_in, clinic_admin, settings):
    client = signed_in(clinic_admin)
    invite(client, email="")
    settings.EMAIL_BACKEND = ""
    response = invite(client, username="second.one", email="second@example.org")
    assert response.status_code == 200
    assert mail.outbox == []


def test_inviting_needs_the_password(signed_in, clinic_admin):
    before = state()
    response = invite(signed_in(clinic_admin), password="wrong")
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert state()[:3] == before[:3]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "TAKEN.NAME"),  # taken, in other letters' case
        ("username", "a" * 151),
        ("username", "has space"),
        ("username", "esc\x1bape"),
        ("first_name", "Nadia\u202e"),  # right-to-left override
        ("last_name", "Qu\u200bist"),  # zero-width space
        ("first_name", "Na\x1b[31mdia"),
        ("last_name", "Q" * 151),
        ("email", "not-an-address"),
        ("role", "superuser"),
        ("first_name", ""),
    ],
)
def test_hostile_or_invalid_invitations_are_refused_beside_the_field(
    signed_in, clinic_admin, field, value
):
    UserFactory(username="taken.name")
    client = signed_in(clinic_admin)
    before = state()
    response = invite(client, **{field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert state() == before


def test_the_invitee_sets_a_password_once_and_signs_in(signed_in, clinic_admin, clinic):
    token = link_token(invite(signed_in(clinic_admin)))
    anonymous = Client()
    page = anonymous.get(reverse("records:invitation", args=[token]))
    assert page.status_code == 200
    assert "new.psychiatrist" in page.content.decode()
    response = accept(token, client=anonymous)
    assert response.status_code == 302
    assert response.url == reverse("login")
    user = User.objects.get(username="new.psychiatrist")
    assert user.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(object_type="account", actor_id=user.pk)
    assert event.clinic_id == clinic.pk
    assert event.changes == {"password": [None, "set through the invitation link"]}
    signed = anonymous.post(
        reverse("login"), {"username": "new.psychiatrist", "password": NEW_PASSWORD}
    )
    assert signed.status_code == 302
    # Spent: replaying the link changes nothing.
    replay = accept(token, password="another-long-passphrase-9")
    assert replay.status_code == 410
    assert "already been used" in replay.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_invitee_gets_the_password_rules(signed_in, clinic_admin):
    token = link_token(invite(signed_in(clinic_admin)))
    response = accept(token, password="password1234")
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    mismatch = Client().post(
        reverse("records:invitation", args=[token]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )
    assert mismatch.status_code == 200
    assert not User.objects.get(username="new.psychiatrist").has_usable_password()
    assert Invitation.objects.get().used_at is None


def test_an_expired_link_is_refused_with_a_clear_page(signed_in, clinic_admin):
    token = link_token(invite(signed_in(clinic_admin)))
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for response in (Client().get(reverse("records:invitation", args=[token])), accept(token)):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    assert not User.objects.get(username="new.psychiatrist").has_usable_password()


@pytest.mark.parametrize(
    "token",
    [
        "nosuchtoken",
        "x" * 5000,
        "%00",
        "..%2F..%2Fadmin",
        "\ud800".encode("utf-8", "surrogatepass").hex(),
    ],
)
def test_an_unknown_link_is_404_with_a_clear_page(db, token):
    response = Client().get(f"/invitation/{token}/")
    assert response.status_code == 404
    assert response.status_code != 500


def test_a_link_of_a_deactivated_account_is_refused(signed_in, clinic_admin):
    client = signed_in(clinic_admin)
    token = link_token(invite(client))
    User.objects.filter(username="new.psychiatrist").update(is_active=False)
    response = accept(token)
    assert response.status_code == 410
    assert not User.objects.get(username="new.psychiatrist").has_usable_password()


def test_a_new_link_replaces_the_old_one(signed_in, clinic_admin, clinic):
    client = signed_in(clinic_admin)
    old = link_token(invite(client))
    user = User.objects.get(username="new.psychiatrist")
    response = client.post(
        reverse("records:team-reinvite", args=[user.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    new = link_token(response)
    assert accept(old).status_code == 404
    assert accept(new).status_code == 302
    assert AuditEvent.objects.filter(
        object_type="account", object_id=user.pk, clinic_id=clinic.pk, action=AuditAction.UPDATE
    ).exists()


def test_a_new_link_needs_the_password(signed_in, clinic_admin, psychiatrist):
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-reinvite", args=[psychiatrist.pk]), {"password": "wrong"}
    )
    assert response.status_code == 200
    assert state() == before


def test_no_link_for_an_account_that_also_works_elsewhere(
    signed_in, clinic_admin, clinic, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-reinvite", args=[stranger.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert "also works in a clinic you do not administer" in response.content.decode()
    assert state() == before


def test_no_link_for_a_superuser_in_the_clinic(signed_in, clinic_admin, clinic):
    root = User.objects.create_superuser("root", password="operator-passphrase-1977")
    MembershipFactory(user=root, clinic=clinic, role=Role.PSYCHIATRIST)
    before = state()
    client = signed_in(clinic_admin)
    for name in ("team-reinvite", "team-deactivate"):
        response = client.post(
            reverse(f"records:{name}", args=[root.pk]), {"password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 403
    assert state() == before


# Roles


def test_adding_and_removing_a_role(signed_in, clinic_admin, clinic, psychiatrist):
    client = signed_in(clinic_admin)
    url = reverse("records:team-role-add", args=[psychiatrist.pk])
    assert client.post(url, {"role": Role.SUPERVISOR, "password": "wrong"}).status_code == 200
    assert not psychiatrist.memberships.filter(role=Role.SUPERVISOR).exists()
    response = client.post(url, {"role": Role.SUPERVISOR, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert psychiatrist.memberships.filter(clinic=clinic, role=Role.SUPERVISOR).exists()
    added = AuditEvent.objects.get(object_type="membership", action=AuditAction.CREATE)
    assert (added.actor_id, added.clinic_id) == (clinic_admin.pk, clinic.pk)
    assert added.changes["role"] == [None, "Supervisor"]
    response = client.post(
        reverse("records:team-role-remove", args=[psychiatrist.pk]),
        {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert list(psychiatrist.memberships.values_list("role", flat=True)) == [Role.SUPERVISOR]
    removed = AuditEvent.objects.get(object_type="membership", action=AuditAction.DELETE)
    assert removed.changes["role"] == ["Psychiatrist", None]


def test_a_role_held_already_is_a_field_error(signed_in, clinic_admin, psychiatrist):
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-role-add", args=[psychiatrist.pk]),
        {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    assert "already holds this role" in response.content.decode()
    assert state() == before


def test_the_only_role_of_a_clinic_only_account_stays(signed_in, clinic_admin, psychiatrist):
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-role-remove", args=[psychiatrist.pk]),
        {"role": Role.PSYCHIATRIST, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    assert "deactivate the account instead" in response.content.decode()
    assert state() == before


def test_an_admin_cannot_remove_their_own_admin_role(signed_in, clinic_admin, clinic):
    MembershipFactory(user=clinic_admin, clinic=clinic, role=Role.SUPERVISOR)
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-role-remove", args=[clinic_admin.pk]),
        {"role": Role.CLINIC_ADMIN, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 403
    assert state() == before


def test_the_role_here_of_an_account_shared_with_another_clinic_can_change(
    signed_in, clinic_admin, clinic, other_clinic, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    client = signed_in(clinic_admin)
    page = client.get(reverse("records:team-member", args=[stranger.pk]))
    assert 'data-testid="not-manageable"' in page.content.decode()
    assert 'data-testid="action-deactivate"' not in page.content.decode()
    response = client.post(
        reverse("records:team-role-remove", args=[stranger.pk]),
        {"role": Role.SUPERVISOR, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert not stranger.memberships.filter(clinic=clinic).exists()
    assert stranger.memberships.filter(clinic=other_clinic).exists()


def test_wrong_passwords_on_the_team_page_count_toward_the_lock(
    signed_in, clinic_admin, psychiatrist
):
    client = signed_in(clinic_admin)
    url = reverse("records:team-role-add", args=[psychiatrist.pk])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"role": Role.SUPERVISOR, "password": "guess"}).status_code == 200
    response = client.post(url, {"role": Role.SUPERVISOR, "password": "guess"})
    assert response.status_code == 429
    assert account_is_locked(clinic_admin)
    assert not psychiatrist.memberships.filter(role=Role.SUPERVISOR).exists()


# Activation and unlock


def test_deactivating_ends_sign_in_and_reactivating_restores_it(
    signed_in, clinic_admin, clinic, psychiatrist
):
    theirs = Client()
    verified_login(theirs, psychiatrist)
    client = signed_in(clinic_admin)
    url = reverse("records:team-deactivate", args=[psychiatrist.pk])
    assert client.post(url, {"password": "wrong"}).status_code == 200
    psychiatrist.refresh_from_db()
    assert psychiatrist.is_active
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 302
    psychiatrist.refresh_from_db()
    assert not psychiatrist.is_active
    # Their open session no longer works, and they cannot sign in.
    assert theirs.get(reverse("records:patient-list")).status_code == 302
    signing = Client().post(
        reverse("login"), {"username": psychiatrist.username, "password": DEFAULT_PASSWORD}
    )
    assert "_auth_user_id" not in signing.wsgi_request.session
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert (event.clinic_id, event.changes) == (clinic.pk, {"is_active": ["yes", "no"]})
    response = client.post(
        reverse("records:team-reactivate", args=[psychiatrist.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    psychiatrist.refresh_from_db()
    assert psychiatrist.is_active


def test_an_admin_cannot_deactivate_themselves(signed_in, clinic_admin):
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-deactivate", args=[clinic_admin.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert state() == before


def test_an_account_shared_with_another_clinic_cannot_be_deactivated(
    signed_in, clinic_admin, clinic, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    before = state()
    response = signed_in(clinic_admin).post(
        reverse("records:team-deactivate", args=[stranger.pk]), {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert state() == before


def fail_to_sign_in(username: str) -> None:
    anonymous = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anonymous.post(reverse("login"), {"username": username, "password": "wrong"})


def test_unlocking_a_locked_out_person(signed_in, clinic_admin, clinic, psychiatrist):
    fail_to_sign_in(psychiatrist.username)
    client = signed_in(clinic_admin)
    listing = client.get(reverse("records:team"))
    assert 'data-testid="locked-out-badge"' in listing.content.decode()
    url = reverse("records:team-unlock", args=[psychiatrist.pk])
    assert client.post(url, {"password": "wrong"}).status_code == 200
    assert account_is_locked(psychiatrist)
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 302
    assert not account_is_locked(psychiatrist)
    event = AuditEvent.objects.get(object_type="account", object_id=psychiatrist.pk)
    assert (event.actor_id, event.clinic_id) == (clinic_admin.pk, clinic.pk)
    assert event.changes == {"failed_sign_ins": ["5", "0"]}


# Navigation


def test_clinic_admins_find_team_and_settings_in_the_navigation(signed_in, clinic_admin):
    page = signed_in(clinic_admin).get(reverse("records:patient-list")).content.decode()
    assert f'href="{reverse("records:team")}"' in page
    assert f'href="{reverse("records:settings-letterhead")}"' in page
    assert 'href="/admin/"' not in page


# Two-factor reset


def test_resetting_two_factor_removes_the_app_so_they_enrol_again(
    signed_in, clinic_admin, clinic, psychiatrist
):
    authenticator_for(psychiatrist)
    client = signed_in(clinic_admin)
    page = client.get(reverse("records:team-member", args=[psychiatrist.pk])).content.decode()
    assert 'data-testid="action-two-factor-reset"' in page
    url = reverse("records:team-two-factor-reset", args=[psychiatrist.pk])
    assert client.post(url, {"password": "wrong"}).status_code == 200
    assert two_factor_enrolled(psychiatrist)
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 302
    assert not two_factor_enrolled(psychiatrist)
    event = AuditEvent.objects.get(object_type=TWO_FACTOR_OBJECT, object_id=psychiatrist.pk)
    assert (event.actor_id, event.clinic_id, event.action) == (
        clinic_admin.pk,
        clinic.pk,
        AuditAction.DELETE,
    )
    page = client.get(reverse("records:team-member", args=[psychiatrist.pk])).content.decode()
    assert 'data-testid="action-two-factor-reset"' not in page


def test_two_factor_of_another_clinics_user_is_out_of_reach(signed_in, clinic_admin, stranger):
    authenticator_for(stranger)
    url = reverse("records:team-two-factor-reset", args=[stranger.pk])
    response = signed_in(clinic_admin).post(url, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 404
    assert two_factor_enrolled(stranger)
    assert not AuditEvent.objects.filter(object_type=TWO_FACTOR_OBJECT).exists()


def test_two_factor_of_a_user_shared_with_another_clinic_is_not_reset(
    signed_in, clinic, clinic_admin, stranger
):
    MembershipFactory(user=stranger, clinic=clinic, role=Role.SUPERVISOR)
    authenticator_for(stranger)
    client = signed_in(clinic_admin)
    page = client.get(reverse("records:team-member", args=[stranger.pk])).content.decode()
    assert 'data-testid="action-two-factor-reset"' not in page
    url = reverse("records:team-two-factor-reset", args=[stranger.pk])
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 403
    assert two_factor_enrolled(stranger)
    assert not AuditEvent.objects.filter(object_type=TWO_FACTOR_OBJECT).exists()


def test_the_person_page_leaves_room_for_more_actions(signed_in, clinic_admin, psychiatrist):
    page = signed_in(clinic_admin).get(reverse("records:team-member", args=[psychiatrist.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="member-actions"' in html
    assert 'data-testid="action-add-role"' in html
    assert 'data-testid="action-deactivate"' in html
