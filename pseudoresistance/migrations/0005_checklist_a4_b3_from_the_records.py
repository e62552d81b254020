"""A4 and B3 of checklist 2026.11-1 are pre-answered from the records (issue 17).

The items' wording is unchanged; only the rule that pre-answers them is named, as
pseudoresistance/checklist_data.py does (test_checklist_rows.py checks the rows agree).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

VERSION = "2026.11-1"
RULE_KEYS = (
    "dose_below_minimum",
    "duration_short",
    "adherence_poor",
    "previous_episode",
    "psychotherapy_too_few_sessions",
    "neuromodulation_course_short",
    "bipolarity_suspected",
    "psychotherapy_never_tried",
    "episode_psychotherapy_too_few_sessions",
    "no_scale_based_outcome",
    "stopped_for_adverse_effects",
    "psychotic_features_recorded",
)
RULES = {"A4": "stopped_for_adverse_effects", "B3": "psychotic_features_recorded"}


def name_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    item_model = apps.get_model("pseudoresistance", "ChecklistItem")
    for code, rule in RULES.items():
        item_model.objects.filter(version__label=VERSION, code=code).update(derived_from=rule)


def unname_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    item_model = apps.get_model("pseudoresistance", "ChecklistItem")
    item_model.objects.filter(version__label=VERSION, code__in=RULES).update(derived_from="")


class Migration(migrations.Migration):
    dependencies = [("pseudoresistance", "0004_case_flagged_by_the_system")]

    operations = [
        migrations.AlterField(
            model_name="checklistitem",
            name="derived_from",
            field=models.CharField(
                blank=True, choices=[(key, key) for key in RULE_KEYS], max_length=50
            ),
        ),
        migrations.RunPython(name_rules, unname_rules),
    ]
