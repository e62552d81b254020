"""A person's own account: their password, and setting it through an invitation link."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from records.forms.team import InvitationAcceptForm, OwnPasswordChangeForm
from records.services.accounts import account_password_change
from records.services.team import InvitationRefused, invitation_accept, invitation_open

from .common import NOTHING_SAVED

OWN_CHANGE_DONE = "Your password is changed. Your other sessions, if any, are signed out."
INVITATION_DONE = "Your password is set: sign in with your user name {username} and it."


def password_change_response(
    request: HttpRequest, *, template_name: str, success_url: str, context: dict[str, Any]
) -> HttpResponse:
    """Change the signed-in user's own password, keeping the session (the admin's page too)."""
    user = request.user
    assert isinstance(user, User)
    posted = request.POST if request.method == "POST" else None
    form = OwnPasswordChangeForm(user, posted, request=request)
    if form.is_bound and form.is_valid():
        try:
            account_password_change(
                acting_user=user, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, OWN_CHANGE_DONE)
            return redirect(success_url)
    if form.is_bound:
        messages.error(request, NOTHING_SAVED)
    return render(request, template_name, {**context, "form": form})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    """Change one's own password (every signed-in user, with or without a clinic)."""
    return password_change_response(
        request,
        template_name="records/account_password.html",
        success_url="records:account-password",
        context={},
    )


@login_not_required
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person set their password through their single-use link."""
    try:
        invitation = invitation_open(token=token)
    except InvitationRefused as refusal:
        return _refused(request, refusal)
    posted = request.POST if request.method == "POST" else None
    form = InvitationAcceptForm(invitation.user, posted)
    if form.is_bound and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            messages.success(request, INVITATION_DONE.format(username=user.get_username()))
            return redirect("login")
    context = {"form": form, "invitation": invitation}
    return render(request, "records/invitation.html", context)


def _refused(request: HttpRequest, refusal: InvitationRefused) -> HttpResponse:
    return render(
        request, "records/invitation_refused.html", {"reason": str(refusal)}, status=refusal.status
    )
