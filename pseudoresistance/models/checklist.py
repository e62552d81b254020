"""The checklist as versioned rows, and a clinician's answers to it for one episode."""

from enum import StrEnum

from django.conf import settings
from django.db import models

from pseudoresistance import checklist_data as data
from records.models import Episode, TreatmentTrial

ESCALATION_NEEDS_REASON = "Say why this concern is escalated to RED."


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


def _valid(field: str, enum: type[StrEnum], *, blank: bool = False) -> models.Q:
    values = [member.value for member in enum]
    return models.Q(**{f"{field}__in": [*values, ""] if blank else values})


class AnswerChoice(models.TextChoices):
    YES = data.Answer.YES.value, "Yes"
    NO = data.Answer.NO.value, "No"
    UNKNOWN = data.Answer.UNKNOWN.value, "Unknown"


class EvidenceSource(models.TextChoices):
    RECORD = "record", "Record"
    INTERVIEW = "interview", "Interview"
    LAB = "lab", "Lab"
    COLLATERAL = "collateral", "Collateral"


class ChecklistVersion(models.Model):
    """One published release of the checklist; a review keeps the version it was answered on."""

    label = models.CharField(max_length=20, unique=True)
    source = models.CharField(max_length=300)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"Checklist {self.label}"


class ChecklistItem(models.Model):
    """One item of a checklist version, as transcribed in checklist_data.py."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="items")
    code = models.CharField(max_length=5)
    position = models.PositiveSmallIntegerField()
    domain = models.CharField(max_length=1, choices=_choices(data.Domain))
    scope = models.CharField(max_length=10, choices=_choices(data.Scope))
    question = models.TextField()
    concern_answer = models.CharField(max_length=20, choices=_choices(data.ConcernAnswer))
    flag = models.CharField(max_length=10, choices=_choices(data.FlagLevel))
    flag_as_published = models.CharField(max_length=200)
    why_it_matters = models.TextField()
    screen = models.TextField()
    source = models.TextField()
    provenance = models.CharField(max_length=20, choices=_choices(data.Provenance))
    escalation_hint = models.CharField(max_length=200, blank=True)
    flag_note = models.CharField(max_length=200, blank=True)
    concern_note = models.CharField(max_length=200, blank=True)
    derived_from = models.CharField(
        max_length=50, blank=True, choices=_choices(data.DerivedRuleKey)
    )

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="checklist_item_code_unique"),
            models.UniqueConstraint(
                fields=["version", "position"], name="checklist_item_position_unique"
            ),
            models.CheckConstraint(
                condition=_valid("domain", data.Domain), name="checklist_item_domain_valid"
            ),
            models.CheckConstraint(
                condition=_valid("scope", data.Scope), name="checklist_item_scope_valid"
            ),
            models.CheckConstraint(
                condition=_valid("flag", data.FlagLevel), name="checklist_item_flag_valid"
            ),
            models.CheckConstraint(
                condition=_valid("concern_answer", data.ConcernAnswer),
                name="checklist_item_concern_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def as_data(self) -> data.ChecklistItem:
        """Return the item as checklist_data's type, whose methods carry the flag logic."""
        return data.ChecklistItem(
            code=self.code,
            domain=data.Domain(self.domain),
            scope=data.Scope(self.scope),
            question=self.question,
            concern_answer=data.ConcernAnswer(self.concern_answer),
            flag=data.FlagLevel(self.flag),
            flag_as_published=self.flag_as_published,
            why_it_matters=self.why_it_matters,
            screen=self.screen,
            source=self.source,
            provenance=data.Provenance(self.provenance),
            escalation_hint=self.escalation_hint or None,
            flag_note=self.flag_note or None,
            concern_note=self.concern_note or None,
            derived_from=data.DerivedRuleKey(self.derived_from) if self.derived_from else None,
        )


class ChecklistReview(models.Model):
    """The checklist worked through for one episode, on one checklist version."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="checklist_reviews")
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["episode", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "version"], name="checklist_review_one_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Checklist {self.version.label} for {self.episode}"


class ChecklistAnswer(models.Model):
    """A clinician's answer to one item (per trial in domain A).

    `derived_answer` is what the records gave when the clinician answered (blank when no rule
    pre-answers the item), so a correction keeps the value it corrected.
    """

    review = models.ForeignKey(ChecklistReview, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    # A trial deleted as entered in error takes its answers with it (the deletion is audited).
    trial = models.ForeignKey(
        TreatmentTrial,
        on_delete=models.CASCADE,
        related_name="checklist_answers",
        null=True,
        blank=True,
    )
    answer = models.CharField(max_length=10, choices=AnswerChoice.choices)
    evidence = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=EvidenceSource.choices, blank=True)
    derived_answer = models.CharField(
        max_length=10, choices=AnswerChoice.choices, blank=True, verbose_name="from the records"
    )
    escalated = models.BooleanField(default=False, verbose_name="escalated to RED")
    escalation_reason = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["review", "item__position", "trial_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "item"],
                condition=models.Q(trial__isnull=True),
                name="checklist_answer_one_per_item",
            ),
            models.UniqueConstraint(
                fields=["review", "item", "trial"],
                condition=models.Q(trial__isnull=False),
                name="checklist_answer_one_per_item_and_trial",
            ),
            models.CheckConstraint(
                condition=models.Q(answer__in=AnswerChoice.values),
                name="checklist_answer_answer_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(derived_answer__in=[*AnswerChoice.values, ""]),
                name="checklist_answer_derived_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=[*EvidenceSource.values, ""]),
                name="checklist_answer_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(escalated=False) | ~models.Q(escalation_reason=""),
                name="checklist_answer_escalation_has_reason",
                violation_error_message=ESCALATION_NEEDS_REASON,
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="checklist_answer_version_valid"
            ),
        ]

    def __str__(self) -> str:
        where = f" on {self.trial.code}" if self.trial_id and self.trial else ""
        return f"{self.item.code}{where}: {self.get_answer_display()}"

    @property
    def corrected(self) -> bool:
        """Return whether the clinician's answer differs from what the records gave."""
        return bool(self.derived_answer) and self.derived_answer != self.answer


class StatusConfirmation(models.Model):
    """A clinician's confirmation of an episode's case status, as it read then (append-only).

    The status is display only until confirmed (section 2.0); a confirmation stands while the
    status it names is still the status shown (same status and wording, counts included).
    """

    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, related_name="status_confirmations"
    )
    status = models.CharField(max_length=40, choices=_choices(data.CaseStatus))
    status_text = models.CharField(max_length=300)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["-confirmed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=_valid("status", data.CaseStatus), name="status_confirmation_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Status confirmed on {self.confirmed_at:%Y-%m-%d}"
