"""Two-factor sign-in pages: the code after the password, enrolment, the user's own settings,
and the clinic admin's choice of who must use it.

A wrong code counts as a failed sign-in toward the lock-out (ASVS 2.2.1), as a wrong password
does in records/reauth.py: at the limit the session ends and the sign-in page says the account
is locked. django-otp's own back-off (settings.OTP_TOTP_THROTTLE_FACTOR) refuses codes for a
few seconds after each wrong one, without counting them.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from records.access import Permission, clinic_access
from records.forms.two_factor import (
    ClinicSecurityForm,
    RecoveryCodesRegenerateForm,
    TwoFactorCodeForm,
    TwoFactorEnrolForm,
    TwoFactorReenrolForm,
)
from records.services.two_factor import (
    clinic_two_factor_update,
    two_factor_enrol,
    two_factor_recovery_codes_regenerate,
    two_factor_verify,
)
from records.two_factor import (
    RECOVERY_CODE_COUNT,
    enrolment_qr_svg,
    manual_entry_secret,
    new_totp_key,
    recovery_codes_left,
    two_factor_enrolled,
    two_factor_required_for,
    two_factor_throttled,
)

PENDING_KEY_SESSION_KEY = "two_factor_pending_key"
CODE_WRONG = "That code is not right. Type the code your authenticator app shows now."
CODE_WAIT = "Too many wrong codes in a row: wait a few seconds, then type the code your app shows."
SETTING_SAVED = "Saved: {what}."
SETTING_ON = "every member of {clinic} signs in with a code from an authenticator app"
SETTING_OFF = "in {clinic}, clinic admins and supervisors sign in with a code; psychiatrists may"
CODES_REGENERATED = "New recovery codes: the old ones no longer work."


def _next_url(request: HttpRequest) -> str:
    """Return the page asked for before the code step, when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _credentials(user: User) -> dict[str, str]:
    return {"username": user.get_username()}


def _account_locked(request: HttpRequest, user: User) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, _credentials(user)))


def _count_wrong_code(request: HttpRequest, user: User) -> bool:
    """Count a wrong code as a failed sign-in; return whether the account is now locked."""
    user_login_failed.send(
        sender=TwoFactorCodeForm, credentials=_credentials(user), request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def _locked_out(request: HttpRequest) -> HttpResponse:
    """End the session; axes's middleware answers with the sign-in page saying it is locked."""
    request.axes_locked_out = True  # type: ignore[attr-defined]
    logout(request)
    return redirect("login")


def _verified(request: HttpRequest, device: object) -> None:
    otp_login(request, device)
    # A new session id once the second factor is in, as Django does after the password.
    request.session.cycle_key()


@require_http_methods(["GET", "POST"])
def two_factor_verify_page(request: HttpRequest) -> HttpResponse:
    """Ask a signed-in user for the code of their authenticator app or a recovery code."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified() or not two_factor_enrolled(user):  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if _account_locked(request, user):
            return _locked_out(request)
        if two_factor_throttled(user=user):
            form.add_error("code", CODE_WAIT)
        else:
            device = two_factor_verify(acting_user=user, code=form.cleaned_data["code"])
            if device is not None:
                _verified(request, device)
                return redirect(_next_url(request))
            if _count_wrong_code(request, user):
                return _locked_out(request)
            form.add_error("code", CODE_WRONG)
    return render(
        request, "records/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
def two_factor_enrol_page(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, confirm a code, receive recovery codes."""
    user: User = request.user  # type: ignore[assignment]
    replacing = two_factor_enrolled(user)
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if key is None:
        key = request.session[PENDING_KEY_SESSION_KEY] = new_totp_key()
    posted = request.POST if request.method == "POST" else None
    form: TwoFactorEnrolForm | TwoFactorReenrolForm = (
        TwoFactorReenrolForm(posted, user=user, request=request)
        if replacing
        else TwoFactorEnrolForm(posted)
    )
    if form.is_bound and form.is_valid():
        try:
            device, codes = two_factor_enrol(
                acting_user=user, key=key, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            del request.session[PENDING_KEY_SESSION_KEY]
            _verified(request, device)
            return _recovery_codes_page(request, codes, enrolled=True)
    context = {
        "form": form,
        "replacing": replacing,
        "required": two_factor_required_for(user),
        "qr_svg": enrolment_qr_svg(key, user),
        "secret": manual_entry_secret(key),
        "next": _next_url(request),
    }
    return render(request, "records/two_factor_enrol.html", context)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, enrolled: bool) -> HttpResponse:
    """Show new recovery codes, once: they are not kept anywhere they could be shown again."""
    context = {
        "codes": [f"{code[:4]}-{code[4:]}" for code in codes],
        "enrolled": enrolled,
        "next": _next_url(request),
    }
    return render(request, "records/two_factor_recovery_codes.html", context)


@require_GET
def two_factor_account_page(request: HttpRequest) -> HttpResponse:
    """Show the user's two-factor sign-in: whether it is set up and required, codes left."""
    user: User = request.user  # type: ignore[assignment]
    context = {
        "enrolled": two_factor_enrolled(user),
        "required": two_factor_required_for(user),
        "codes_left": recovery_codes_left(user),
        "code_count": RECOVERY_CODE_COUNT,
    }
    return render(request, "records/two_factor_account.html", context)


@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes_page(request: HttpRequest) -> HttpResponse:
    """Replace the user's recovery codes, after the password, and show the new ones once."""
    user: User = request.user  # type: ignore[assignment]
    if not two_factor_enrolled(user):
        return redirect("records:two-factor-enrol")
    posted = request.POST if request.method == "POST" else None
    form = RecoveryCodesRegenerateForm(posted, user=user, request=request)
    if form.is_bound and form.is_valid():
        codes = two_factor_recovery_codes_regenerate(acting_user=user)
        messages.success(request, CODES_REGENERATED)
        return _recovery_codes_page(request, codes, enrolled=False)
    context = {"form": form, "codes_left": recovery_codes_left(user)}
    return render(request, "records/two_factor_recovery_codes_confirm.html", context)


@require_http_methods(["GET", "POST"])
def clinic_settings_security_page(request: HttpRequest) -> HttpResponse:
    """Let a clinic admin choose whether every member signs in with two factors."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    clinic = access.clinic
    posted = request.POST if request.method == "POST" else None
    form = ClinicSecurityForm(
        posted,
        user=request.user,
        request=request,
        initial={"two_factor_required": clinic.two_factor_required},
    )
    if form.is_bound and form.is_valid():
        required = form.cleaned_data["two_factor_required"]
        clinic_two_factor_update(acting_user=request.user, clinic_id=clinic.pk, required=required)
        what = (SETTING_ON if required else SETTING_OFF).format(clinic=clinic.name)
        messages.success(request, SETTING_SAVED.format(what=what))
        return redirect("records:clinic-settings-security")
    return render(
        request, "records/clinic_settings_security.html", {"form": form, "clinic": clinic}
    )
