"""The data migration's checklist rows agree with checklist_data.py for this version."""

from pseudoresistance import checklist_data
from pseudoresistance.models import ChecklistItem, ChecklistVersion
from pseudoresistance.selectors import current_checklist_version

ITEM_COUNT = 78


def test_the_current_version_is_loaded_with_every_item(db: None) -> None:
    version = current_checklist_version()
    assert version.label == checklist_data.CHECKLIST_VERSION
    assert version.source == checklist_data.CHECKLIST_SOURCE
    assert ChecklistItem.objects.filter(version=version).count() == ITEM_COUNT


def test_rows_read_back_as_the_committed_items_in_order(db: None) -> None:
    version = ChecklistVersion.objects.get(label=checklist_data.CHECKLIST_VERSION)
    rows = [item.as_data() for item in ChecklistItem.objects.filter(version=version)]
    assert rows == list(checklist_data.ITEMS)
