"""The forms of two-factor sign-in: the code after the password, enrolment, recovery codes."""

from django import forms

from records.reauth import PasswordReentryForm

CODE_HELP = "The six digits your authenticator app shows now, or one of your recovery codes."
ENROL_CODE_HELP = "The six digits the app shows for trdclinic after you added it."


def _code_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        # A recovery code typed with spaces or hyphens fits; anything longer is not a code.
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class TwoFactorCodeForm(forms.Form):
    """The second sign-in step: a code from the authenticator app or a recovery code."""

    code = _code_field("Code", CODE_HELP)


class TwoFactorEnrolForm(forms.Form):
    """Confirms a newly added authenticator app by one of its codes."""

    code = _code_field("Code from the app", ENROL_CODE_HELP)


class TwoFactorReenrolForm(PasswordReentryForm):
    """Replaces a user's authenticator: a code from the new app, and the password."""

    code = _code_field("Code from the new app", ENROL_CODE_HELP)
    field_order = ["code", "password"]


class RecoveryCodesRegenerateForm(PasswordReentryForm):
    """Confirms new recovery codes (the old ones stop working) with the password."""


class ClinicSecurityForm(PasswordReentryForm):
    """A clinic admin's choice: two-factor sign-in for everyone, or admins and supervisors only."""

    two_factor_required = forms.BooleanField(
        label="Every member signs in with a code from an authenticator app",
        required=False,
        help_text=(
            "Clinic admins and supervisors always do. Turned off, psychiatrists sign in with their "
            "password only, unless they set up an app themselves."
        ),
    )
    field_order = ["two_factor_required", "password"]
