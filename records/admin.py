"""The admin, scoped: a clinic admin manages the users and memberships of their own clinics."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.reauth import PasswordReentryForm

from .access import administered_clinic_ids
from .models import Agent, AuditEvent, Clinic, Membership
from .services import AgentInput, agent_create, agent_delete, agent_update, agent_validate
from .services.accounts import (
    account_is_locked,
    account_unlock,
    membership_delete,
    membership_save,
)

ROLE_NOT_REMOVED = "The role was not removed: type your password to confirm."
UNLOCKED = "Unlocked: {names}."
NOTHING_TO_UNLOCK = "None of the selected accounts was locked."

AGENT_INPUT_FIELDS = (
    "name",
    "molecule",
    "drug_class",
    "role",
    "minimum_dose_mg_per_day",
    "minimum_serum_level_mmol_per_l",
    "minimum_weeks",
    "source",
)
AGENT_ADMIN_FIELDS = ("clinic", *AGENT_INPUT_FIELDS)

admin.site.unregister(Group)
admin.site.unregister(User)
# Two-factor devices stay out of the admin: a device's pages show its secret (a QR code to copy
# it), and changes there would escape the audit trail (records/services/two_factor.py).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class ClinicScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Opens a model to clinic admins; superusers keep Django's own permission checks."""

    def _is_clinic_admin(self, request: HttpRequest) -> bool:
        return bool(administered_clinic_ids(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._is_clinic_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or self._is_clinic_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or self._is_clinic_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._is_clinic_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or self._is_clinic_admin(request)


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    # Changed on the clinic's sign-in security page, with the password and an audit event.
    exclude = ["two_factor_required"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        clinics = super().get_queryset(request)
        if request.user.is_superuser:
            return clinics
        return clinics.filter(pk__in=administered_clinic_ids(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class MembershipAdminForm(PasswordReentryForm, forms.ModelForm):  # type: ignore[type-arg]
    """A role change, confirmed with the admin's own password (ASVS 4.3.3)."""

    class Meta:
        model = Membership
        fields = ["user", "clinic", "role"]


@admin.register(Membership)
class MembershipAdmin(ClinicScopedAdmin):
    """Roles: every addition, change and removal asks for the password and is audited."""

    form = MembershipAdminForm
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    delete_confirmation_template = "admin/records/membership/delete_confirmation.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        memberships = super().get_queryset(request).select_related("user", "clinic")
        if request.user.is_superuser:
            return memberships
        return memberships.filter(clinic_id__in=administered_clinic_ids(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=administered_clinic_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        memberships = super().get_queryset(request)
        if request.user.is_superuser:
            return memberships
        return memberships.filter(clinic_id__in=administered_clinic_ids(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class ClinicUserAdmin(ClinicScopedAdmin, UserAdmin):  # type: ignore[type-arg]
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "locked_out"]
    actions = ["unlock_accounts"]
    clinic_admin_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users: QuerySet[User] = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        # Users of the admin's clinics, and new accounts that have no clinic yet.
        return (
            users.annotate(n_memberships=Count("memberships"))
            .filter(
                Q(memberships__clinic_id__in=administered_clinic_ids(request.user))
                | Q(n_memberships=0)
            )
            .distinct()
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.clinic_admin_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, never deleted: audit events keep pointing at them.
        return request.user.is_superuser

    @admin.display(boolean=True, description="Locked out")
    def locked_out(self, user: User) -> bool:
        return account_is_locked(user)

    @admin.action(description="Unlock the selected accounts (clear failed sign-ins)")
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        unlocked = []
        for user in queryset:
            try:
                if account_unlock(acting_user=request.user, user=user):
                    unlocked.append(user.get_username())
            except PermissionDenied as refusal:
                messages.error(request, str(refusal))
        if unlocked:
            messages.success(request, UNLOCKED.format(names=", ".join(unlocked)))
        else:
            messages.info(request, NOTHING_TO_UNLOCK)


class AgentAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Agent
        fields = AGENT_ADMIN_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        clinic_id = cleaned["clinic"].pk if cleaned.get("clinic") else self.instance.clinic_id
        if clinic_id is not None and not self.errors:
            # The service owns the catalogue's rules; the form only shows its field errors.
            agent_validate(
                clinic_id=clinic_id, data=agent_input(cleaned), agent_id=self.instance.pk
            )
        return cleaned


def agent_input(cleaned: dict[str, Any]) -> AgentInput:
    """Return the admin form's values as the catalogue service's input."""
    return AgentInput(**{name: cleaned[name] for name in AGENT_INPUT_FIELDS})


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The catalogue: built-ins read-only for everyone; a clinic admin edits their clinic's own.

    Every change goes through the catalogue service, so it is checked and audited there.
    """

    form = AgentAdminForm
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        agents = super().get_queryset(request).select_related("clinic")
        if request.user.is_superuser:
            return agents
        return agents.filter(
            Q(clinic=None) | Q(clinic_id__in=administered_clinic_ids(request.user))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(administered_clinic_ids(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def _may_edit(self, request: HttpRequest, obj: Agent | None) -> bool:
        clinic_ids = administered_clinic_ids(request.user)
        if obj is None:
            return bool(clinic_ids)
        return obj.clinic_id is not None and obj.clinic_id in clinic_ids

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding goes through the service, which needs the clinic-admin role in that clinic.
        return bool(administered_clinic_ids(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An entry stays in the clinic it was added to.
        return ("clinic",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic":
            kwargs["queryset"] = Clinic.objects.filter(pk__in=administered_clinic_ids(request.user))
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Agent, form: Any, change: bool) -> None:
        data = agent_input(form.cleaned_data)
        if change:
            agent_update(acting_user=request.user, agent_id=obj.pk, data=data)
        else:
            clinic_id = form.cleaned_data["clinic"].pk
            obj.pk = agent_create(acting_user=request.user, clinic_id=clinic_id, data=data).pk

    def delete_model(self, request: HttpRequest, obj: Agent) -> None:
        agent_delete(acting_user=request.user, agent_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        for agent in queryset:
            agent_delete(acting_user=request.user, agent_id=agent.pk)


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        events = super().get_queryset(request)
        if request.user.is_superuser:
            return events
        return events.filter(clinic_id__in=administered_clinic_ids(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(administered_clinic_ids(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
