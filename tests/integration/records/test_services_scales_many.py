"""Several scores of one episode recorded at once (scales_record, used by the demo build): the
same rows, audit events, staging snapshot and impasse flags as recording them one by one, with
one restage instead of one per score."""

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404

from cohort.models import EpisodeSnapshot
from pseudoresistance.models import ImpasseCase, ImpasseCaseEvent
from records import demo
from records.access import ClinicAccess
from records.models import AuditEvent, Clinic, Episode, ScaleAdministration
from records.services import PatientInput, ScaleInput, patient_create, scale_record, scales_record
from records.services import changes as change_path
from records.services.exchange import patient_history_import

from .conftest import ONSET

DAY = ONSET + datetime.timedelta(days=7)
# Vignettes compared (each built twice): the one with the recent safety alert and an open impasse
# case (V01), and the next four; all fourteen cost seconds the suite does not need to spend.
COMPARED = 5


def _score(**changes: object) -> ScaleInput:
    values: dict[str, object] = {"scale": "HAMD17", "administered_on": DAY, "total": Decimal(20)}
    values.update(changes)
    return ScaleInput(**values)  # type: ignore[arg-type]


def _rows(queryset: "models.QuerySet[Any]") -> list[str]:
    """Return the rows without what differs between two patients: ids and times."""
    kept = [
        {
            key: value
            for key, value in row.items()
            if key != "id" and not key.endswith("_id") and not isinstance(value, datetime.datetime)
        }
        for row in queryset.values()
    ]
    return sorted(repr(sorted(row.items())) for row in kept)


def _imported(
    clinic: Clinic, access: ClinicAccess, user: User, vignette: dict[str, Any], number: str
) -> Episode:
    patient = patient_create(
        acting_user=user,
        clinic=clinic,
        data=PatientInput(
            record_number=number,
            family_name="Vignette",
            given_name=number,
            date_of_birth=demo.VIGNETTE_BORN,
            sex="female",
            diagnosis=vignette["patient"]["diagnosis"],
            psychiatrist=user,
        ),
    )
    history = {
        "patient": vignette["patient"],
        "trials": vignette["trials"],
        "parameters": vignette.get("parameters") or {},
    }
    return patient_history_import(access=access, patient=patient, data=history, acting_user=user)


def _state(episode: Episode, since: int) -> dict[str, list[str]]:
    return {
        "scores": _rows(ScaleAdministration.objects.filter(episode=episode)),
        "audit": _rows(AuditEvent.objects.filter(patient_id=episode.patient_id, pk__gt=since)),
        "snapshot": _rows(EpisodeSnapshot.objects.filter(episode=episode)),
        "cases": _rows(ImpasseCase.objects.filter(episode=episode)),
        "case events": _rows(ImpasseCaseEvent.objects.filter(case__episode=episode)),
    }


def test_the_demo_scores_at_once_end_as_one_by_one(
    clinic: Clinic,
    psychiatrist: User,
    access_of: Callable[[User], ClinicAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    access = access_of(psychiatrist)
    restaged: list[tuple[int, ...]] = []
    told = change_path.affected_episodes

    def counted(episode_ids: Iterable[int]) -> change_path.Affected:
        affected = told(episode_ids)
        restaged.append(affected.episode_ids)
        return affected

    monkeypatch.setattr(change_path, "affected_episodes", counted)
    compared = 0
    for vignette in demo.vignettes()[:COMPARED]:
        one_by_one = _imported(clinic, access, psychiatrist, vignette, f"{vignette['id']}-A")
        at_once = _imported(clinic, access, psychiatrist, vignette, f"{vignette['id']}-B")
        scores = demo._scores(one_by_one, vignette, psychiatrist)
        scores += demo._recent_rating(one_by_one, psychiatrist)
        if not scores:
            continue
        since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for entry in scores:
            scale_record(acting_user=psychiatrist, episode_id=one_by_one.pk, data=entry)
        restaged.clear()
        scales_record(acting_user=psychiatrist, episode_id=at_once.pk, data=scores)
        assert restaged == [(at_once.pk,)], "one restage for all the scores"
        expected = _state(one_by_one, since)
        assert expected["scores"]
        assert expected["snapshot"]
        assert len([row for row in expected["audit"] if "scale_administration" in row]) == len(
            scores
        )
        assert _state(at_once, since) == expected, vignette["id"]
        compared += 1
    assert compared == COMPARED


def test_bad_scores_name_the_score_and_field_and_write_nothing(
    episode: Episode, psychiatrist: User
) -> None:
    scores = [_score(), _score(total=Decimal(53)), _score(scale="HAMD21")]
    with pytest.raises(ValidationError) as refused:
        scales_record(acting_user=psychiatrist, episode_id=episode.pk, data=scores)
    assert set(refused.value.message_dict) == {"scores[1].total", "scores[2].scale"}
    assert not ScaleAdministration.objects.exists()
    assert not AuditEvent.objects.filter(object_type="scale_administration").exists()


def test_other_clinic_gets_404_and_supervisor_403(
    episode: Episode, stranger: User, supervisor: User
) -> None:
    with pytest.raises(Http404):
        scales_record(acting_user=stranger, episode_id=episode.pk, data=[_score()])
    with pytest.raises(PermissionDenied):
        scales_record(acting_user=supervisor, episode_id=episode.pk, data=[_score()])
    assert not ScaleAdministration.objects.exists()
