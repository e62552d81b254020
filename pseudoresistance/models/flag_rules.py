"""A clinic's impasse flag rules: which criteria open a case on their own, one row per clinic.

Without a saved row a clinic flags under `pseudoresistance.criteria.DEFAULT_FLAG_RULES`, the
rules every clinic had before they became a setting.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pseudoresistance.criteria import (
    DEFAULT_FLAG_RULES,
    MSM_FLAG_SCORE,
    MSM_TOTAL_MAX,
    MSM_TOTAL_MIN,
    FlagRules,
    LongEpisode,
)
from records.models import Clinic
from records.models.base import Tracked

# The model's fields an audit event records, old → new.
FLAG_RULE_FIELDS = (
    "fda_ema_met",
    "msm_enabled",
    "msm_min_score",
    "red_concern",
    "long_episode_enabled",
    "long_episode_points",
)


class ImpasseFlagRules(Tracked):
    """Which criteria open an impasse case on their own in a clinic."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, related_name="impasse_flag_rules"
    )
    fda_ema_met = models.BooleanField(
        default=DEFAULT_FLAG_RULES.fda_ema_met,
        verbose_name="the treatments tried meet the FDA/EMA definition",
    )
    msm_enabled = models.BooleanField(
        default=True, verbose_name="the Maudsley Staging Method score reaches"
    )
    msm_min_score = models.PositiveSmallIntegerField(
        default=MSM_FLAG_SCORE,
        validators=[MinValueValidator(MSM_TOTAL_MIN), MaxValueValidator(MSM_TOTAL_MAX)],
        verbose_name="Maudsley score at least",
        help_text=f"The total runs from {MSM_TOTAL_MIN} to {MSM_TOTAL_MAX}; the moderate band "
        f"starts at {MSM_FLAG_SCORE} (Fekadu 2018).",
    )
    red_concern = models.BooleanField(
        default=DEFAULT_FLAG_RULES.red_concern, verbose_name="a RED checklist concern is recorded"
    )
    long_episode_enabled = models.BooleanField(
        default=True, verbose_name="the episode is long without any response"
    )
    long_episode_points = models.PositiveSmallIntegerField(
        choices=LongEpisode.choices,
        default=LongEpisode.OVER_24_MONTHS,
        verbose_name="episode",
        help_text="The Maudsley Staging Method's duration bands.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "impasse flag rules"
        verbose_name_plural = "impasse flag rules"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(msm_min_score__gte=MSM_TOTAL_MIN)
                & models.Q(msm_min_score__lte=MSM_TOTAL_MAX),
                name="impasse_flag_rules_msm_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(long_episode_points__in=LongEpisode.values),
                name="impasse_flag_rules_long_episode_band",
            ),
        ]

    def __str__(self) -> str:
        return f"Impasse flag rules of {self.clinic}"

    def rules(self) -> FlagRules:
        """Return the rules as the criteria judge them."""
        return FlagRules(
            fda_ema_met=self.fda_ema_met,
            msm_min_score=self.msm_min_score if self.msm_enabled else None,
            red_concern=self.red_concern,
            long_episode_points=self.long_episode_points if self.long_episode_enabled else None,
        )
