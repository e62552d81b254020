"""The stored staging of each episode (the cohort page reads these) and the pseudonym key."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from records.models import Clinic, Episode


class EpisodeSnapshot(models.Model):
    """One episode's staging, case status and impasse criteria as last computed.

    Refreshed in the transaction of every change to the episode (records' one change path,
    imports and the clinic's staging defaults included) and by `manage.py restage`. Derived
    data: never edited by hand.
    """

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="snapshot")
    # The episode's clinic, so the cohort page filters one indexed column.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    # {model key: engine version} of the engines that computed this snapshot.
    engine_versions = models.JSONField(default=dict)
    # The staging parameters used, by Params field name (enums as their values).
    params = models.JSONField(default=dict)
    assessment_date = models.DateField()
    computed_at = models.DateTimeField()
    stale = models.BooleanField(default=False)
    # {model key: {"category", "reaches", "applicable", "stage", "score", "band", "met"}}.
    results = models.JSONField(default=dict)
    # {model key: category} after the checklist removed the trials its RED concerns flag.
    results_after_checklist = models.JSONField(default=dict)
    status = models.CharField(max_length=60)
    status_text = models.CharField(max_length=300)
    # The automatic impasse criteria met (pseudoresistance.criteria codes).
    criteria = models.JSONField(default=list)
    msm_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # Checklist item codes: pseudo-resistance concerns (RED concerns and contributors), gaps.
    concerns = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    data_gaps = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # [[ISO date, scale code, response or null, remission or null], ...] in date order.
    score_outcomes = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["clinic", "stale"], name="cohort_snapshot_clinic_idx")]

    def __str__(self) -> str:
        return f"Staging snapshot of episode {self.episode_id} ({self.assessment_date})"


class ClinicPseudonymKey(models.Model):
    """A clinic's secret for de-identified exports' pseudonyms; never shown or exported."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Pseudonym key of clinic {self.clinic_id}"
