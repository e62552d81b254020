"""Impasse cases of an episode, their transitions and the supervisors' reviews."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from pseudoresistance.states import CaseState, Transition
from records.models import Episode, Patient

from .checklist import ChecklistItem

FLAG_NEEDS_REASON = "Say why this episode is flagged as an impasse case."
SIGN_OFF_NEEDS_FINDINGS = "Record the findings before signing off."
SIGN_OFF_NEEDS_NEXT_STEPS = "Record the agreed next steps before signing off."
SIGN_OFF_NEEDS_SAFETY_NOTE = (
    "A suicide-item alert of the last 90 days is open: record a C-SSRS screen done since the "
    "alert, or write how the alert was addressed, before signing off."
)
OWN_PATIENT = (
    "You are this patient's responsible psychiatrist, or were while this case was open, so "
    "another supervisor reviews this case."
)
FLAGGED_BY_YOU = "You flagged this case, so another supervisor reviews this case."


class CaseOrigin(models.TextChoices):
    AUTOMATIC = "automatic", "Flagged automatically"
    MANUAL = "manual", "Flagged by a clinician"


class ImpasseCase(models.Model):
    """An episode flagged for a supervisor's review; one case in progress per episode."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="impasse_cases")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="impasse_cases")
    state = models.CharField(max_length=20, choices=CaseState.choices, default=CaseState.OPEN)
    origin = models.CharField(max_length=20, choices=CaseOrigin.choices)
    flag_reason = models.TextField(blank=True)
    # The automatic criteria met when last evaluated (impasse_flags_refresh).
    criteria = models.JSONField(default=list, blank=True)
    # The MSM total when last evaluated: the queue's severity (None when the MSM gives none).
    msm_score = models.PositiveSmallIntegerField(null=True, blank=True)
    flagged_at = models.DateTimeField()
    # None: flagged by the system (a scheduled restage), not after a person's change.
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Since when the case has waited for a reviewer: set when flagged, reopened or handed back.
    waiting_since = models.DateTimeField()
    # Every user who was the patient's responsible psychiatrist while the case was open (when
    # flagged, reopened or the patient reassigned): none of them may review it.
    responsible_psychiatrist_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-flagged_at"]
        indexes = [models.Index(fields=["state", "waiting_since"], name="impasse_case_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=~models.Q(state=CaseState.CLOSED),
                name="impasse_case_one_active_per_episode",
                violation_error_message="This episode already has an impasse case in progress.",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=CaseState.values), name="impasse_case_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=CaseOrigin.values),
                name="impasse_case_origin_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(origin=CaseOrigin.MANUAL) | ~models.Q(flag_reason=""),
                name="impasse_case_manual_flag_has_reason",
                violation_error_message=FLAG_NEEDS_REASON,
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="impasse_case_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Impasse case {self.pk} ({self.get_state_display()})"

    @property
    def current_state(self) -> CaseState:
        return CaseState(self.state)

    def review_conflict(self, user_id: int) -> str | None:
        """Return why the user may not review this case (their own patient, their flag), if so."""
        # No self-review (issue 13): a reassignment for the length of a review does not help.
        if user_id == self.patient.psychiatrist_id or user_id in self.responsible_psychiatrist_ids:
            return OWN_PATIENT
        if self.origin == CaseOrigin.MANUAL and user_id == self.flagged_by_id:
            return FLAGGED_BY_YOU
        return None

    def psychiatrist_noted(self) -> bool:
        """Add the patient's current psychiatrist to those who may not review; say if new."""
        psychiatrist_id = self.patient.psychiatrist_id
        if psychiatrist_id is None or psychiatrist_id in self.responsible_psychiatrist_ids:
            return False
        self.responsible_psychiatrist_ids = [*self.responsible_psychiatrist_ids, psychiatrist_id]
        return True


class ImpasseCaseEvent(models.Model):
    """One transition of a case, with who made it and why (the audit trail keeps it too)."""

    case = models.ForeignKey(ImpasseCase, on_delete=models.PROTECT, related_name="events")
    transition = models.CharField(max_length=20, blank=True)
    from_state = models.CharField(max_length=20, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=CaseState.choices)
    reason = models.TextField(blank=True)
    # None: the system (a scheduled restage).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transition__in=[*(t.value for t in Transition), ""]),
                name="impasse_case_event_transition_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_state or '—'} → {self.to_state}"

    @property
    def by_the_system(self) -> bool:
        """Whether the system made this transition (an automatic flag or withdrawal).

        The user whose change set it off is kept in `by` and the audit, but is not its author.
        """
        if self.by_id is None or self.transition == Transition.WITHDRAW:
            return True
        return not self.from_state and self.case.origin == CaseOrigin.AUTOMATIC


class ImpasseReview(models.Model):
    """A supervisor's review of a case: findings, factors to address, agreed next steps."""

    case = models.ForeignKey(ImpasseCase, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    findings = models.TextField(blank=True)
    factors = models.ManyToManyField(
        ChecklistItem,
        blank=True,
        related_name="+",
        verbose_name="pseudo-resistance factors to address",
    )
    factors_note = models.TextField(blank=True, verbose_name="other factors to address")
    next_steps = models.TextField(blank=True, verbose_name="agreed next steps")
    follow_up_date = models.DateField(null=True, blank=True)
    # Issue 17: how an open suicide-item alert was addressed, required to sign off over one.
    safety_note = models.TextField(
        blank=True, verbose_name="how the suicide-item alert was addressed"
    )
    # Issue 17: the C-SSRS screen that addressed an open suicide-item alert at sign-off.
    cssrs_screen = models.ForeignKey(
        "CssrsScreen",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="C-SSRS screen that addressed the suicide-item alert",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    # Set when the reviewer handed the case back before signing off.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["case", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(signed_off_at__isnull=True, withdrawn_at__isnull=True),
                name="impasse_review_one_in_progress_per_case",
                violation_error_message="This case is already being reviewed.",
            ),
            models.CheckConstraint(
                condition=models.Q(signed_off_at__isnull=True) | ~models.Q(findings=""),
                name="impasse_review_signed_off_has_findings",
                violation_error_message=SIGN_OFF_NEEDS_FINDINGS,
            ),
            models.CheckConstraint(
                condition=models.Q(signed_off_at__isnull=True) | ~models.Q(next_steps=""),
                name="impasse_review_signed_off_has_next_steps",
                violation_error_message=SIGN_OFF_NEEDS_NEXT_STEPS,
            ),
            models.CheckConstraint(
                condition=models.Q(signed_off_at__isnull=True)
                | models.Q(withdrawn_at__isnull=True),
                name="impasse_review_signed_off_or_withdrawn",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="impasse_review_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of case {self.case_id} by {self.reviewer}"

    @property
    def in_progress(self) -> bool:
        return self.signed_off_at is None and self.withdrawn_at is None

    @property
    def safety_acknowledgement(self) -> str:
        """Say how an open suicide-item alert was addressed at sign-off ("" when none was open).

        Which way (a C-SSRS screen, a note), by whom, when, and the screen's risk level; the
        screen and its recorder must be loaded with the review.
        """
        parts = []
        screen = self.cssrs_screen
        if screen is not None:
            who = screen.recorded_by.get_full_name() or screen.recorded_by.get_username()
            parts.append(
                f"C-SSRS screen of {screen.screened_on:%-d %b %Y}, recorded by {who}: "
                f"{screen.get_risk_level_display().lower()}."
            )
        if self.safety_note:
            who = self.reviewer.get_full_name() or self.reviewer.get_username()
            signed = self.signed_off_at
            when = f" on {timezone.localtime(signed):%-d %b %Y}" if signed is not None else ""
            parts.append(f"Note by {who}{when}: {self.safety_note}")
        return " ".join(parts)
