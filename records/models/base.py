from collections.abc import Iterable

from django.conf import settings
from django.db import models


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


def choices_valid(field: str, codes: Iterable[str], *, blank: bool = False) -> models.Q:
    """Return the condition that a choice field holds one of its codes (blank = not recorded)."""
    values = [*codes, ""] if blank else list(codes)
    return models.Q(**{f"{field}__in": values})
