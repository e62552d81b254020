from django.db import models
from django.db.models.functions import Lower

from records.identity import IdentityTextField
from staging import catalogue

from .base import Tracked, choices_valid
from .clinic import Clinic

# The catalogue's classes (staging/catalogue.py); staging's models count classes by these codes.
DRUG_CLASS_CHOICES = [(drug_class.value, drug_class.value) for drug_class in catalogue.DrugClass]
DRUG_CLASSES = [drug_class.value for drug_class in catalogue.DrugClass]


class AgentRole(models.TextChoices):
    ANTIDEPRESSANT = catalogue.Role.ANTIDEPRESSANT.value, "Antidepressant"
    AUGMENTER = catalogue.Role.AUGMENTER.value, "Augmenter"


class Agent(Tracked):
    """A catalogued medicine: built in for every clinic (no clinic) or added by one clinic."""

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        related_name="agents",
        null=True,
        blank=True,
        help_text="Blank for the built-in catalogue shared by every clinic.",
    )
    name = IdentityTextField(max_length=100)
    molecule = models.CharField(
        max_length=100,
        blank=True,
        help_text="Formulations of one molecule count as one agent; blank means the name.",
    )
    drug_class = models.CharField(max_length=20, choices=DRUG_CLASS_CHOICES, verbose_name="class")
    role = models.CharField(max_length=20, choices=AgentRole.choices)
    minimum_dose_mg_per_day = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        verbose_name="minimum adequate dose (mg/day)",
    )
    minimum_serum_level_mmol_per_l = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name="minimum serum level (mmol/L)",
        help_text="For agents judged on the serum level instead of the dose (lithium).",
    )
    minimum_weeks = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Only where the agent needs longer than the usual minimum.",
    )
    source = models.CharField(max_length=300, help_text="Where the minimum comes from.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(clinic__isnull=True),
                name="agent_builtin_name_unique",
                violation_error_message="The built-in catalogue already has an agent of this name.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "clinic",
                condition=models.Q(clinic__isnull=False),
                name="agent_clinic_name_unique",
                violation_error_message="This clinic already has an agent of this name.",
            ),
            models.CheckConstraint(
                condition=choices_valid("drug_class", DRUG_CLASSES), name="agent_class_valid"
            ),
            models.CheckConstraint(
                condition=choices_valid("role", AgentRole.values), name="agent_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_dose_mg_per_day__isnull=True)
                | models.Q(minimum_serum_level_mmol_per_l__isnull=True),
                name="agent_one_kind_of_minimum",
                violation_error_message="Give a minimum dose or a minimum serum level, not both.",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_dose_mg_per_day__isnull=True)
                | models.Q(minimum_dose_mg_per_day__gt=0),
                name="agent_minimum_dose_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_serum_level_mmol_per_l__isnull=True)
                | models.Q(minimum_serum_level_mmol_per_l__gt=0),
                name="agent_minimum_level_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_weeks__isnull=True) | models.Q(minimum_weeks__gt=0),
                name="agent_minimum_weeks_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.drug_class})"

    @property
    def is_builtin(self) -> bool:
        return self.clinic_id is None
