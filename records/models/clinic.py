from django.conf import settings
from django.db import models


class PaperSize(models.TextChoices):
    A4 = "A4", "A4"
    LETTER = "letter", "US Letter"


class Role(models.TextChoices):
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    SUPERVISOR = "supervisor", "Supervisor"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    address = models.TextField(blank=True)
    # The printed report's letterhead and paper (records/report.py).
    logo = models.ImageField(upload_to="clinic-logos/", blank=True)
    paper_size = models.CharField(max_length=10, choices=PaperSize.choices, default=PaperSize.A4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(paper_size__in=PaperSize.values), name="clinic_paper_size_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a clinic; a user may hold several roles and belong to several clinics."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"
