"""The checklist versions in the admin, read-only: a version changes only by a data migration."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ChecklistItem, ChecklistVersion


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChecklistItemInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = ChecklistItem
    fields = ("code", "domain", "scope", "flag", "question", "derived_from", "provenance")
    readonly_fields = fields
    ordering = ["position"]
    extra = 0


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["label", "source", "loaded_at"]
    readonly_fields = ["label", "source", "loaded_at"]
    inlines = [ChecklistItemInline]
