from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from PIL import Image, UnidentifiedImageError

from records.identity import IdentityTextField

# ASVS 12.1.1, 12.2.1: a letterhead logo is a small PNG or JPEG. SVG is refused: it can carry
# script and links to other resources, which the PDF renderer would fetch.
LOGO_EXTENSIONS = ("png", "jpg", "jpeg")
LOGO_FORMATS = frozenset({"PNG", "JPEG"})
LOGO_MAX_BYTES = 300 * 1024
LOGO_MAX_PIXELS = 2000
LOGO_TOO_LARGE = "The logo is larger than 300 KB: save it smaller (a letterhead needs little)."
LOGO_NOT_IMAGE = "The logo must be a PNG or JPEG image."
LOGO_TOO_MANY_PIXELS = "The logo is larger than 2000 × 2000 pixels: scale it down."
SCORE_INTERVAL_DEFAULT = 28
SCORE_INTERVAL_MIN = 7
SCORE_INTERVAL_MAX = 365
SCORE_INTERVAL_RANGE = "Give a number of days from 7 to 365."
# Issue 19: supplies of one medicine are one course while the next starts no more than 30 days
# after the previous supply ran out. The range is a data-entry guard: 0 joins only unbroken
# supplies; beyond half a year a lapse is a new course by any reading.
SUPPLY_GAP_DEFAULT = 30
SUPPLY_GAP_MIN = 0
SUPPLY_GAP_MAX = 180
SUPPLY_GAP_RANGE = "Give a number of days from 0 to 180."


def logo_size_valid(logo: File) -> None:  # type: ignore[type-arg]
    """Refuse a logo file over LOGO_MAX_BYTES."""
    if logo.size is not None and logo.size > LOGO_MAX_BYTES:
        raise ValidationError(LOGO_TOO_LARGE, code="logo_too_large")


def logo_image_valid(logo: File) -> None:  # type: ignore[type-arg]
    """Refuse a logo that is not a PNG or JPEG image of a letterhead's size, whatever its name."""
    try:
        logo.seek(0)
        with Image.open(logo) as image:
            image_format, (width, height) = image.format, image.size
        logo.seek(0)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(LOGO_NOT_IMAGE, code="logo_not_image") from None
    if image_format not in LOGO_FORMATS:
        raise ValidationError(LOGO_NOT_IMAGE, code="logo_not_image")
    if max(width, height) > LOGO_MAX_PIXELS:
        raise ValidationError(LOGO_TOO_MANY_PIXELS, code="logo_too_many_pixels")


class PaperSize(models.TextChoices):
    A4 = "A4", "A4"
    LETTER = "letter", "US Letter"


class Role(models.TextChoices):
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    SUPERVISOR = "supervisor", "Supervisor"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class Clinic(models.Model):
    name = IdentityTextField(max_length=200, unique=True)
    address = models.TextField(blank=True)
    # The printed report's letterhead and paper (records/report.py).
    logo = models.ImageField(
        upload_to="clinic-logos/",
        blank=True,
        validators=[
            FileExtensionValidator(LOGO_EXTENSIONS, message=LOGO_NOT_IMAGE),
            logo_size_valid,
            logo_image_valid,
        ],
        help_text="A PNG or JPEG image of at most 300 KB and 2000 × 2000 pixels.",
    )
    paper_size = models.CharField(max_length=10, choices=PaperSize.choices, default=PaperSize.A4)
    # Clinic admins and supervisors always use two-factor sign-in; this extends it to everyone.
    two_factor_required = models.BooleanField(
        "two-factor sign-in for everyone",
        default=True,
        help_text="Every member signs in with a code from an authenticator app after the password.",
    )
    # Issue 16: a patient in an episode is due a new rating every four weeks unless the clinic
    # says otherwise; the caseload marks an older latest score as overdue.
    score_interval_days = models.PositiveSmallIntegerField(
        "days between ratings",
        default=SCORE_INTERVAL_DEFAULT,
        validators=[
            MinValueValidator(SCORE_INTERVAL_MIN, SCORE_INTERVAL_RANGE),
            MaxValueValidator(SCORE_INTERVAL_MAX, SCORE_INTERVAL_RANGE),
        ],
        help_text="A patient's latest score older than this is shown as overdue in the caseload.",
    )
    supply_gap_days = models.PositiveSmallIntegerField(
        "days without medicine that still continue a course",
        default=SUPPLY_GAP_DEFAULT,
        validators=[
            MinValueValidator(SUPPLY_GAP_MIN, SUPPLY_GAP_RANGE),
            MaxValueValidator(SUPPLY_GAP_MAX, SUPPLY_GAP_RANGE),
        ],
        help_text="A longer gap starts a new course. New clinics start with 30 days.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(paper_size__in=PaperSize.values), name="clinic_paper_size_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    score_interval_days__gte=SCORE_INTERVAL_MIN,
                    score_interval_days__lte=SCORE_INTERVAL_MAX,
                ),
                name="clinic_score_interval_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    supply_gap_days__gte=SUPPLY_GAP_MIN, supply_gap_days__lte=SUPPLY_GAP_MAX
                ),
                name="clinic_supply_gap_in_range",
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
