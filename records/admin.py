"""The admin, for platform operators (superusers) only: clinics, accounts, roles, the audit trail.

Clinic admins manage their clinic on the Team and clinic settings pages, not here (issue 13).
Every change to an account, a role or a clinic made here goes through an audited service, so
it appears in the audit trail and not only in Django's own change log.
"""

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.reauth import PasswordReentryForm

from .identity import identity_text
from .models import Agent, AuditEvent, Clinic, Membership
from .services.accounts import (
    account_is_locked,
    account_operator_save,
    account_password_set_audit,
    account_unlock,
    membership_delete,
    membership_save,
)
from .services.clinic_settings import clinic_operator_save

ROLE_NOT_REMOVED = "The role was not removed: type your password to confirm."
UNLOCKED = "Unlocked: {names}."
NOTHING_TO_UNLOCK = "None of the selected accounts was locked."
# The date drill-down's parts and their ranges: the admin adds one year, month or day to the
# chosen one, so the last year is refused too (datetime.MAXYEAR would overflow: a 500).
DATE_PART_RANGES = {"year": (1, datetime.MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}

admin.site.unregister(Group)
admin.site.unregister(User)
# Two-factor devices stay out of the admin: a device's pages show its secret (a QR code to copy
# it), and changes there would escape the audit trail (records/services/two_factor.py).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name"]
    search_fields = ["name"]
    # Changed on the clinic's sign-in security page, with the password and an audit event, and
    # on its follow-up and medication-import pages (audited there).
    exclude = ["two_factor_required", "score_interval_days", "supply_gap_days"]

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        clinic_operator_save(acting_user=request.user, clinic=obj)


class MembershipAdminForm(PasswordReentryForm, forms.ModelForm):  # type: ignore[type-arg]
    """A role change, confirmed with the operator's own password (ASVS 4.3.3)."""

    class Meta:
        model = Membership
        fields = ["user", "clinic", "role"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Roles: every addition, change and removal asks for the password and is audited."""

    form = MembershipAdminForm
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    delete_confirmation_template = "admin/records/membership/delete_confirmation.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "clinic")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        class ReentryForm(form):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, user=request.user, request=request, **form_kwargs)

        return ReentryForm

    def get_actions(self, request: HttpRequest) -> Any:
        # A bulk removal would skip the password; roles are removed one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        membership_save(acting_user=request.user, membership=obj)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_delete(acting_user=request.user, membership_id=obj.pk)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        form = PasswordReentryForm(
            request.POST if request.method == "POST" else None, user=request.user, request=request
        )
        if form.is_bound and not form.is_valid():
            # Back to the confirmation (after too many wrong passwords axes shows the sign-in).
            messages.error(request, ROLE_NOT_REMOVED)
            return HttpResponseRedirect(request.path)
        context = {**(extra_context or {}), "reentry_form": form}
        return super().delete_view(request, object_id, context)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    """The user's roles, read-only here: roles change in Memberships, with the password."""

    model = Membership
    extra = 0
    fields = ["clinic", "role", "created_at"]
    readonly_fields = ["clinic", "role", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClinicUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    """The user form, with names held to the identity-text rule of records (no hidden marks)."""

    def clean_first_name(self) -> str:
        return identity_text(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return identity_text(self.cleaned_data["last_name"])


@admin.register(User)
class ClinicUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """Accounts: identity, activation and passwords, each change audited (issue 13, defect 6)."""

    form = ClinicUserChangeForm
    inlines = [MembershipInline]
    list_display = [
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_superuser",
        "locked_out",
    ]
    list_filter = ["is_active", "is_superuser", "is_staff"]
    actions = ["unlock_accounts"]
    # No groups or model permissions: access comes from memberships (records/access.py), and
    # every field shown here is one the audit records (ACCOUNT_FIELDS).
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, never deleted: audit events keep pointing at them.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        account_operator_save(acting_user=request.user, user=obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Django's view saves the password itself; its hash changing tells the audit it did.
        with transaction.atomic():
            stored = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and stored is not None and user.password != stored:
                account_password_set_audit(acting_user=request.user, user=user)
        return response

    @admin.display(boolean=True, description="Locked out")
    def locked_out(self, user: User) -> bool:
        return account_is_locked(user)

    @admin.action(description="Unlock the selected accounts (clear failed sign-ins)")
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        unlocked = [
            user.get_username()
            for user in queryset
            if account_unlock(acting_user=request.user, user=user)
        ]
        if unlocked:
            messages.success(request, UNLOCKED.format(names=", ".join(unlocked)))
        else:
            messages.info(request, NOTHING_TO_UNLOCK)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The catalogue, read-only here: clinic admins edit their clinic's own agents on the clinic
    settings page (through the audited catalogue service); the built-ins follow the spec."""

    list_display = [
        "name",
        "drug_class",
        "role",
        "minimum_dose_mg_per_day",
        "minimum_serum_level_mmol_per_l",
        "clinic",
    ]
    list_filter = ["role", "drug_class"]
    search_fields = ["name", "molecule"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit trail, read-only for everyone: nobody adds, changes or deletes an event here."""

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "object_version",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username"]
    date_hierarchy = "occurred_at"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django turns an impossible date into its "?e=1" page, but a number too large for a
        # date (?occurred_at__year=99999999999999999999) raised OverflowError: a 500.
        for part, (lowest, highest) in DATE_PART_RANGES.items():
            value = request.GET.get(f"{self.date_hierarchy}__{part}")
            if value is None:
                continue
            number = int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 0
            if not lowest <= number <= highest:
                return HttpResponseRedirect(f"{request.path}?e=1")
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
