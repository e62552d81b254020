"""A clinician confirms the case status; B6 and E1 are pre-answered from the records (issue 17).

The items' wording is unchanged; only the rule that pre-answers them is named, as
pseudoresistance/checklist_data.py does (test_checklist_rows.py checks the rows agree).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

VERSION = "2026.11-1"
RULES = {"B6": "personality_pathology_recorded", "E1": "stressors_recorded"}


def name_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    item_model = apps.get_model("pseudoresistance", "ChecklistItem")
    for code, rule in RULES.items():
        item_model.objects.filter(version__label=VERSION, code=code).update(derived_from=rule)


def unname_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    item_model = apps.get_model("pseudoresistance", "ChecklistItem")
    item_model.objects.filter(version__label=VERSION, code__in=RULES).update(derived_from="")


class Migration(migrations.Migration):
    dependencies = [
        ("pseudoresistance", "0006_impasse_review_safety_note"),
        ("records", "0013_trial_notes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checklistitem",
            name="derived_from",
            field=models.CharField(
                blank=True,
                choices=[
                    ("dose_below_minimum", "dose_below_minimum"),
                    ("duration_short", "duration_short"),
                    ("adherence_poor", "adherence_poor"),
                    ("previous_episode", "previous_episode"),
                    ("psychotherapy_too_few_sessions", "psychotherapy_too_few_sessions"),
                    ("neuromodulation_course_short", "neuromodulation_course_short"),
                    ("bipolarity_suspected", "bipolarity_suspected"),
                    ("psychotherapy_never_tried", "psychotherapy_never_tried"),
                    (
                        "episode_psychotherapy_too_few_sessions",
                        "episode_psychotherapy_too_few_sessions",
                    ),
                    ("no_scale_based_outcome", "no_scale_based_outcome"),
                    ("stopped_for_adverse_effects", "stopped_for_adverse_effects"),
                    ("psychotic_features_recorded", "psychotic_features_recorded"),
                    ("personality_pathology_recorded", "personality_pathology_recorded"),
                    ("stressors_recorded", "stressors_recorded"),
                ],
                max_length=50,
            ),
        ),
        migrations.CreateModel(
            name="StatusConfirmation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pseudo_resistance_case_factor", "pseudo_resistance_case_factor"),
                            ("meets_common_definition", "meets_common_definition"),
                            ("unverified_data_gaps", "unverified_data_gaps"),
                            (
                                "pseudo_resistance_inadequate_trials",
                                "pseudo_resistance_inadequate_trials",
                            ),
                            ("does_not_meet_definition", "does_not_meet_definition"),
                        ],
                        max_length=40,
                    ),
                ),
                ("status_text", models.CharField(max_length=300)),
                ("confirmed_at", models.DateTimeField()),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "episode",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="status_confirmations",
                        to="records.episode",
                    ),
                ),
            ],
            options={
                "ordering": ["-confirmed_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                [
                                    "pseudo_resistance_case_factor",
                                    "meets_common_definition",
                                    "unverified_data_gaps",
                                    "pseudo_resistance_inadequate_trials",
                                    "does_not_meet_definition",
                                ],
                            )
                        ),
                        name="status_confirmation_status_valid",
                    )
                ],
            },
        ),
        migrations.RunPython(name_rules, unname_rules),
    ]
