"""The admin, scoped: a clinic admin manages the users and memberships of their own clinics."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from .access import administered_clinic_ids
from .models import Clinic, Membership

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
