from collections.abc import Collection, Iterable

from django.conf import settings
from django.db import models

from .constraints import constraints_validate


class Tracked(models.Model):
    """Who created and last changed a clinical record, and when."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by the services, never by a form; null for rows made by migrations.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # The same errors as Django's, with every check constraint in one query
        # (records/models/constraints.py): a trial has about twenty.
        constraints_validate(self, exclude)


def choices_valid(field: str, codes: Iterable[str], *, blank: bool = False) -> models.Q:
    """Return the condition that a choice field holds one of its codes (blank = not recorded)."""
    values = [*codes, ""] if blank else list(codes)
    return models.Q(**{f"{field}__in": values})
