"""The clinic admin's Team page: the clinic's people and what the admin may do for each.

Each action is a POST with the admin's password (records/reauth.py); a refusal re-shows the
person's page with the reason, and nothing changes.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from records.access import ClinicAccess, Permission, clinic_access
from records.forms.team import InviteForm, RoleForm
from records.models import Role
from records.reauth import PasswordReentryForm
from records.services.team import (
    InviteInput,
    IssuedInvitation,
    invitation_reissue,
    member_activation_set,
    member_role_add,
    member_role_remove,
    member_unlock,
    person_invite,
)
from records.services.two_factor import two_factor_reset
from records.team import TeamMember, team_member, team_members

from .common import NOTHING_SAVED

logger = logging.getLogger(__name__)

NOTHING_CHANGED = "Nothing changed: {reason}"
ROLE_ADDED = "{user} is now also {role} in {clinic}."
ROLE_REMOVED = "{user} is no longer {role} in {clinic}."
DEACTIVATED = "{user}'s account is deactivated: they can no longer sign in."
REACTIVATED = "{user}'s account is active again."
UNLOCKED = "{user} can sign in again."
NOT_LOCKED = "{user} was not locked out."
TWO_FACTOR_RESET = (
    "{user}'s authenticator app and recovery codes are removed: they set up a new app at their "
    "next sign-in."
)
MAIL_SUBJECT = "Your trdclinic account at {clinic}"
MAIL_BODY = (
    "{admin} has invited you to trdclinic at {clinic}.\n\n"
    "Your user name: {username}\n"
    "Set your password here (the link works once, until {expires}):\n{link}\n"
)
MAIL_SENT = "The link was also sent to {email}."
MAIL_NOT_SENT = "The link could not be e-mailed: pass it on yourself."


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


@require_GET
def team_page(request: HttpRequest) -> HttpResponse:
    """List the clinic's people with their roles and state."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    context = {"members": team_members(access=access)}
    return render(request, "records/team.html", context)


def _member_forms(request: HttpRequest, member: TeamMember) -> dict[str, Any]:
    """Return one empty form per action the page offers for this person."""

    def confirm() -> PasswordReentryForm:
        return PasswordReentryForm(user=request.user, request=request)

    return {
        "add_role": RoleForm(roles=member.roles_to_add, user=request.user, request=request),
        "remove_role": RoleForm(roles=member.roles_to_remove, user=request.user, request=request),
        "activation": confirm(),
        "unlock": confirm(),
        "reinvite": confirm(),
        "two_factor_reset": confirm(),
    }


