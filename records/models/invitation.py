from django.conf import settings
from django.db import models

from .clinic import Clinic


class Invitation(models.Model):
    """A single-use link through which an invited person sets their own password.

    Only the SHA-256 of the link's token is stored (ASVS 2.5.1, like a password reset token): a
    copy of the database cannot be turned into working links. `used_at` spends the link.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.user} to {self.clinic}"
