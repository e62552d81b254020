"""The admin, scoped: a clinic admin manages the users and memberships of their own clinics."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from .access import administered_clinic_ids
from .models import Agent, AuditEvent, Clinic, Membership
from .services import AgentInput, agent_create, agent_delete, agent_update, agent_validate

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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        clinics = super().get_queryset(request)
        if request.user.is_superuser:
            return clinics
        return clinics.filter(pk__in=administered_clinic_ids(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ClinicScopedAdmin):
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        memberships = super().get_queryset(request).select_related("user", "clinic")
        if request.user.is_superuser:
            return memberships
        return memberships.filter(clinic_id__in=administered_clinic_ids(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=administered_clinic_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        memberships = super().get_queryset(request)
        if request.user.is_superuser:
            return memberships
        return memberships.filter(clinic_id__in=administered_clinic_ids(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=administered_clinic_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(User)
class ClinicUserAdmin(ClinicScopedAdmin, UserAdmin):  # type: ignore[type-arg]
    inlines = [MembershipInline]
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