def _member_page(
    request: HttpRequest,
    member: TeamMember,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = {**_member_forms(request, member), **(bound or {})}
    context = {"member": member, "forms": forms}
    return render(request, "records/team_member.html", context, status=status)


@require_GET
def team_member_page(request: HttpRequest, user_id: int) -> HttpResponse:
    """Show one person of the clinic and the actions the admin may take."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    return _member_page(request, team_member(access=access, user_id=user_id))


def _act(
    request: HttpRequest,
    user_id: int,
    name: str,
    form: PasswordReentryForm,
    act: Callable[[ClinicAccess, TeamMember], str],
) -> HttpResponse:
    """Check the password, run the action, and say what happened (or why nothing did)."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    member = team_member(access=access, user_id=user_id)
    if not form.is_valid():
        messages.error(request, NOTHING_SAVED)
        return _member_page(request, member, {name: form})
    try:
        message = act(access, member)
    except ValidationError as error:
        if hasattr(form, "add_service_errors"):
            form.add_service_errors(error)
        else:
            form.add_error(None, error)
        messages.error(request, NOTHING_CHANGED.format(reason=" ".join(error.messages)))
        return _member_page(request, member, {name: form})
    except PermissionDenied as refusal:
        messages.error(request, NOTHING_CHANGED.format(reason=refusal))
        return _member_page(request, member, status=403)
    messages.success(request, message)
    return redirect("records:team-member", user_id=user_id)


def _role_form(request: HttpRequest) -> RoleForm:
    return RoleForm(request.POST, roles=list(Role), user=request.user, request=request)


def _confirm_form(request: HttpRequest) -> PasswordReentryForm:
    return PasswordReentryForm(request.POST, user=request.user, request=request)


@require_POST
def team_role_add(request: HttpRequest, user_id: int) -> HttpResponse:
    form = _role_form(request)

    def act(access: ClinicAccess, member: TeamMember) -> str:
        role = Role(form.cleaned_data["role"])
        member_role_add(
            acting_user=request.user, clinic_id=access.clinic.pk, user_id=user_id, role=role
        )
        return ROLE_ADDED.format(user=_name(member.user), role=role.label, clinic=access.clinic)

    return _act(request, user_id, "add_role", form, act)


@require_POST
def team_role_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    form = _role_form(request)

    def act(access: ClinicAccess, member: TeamMember) -> str:
        role = Role(form.cleaned_data["role"])
        member_role_remove(
            acting_user=request.user, clinic_id=access.clinic.pk, user_id=user_id, role=role
        )
        return ROLE_REMOVED.format(user=_name(member.user), role=role.label, clinic=access.clinic)

    return _act(request, user_id, "remove_role", form, act)


def _activation(request: HttpRequest, user_id: int, active: bool) -> HttpResponse:
    def act(access: ClinicAccess, member: TeamMember) -> str:
        member_activation_set(
            acting_user=request.user, clinic_id=access.clinic.pk, user_id=user_id, active=active
        )
        return (REACTIVATED if active else DEACTIVATED).format(user=_name(member.user))

    return _act(request, user_id, "activation", _confirm_form(request), act)


@require_POST
def team_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _activation(request, user_id, active=False)


@require_POST
def team_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _activation(request, user_id, active=True)


@require_POST
def team_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    def act(access: ClinicAccess, member: TeamMember) -> str:
        unlocked = member_unlock(
            acting_user=request.user, clinic_id=access.clinic.pk, user_id=user_id
        )
        return (UNLOCKED if unlocked else NOT_LOCKED).format(user=_name(member.user))

    return _act(request, user_id, "unlock", _confirm_form(request), act)


@require_POST
def team_two_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    def act(access: ClinicAccess, member: TeamMember) -> str:
        two_factor_reset(acting_user=request.user, user=member.user)
        return TWO_FACTOR_RESET.format(user=_name(member.user))

    return _act(request, user_id, "two_factor_reset", _confirm_form(request), act)


def _invitation_page(
    request: HttpRequest, access: ClinicAccess, issued: IssuedInvitation
) -> HttpResponse:
    """Show the new link once (only its hash is stored), e-mailing it where that is set up."""
    link = request.build_absolute_uri(reverse("records:invitation", args=[issued.token]))
    mailed = ""
    if issued.user.email and settings.EMAIL_BACKEND:
        body = MAIL_BODY.format(
            admin=_name(request.user),
            clinic=access.clinic.name,
            username=issued.user.get_username(),
            expires=f"{issued.expires_at:%d %b %Y %H:%M}",
            link=link,
        )
        try:
            send_mail(
                MAIL_SUBJECT.format(clinic=" ".join(access.clinic.name.split())),
                body,
                None,
                [issued.user.email],
            )
        except (OSError, BadHeaderError):
            logger.warning("invitation e-mail for user %s not sent", issued.user.pk)
            mailed = MAIL_NOT_SENT
        else:
            mailed = MAIL_SENT.format(email=issued.user.email)
    context = {
        "invited": issued.user,
        "link": link,
        "expires_at": issued.expires_at,
        "mailed": mailed,
    }
    response = render(request, "records/team_invitation.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def team_invite(request: HttpRequest) -> HttpResponse:
    """Invite a new person: an account without a password, its role here and a one-time link."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    posted = request.POST if request.method == "POST" else None
    form = InviteForm(posted, user=request.user, request=request)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            issued = person_invite(
                acting_user=request.user,
                clinic_id=access.clinic.pk,
                data=InviteInput(
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    role=data["role"],
                ),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _invitation_page(request, access, issued)
    if form.is_bound:
        messages.error(request, NOTHING_SAVED)
    return render(request, "records/team_invite.html", {"form": form})


@require_POST
def team_reinvite(request: HttpRequest, user_id: int) -> HttpResponse:
    """Replace a person's invitation link (expired, lost, or a forgotten password)."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    member = team_member(access=access, user_id=user_id)
    form = _confirm_form(request)
    if not form.is_valid():
        messages.error(request, NOTHING_SAVED)
        return _member_page(request, member, {"reinvite": form})
    try:
        issued = invitation_reissue(
            acting_user=request.user, clinic_id=access.clinic.pk, user_id=user_id
        )
    except PermissionDenied as refusal:
        messages.error(request, NOTHING_CHANGED.format(reason=refusal))
        return _member_page(request, member, status=403)
    return _invitation_page(request, access, issued)
