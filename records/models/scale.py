from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from records import scales

from .base import Tracked, choices_valid

SCALE_CHOICES = [(code.value, definition.name) for code, definition in scales.SCALES.items()]
SCALE_CODES = [code.value for code in scales.ScaleCode]

ITEMS_NOT_AN_OBJECT = "Item responses must map item numbers to scores."


def score_errors(scale: str, score: Decimal | None) -> list[str]:
    """Return what is wrong with one total score on a scale (range, whole number)."""
    if score is None:
        return []
    errors = scales.validate(scales.ScaleCode(scale), float(score), {})
    return [error.message for error in errors if error.field == "total"]


def _is_score(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


class ScaleAdministration(Tracked):
    """One rating-scale score of an episode; band, remission and alerts come from records/scales.

    Item values are stored for every scale (never item wording), so safety items and re-banding
    keep working when the bands change.
    """

    episode = models.ForeignKey(
        "records.Episode", on_delete=models.PROTECT, related_name="scale_administrations"
    )
    scale = models.CharField(max_length=20, choices=SCALE_CHOICES)
    scale_version = models.CharField(
        max_length=40, blank=True, help_text="e.g. 17-item; which version was administered."
    )
    interview_guide = models.CharField(
        max_length=40, blank=True, help_text="e.g. GRID-HAMD, SIGH-D"
    )
    administered_on = models.DateField()
    total = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Blank only for the WPAI, which has no single total.",
    )
    items = models.JSONField(null=True, blank=True, help_text="Item key → value (null = missing).")
    rater = models.CharField(
        max_length=100, blank=True, help_text="Who rated; blank for self-report."
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["episode", "administered_on", "pk"]
        indexes = [
            # The caseload reads each scale's latest score of every listed episode.
            models.Index(
                "episode",
                "scale",
                models.F("administered_on").desc(),
                models.F("id").desc(),
                name="scale_admin_latest_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_valid("scale", SCALE_CODES),
                name="scale_administration_scale_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(total__gte=0),
                name="scale_administration_total_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="scale_administration_version_valid"
            ),
        ]

    def __str__(self) -> str:
        total = "—" if self.total is None else f"{self.total.normalize():f}"
        return f"{self.get_scale_display()} {total} on {self.administered_on.isoformat()}"

    def clean(self) -> None:
        if self.scale not in SCALE_CODES:
            return  # clean_fields already names the unknown scale
        items = self.items
        if items is not None and not (
            isinstance(items, dict) and all(_is_score(value) for value in items.values())
        ):
            raise ValidationError({"items": ValidationError(ITEMS_NOT_AN_OBJECT, code="items")})
        total = None if self.total is None else float(self.total)
        errors = scales.validate(self.code, total, self.item_values)
        by_field: dict[str, list[ValidationError]] = {}
        for error in errors:
            by_field.setdefault(error.field, []).append(
                ValidationError(error.message, code="scale_invalid")
            )
        if by_field:
            raise ValidationError(by_field)

    @property
    def code(self) -> scales.ScaleCode:
        return scales.ScaleCode(self.scale)

    @property
    def item_values(self) -> dict[str, float | None]:
        """Return the item responses as numbers (JSON keeps them as ints or floats)."""
        return {
            key: None if value is None else float(value)
            for key, value in (self.items or {}).items()
        }

    @property
    def total_value(self) -> float | None:
        return None if self.total is None else float(self.total)

    @property
    def band(self) -> str | None:
        """Return the band of the total under the scale's default band set (records/scales.py)."""
        total = self.total_value
        return None if total is None else scales.band(self.code, total)

    @property
    def in_remission(self) -> bool | None:
        total = self.total_value
        return None if total is None else scales.is_remission(self.code, total)

    @property
    def safety_alert(self) -> scales.SafetyAlert | None:
        return scales.safety_alert(self.code, self.item_values)
