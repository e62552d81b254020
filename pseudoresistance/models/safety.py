"""C-SSRS screens: how a suicide-item alert was followed up, as a structured record."""

from django.conf import settings
from django.db import models

from pseudoresistance.cssrs import BEHAVIOUR_RECENT, QUESTIONS, RiskLevel, ScreenAnswers
from records.models import Episode, Patient

_LABELS = dict(QUESTIONS)


class CssrsScreen(models.Model):
    """The six answers of a C-SSRS screener for a patient's episode, and the risk they imply."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="cssrs_screens")
    screened_on = models.DateField(verbose_name="date of the screen")
    wish_to_be_dead = models.BooleanField(verbose_name=_LABELS["wish_to_be_dead"])
    suicidal_thoughts = models.BooleanField(verbose_name=_LABELS["suicidal_thoughts"])
    thoughts_with_method = models.BooleanField(verbose_name=_LABELS["thoughts_with_method"])
    intent = models.BooleanField(verbose_name=_LABELS["intent"])
    plan_with_intent = models.BooleanField(verbose_name=_LABELS["plan_with_intent"])
    behaviour = models.BooleanField(verbose_name=_LABELS["behaviour"])
    behaviour_past_3_months = models.BooleanField(verbose_name=BEHAVIOUR_RECENT)
    # Derived from the answers by pseudoresistance.cssrs.risk_level when recorded.
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-screened_on", "-recorded_at"]
        verbose_name = "C-SSRS screen"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suicidal_thoughts=True)
                | models.Q(thoughts_with_method=False, intent=False, plan_with_intent=False),
                name="cssrs_follow_ups_need_thoughts",
            ),
            models.CheckConstraint(
                condition=models.Q(behaviour=True) | models.Q(behaviour_past_3_months=False),
                name="cssrs_recent_behaviour_needs_behaviour",
            ),
        ]

    def __str__(self) -> str:
        return f"C-SSRS screen of {self.screened_on:%d %b %Y}: {self.get_risk_level_display()}"

    def answers(self) -> ScreenAnswers:
        """Return the six answers as the triage reads them."""
        return ScreenAnswers(
            wish_to_be_dead=self.wish_to_be_dead,
            suicidal_thoughts=self.suicidal_thoughts,
            thoughts_with_method=self.thoughts_with_method,
            intent=self.intent,
            plan_with_intent=self.plan_with_intent,
            behaviour=self.behaviour,
            behaviour_past_3_months=self.behaviour_past_3_months,
        )
