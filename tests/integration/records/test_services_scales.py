"""Rating-scale services: ranges and items checked by records/scales.py, audited, versioned."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from records.models import AuditAction, AuditEvent, ScaleAdministration
from records.services import ScaleInput, StaleEditError, scale_delete, scale_record, scale_update

from .conftest import ONSET

DAY = ONSET + datetime.timedelta(days=7)
HAMD_ITEMS = {str(n): 1 for n in range(1, 16)} | {"16A": 1, "17": 1}


def score(**changes: object) -> ScaleInput:
    values: dict[str, object] = {"scale": "HAMD17", "administered_on": DAY, "total": Decimal(20)}
    values.update(changes)
    return ScaleInput(**values)  # type: ignore[arg-type]


def test_scale_record_saves_and_audits(episode, psychiatrist):
    administration = scale_record(acting_user=psychiatrist, episode_id=episode.pk, data=score())
    assert administration.band == "moderate"
    [event] = AuditEvent.objects.filter(object_type="scale_administration")
    assert event.action == AuditAction.CREATE
    assert event.changes["total"] == [None, "20"]
    assert event.changes["scale"] == [None, "HAM-D17"]


def test_total_is_computed_from_the_items_when_not_entered(episode, psychiatrist):
    administration = scale_record(
        acting_user=psychiatrist, episode_id=episode.pk, data=score(total=None, items=HAMD_ITEMS)
    )
    assert administration.total == Decimal(17)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"total": Decimal(53)}, "total"),
        ({"total": Decimal("20.5")}, "total"),
        ({"scale": "CGI_S", "total": Decimal(0)}, "total"),
        ({"total": None}, "total"),
        ({"total": None, "items": HAMD_ITEMS | {"16B": 1}}, "item_16"),
        ({"total": None, "items": HAMD_ITEMS | {"1": 5}}, "item_1"),
        ({"total": Decimal(30), "items": HAMD_ITEMS}, "total"),
        ({"items": ["not", "a", "mapping"]}, "items"),
        ({"administered_on": timezone.localdate() + datetime.timedelta(days=1)}, "administered_on"),
        ({"scale": "HAMD21"}, "scale"),
    ],
)
def test_bad_scores_name_the_field_and_write_nothing(episode, psychiatrist, changes, field):
    with pytest.raises(ValidationError) as refused:
        scale_record(acting_user=psychiatrist, episode_id=episode.pk, data=score(**changes))
    assert field in refused.value.message_dict
    assert not ScaleAdministration.objects.exists()
    assert not AuditEvent.objects.exists()


def test_scale_update_and_delete_are_versioned_and_audited(episode, psychiatrist):
    administration = scale_record(acting_user=psychiatrist, episode_id=episode.pk, data=score())
    scale_update(
        acting_user=psychiatrist,
        administration_id=administration.pk,
        expected_version=1,
        data=score(total=Decimal(18)),
    )
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).get()
    assert event.changes == {"total": ["20", "18"]}
    with pytest.raises(StaleEditError):
        scale_delete(
            acting_user=psychiatrist, administration_id=administration.pk, expected_version=1
        )
    scale_delete(acting_user=psychiatrist, administration_id=administration.pk, expected_version=2)
    assert not ScaleAdministration.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE).get().changes["total"] == [
        "18",
        None,
    ]


def test_other_clinic_gets_404_and_supervisor_403(episode, stranger, supervisor):
    with pytest.raises(Http404):
        scale_record(acting_user=stranger, episode_id=episode.pk, data=score())
    with pytest.raises(PermissionDenied):
        scale_record(acting_user=supervisor, episode_id=episode.pk, data=score())
    assert not ScaleAdministration.objects.exists()
