from django.db import models
from django.utils import timezone

from .base import choices_valid


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    VIEW = "view", "Opened"
    EXPORT = "export", "Exported"
    IMPORT = "import", "Imported"
    OVERRIDE = "override", "Adequacy overridden"
    OVERRIDE_CLEAR = "override_clear", "Adequacy override cleared"


# Actions that only read: the record-access log rather than the change history.
ACCESS_ACTIONS = frozenset({AuditAction.VIEW, AuditAction.EXPORT})


class AuditEvent(models.Model):
    """One append-only entry of the audit trail: who did what to which record, and when.

    Plain ids instead of foreign keys, so no deletion can cascade into the trail and the trail
    never blocks a deletion; a database trigger (migration 0003) refuses UPDATE and DELETE.
    `changes` maps a field to [old, new] as display strings (null when not recorded).
    """

    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    changes = models.JSONField(default=dict, blank=True)
    object_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["patient_id", "-occurred_at"], name="audit_patient_time_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["clinic_id", "-occurred_at"], name="audit_clinic_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_valid("action", AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {who} {self.get_action_display().lower()} "
            f"{self.object_type} {self.object_id}"
        )
