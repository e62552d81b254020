from django.db import models

from .base import Tracked
from .episode import Episode

REFERRER_MAX = 200


class ReportPreparation(Tracked):
    """What the psychiatrist writes for an episode's report before printing it.

    The consultant summary shows "draft" until the referral, impression and plan are filled; the
    letter's paragraphs are blank until edited (the report then proposes its own wording).
    """

    episode = models.OneToOneField(
        Episode, on_delete=models.PROTECT, related_name="report_preparation"
    )
    reason_for_referral = models.TextField(blank=True)
    referrer = models.CharField(
        max_length=REFERRER_MAX, blank=True, help_text="Who referred, and from where."
    )
    impression = models.TextField(blank=True, verbose_name="clinical impression")
    plan = models.TextField(blank=True)
    letter_assessed = models.TextField(blank=True, verbose_name="what was assessed")
    letter_found = models.TextField(blank=True, verbose_name="what we found")
    letter_recommended = models.TextField(blank=True, verbose_name="what we recommend")
    letter_practice = models.TextField(blank=True, verbose_name="what the practice can do")
    letter_safety = models.TextField(blank=True, verbose_name="safety-netting")
    letter_contact = models.TextField(blank=True, verbose_name="who to contact")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="report_preparation_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Report preparation of episode {self.episode_id}"

    @property
    def complete(self) -> bool:
        """Return whether the fields the summary needs before it stops being a draft are filled."""
        return all(
            value.strip()
            for value in (self.reason_for_referral, self.referrer, self.impression, self.plan)
        )
