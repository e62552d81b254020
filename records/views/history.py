"""The history of changes of a patient's record: who changed what, when, from what to what."""

import json
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from records.access import Permission, clinic_access
from records.extensions import value_labels
from records.history import staging_scale_name
from records.models import (
    AuditEvent,
    Episode,
    Patient,
    ReportPreparation,
    ScaleAdministration,
    TreatmentTrial,
)
from records.selectors import patient_change_history
from records.services import ObjectType, RecordPage, patient_record_opened
from records.services.common import field_labels
from records.wording import dose_text

EVENTS_PER_PAGE = 50
# Doses recorded in mg (the label says so): below 1 mg in micrograms, as the patient page.
DOSE_FIELDS = {"dose_mg_per_day": "day", "dose_mg_per_session": "session"}
NOT_RECORDED = "—"
SUBJECT_PATIENT = "Patient's details"
SUBJECT_EPISODE = "Episode, onset {onset}"
SUBJECT_TRIAL = "Trial {code}"
SUBJECT_SCORE = "{scale} score of {day}"
# Other apps' records (impasse cases, checklist answers) are named by their kind.
SUBJECT_OTHER = "{kind}"
MODELS: Mapping[str, type[models.Model]] = {
    ObjectType.PATIENT: Patient,
    ObjectType.EPISODE: Episode,
    ObjectType.TRIAL: TreatmentTrial,
    ObjectType.SCALE_ADMINISTRATION: ScaleAdministration,
    ObjectType.REPORT_PREPARATION: ReportPreparation,
}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ChangeRow:
    """An audit event as the page shows it: what it was about and each field's old and new."""

    event: AuditEvent
    subject: str
    changes: tuple[Change, ...]


def _pair(value: object) -> tuple[object, object]:
    """Return a change's (old, new); other apps' events are shown even if shaped otherwise."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, value


def _recorded(event: AuditEvent, name: str) -> str | None:
    """Return a field's value as the event recorded it (the new one, else the old one)."""
    old, new = _pair(event.changes.get(name))
    recorded = new or old
    return None if recorded is None else str(recorded)


class _Subjects:
    """Names the records a page of events is about, by their current or recorded values."""

    def __init__(self, patient_id: int) -> None:
        self.episodes = dict(
            Episode.objects.filter(patient_id=patient_id).values_list("pk", "onset_date")
        )
        self.trials = dict(
            TreatmentTrial.objects.filter(episode__patient_id=patient_id).values_list("pk", "code")
        )
        self.scores = {
            pk: (code, day)
            for pk, code, day in ScaleAdministration.objects.filter(
                episode__patient_id=patient_id
            ).values_list("pk", "scale", "administered_on")
        }

    def name(self, event: AuditEvent) -> str:
        """Return what the event is about, in the clinic's words."""
        kind, pk = event.object_type, event.object_id or 0
        if kind == ObjectType.PATIENT:
            return SUBJECT_PATIENT
        if kind == ObjectType.EPISODE:
            onset = self.episodes.get(pk)
            shown = onset.isoformat() if onset else _recorded(event, "onset_date")
            if shown:
                return SUBJECT_EPISODE.format(onset=shown)
        if kind == ObjectType.TRIAL:
            code = self.trials.get(pk) or _recorded(event, "code")
            if code:
                return SUBJECT_TRIAL.format(code=code)
        if kind == ObjectType.SCALE_ADMINISTRATION:
            score = self.scores.get(pk)
            if score is not None:
                scale_name = staging_scale_name(score[0])
                return SUBJECT_SCORE.format(scale=scale_name, day=score[1].isoformat())
            scale, day = _recorded(event, "scale"), _recorded(event, "administered_on")
            if scale and day:
                return SUBJECT_SCORE.format(scale=scale, day=day)
        return SUBJECT_OTHER.format(kind=kind.replace("_", " ").capitalize())


def _value_text(name: str, value: object, words: Mapping[str, str]) -> str:
    """Return a recorded value as the page shows it: coded values, lists and doses in words."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, str) and value.startswith("["):
        # The audit trail keeps a list as JSON (records.audit.display_value).
        with suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, list | tuple):
        return "; ".join(_value_text(name, item, words) for item in value) or NOT_RECORDED
    text = str(value)
    if name in DOSE_FIELDS:
        with suppress(ArithmeticError):
            if Decimal(text) < 1:
                return dose_text(Decimal(text), per=DOSE_FIELDS[name])
    return words.get(text, text)


def _rows(events: list[AuditEvent], patient_id: int) -> list[ChangeRow]:
    subjects = _Subjects(patient_id)
    words = value_labels()
    labels = {kind: field_labels(model) for kind, model in MODELS.items()}
    rows = []
    for event in events:
        names = labels.get(event.object_type, {})
        pairs = {name: _pair(value) for name, value in event.changes.items()}
        changes = tuple(
            Change(
                field=names.get(name, name.replace("_", " ")),
                old=_value_text(name, old, words),
                new=_value_text(name, new, words),
            )
            for name, (old, new) in pairs.items()
        )
        rows.append(ChangeRow(event=event, subject=subjects.name(event), changes=changes))
    return rows


@require_GET
def patient_changes_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    can_see_access = access.can(Permission.VIEW_AUDIT)
    include_access = can_see_access and request.GET.get("access") == "1"
    events = patient_change_history(
        access=access, patient_id=patient_id, include_access=include_access
    )
    patient = access.patients().get(pk=patient_id)
    # Before the page is counted, so the page's own opening is on it, counted and shown.
    patient_record_opened(access=access, patient=patient, page=RecordPage.CHANGE_HISTORY)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "page": page,
        "rows": _rows(list(page.object_list), patient.pk),
        "can_see_access": can_see_access,
        "include_access": include_access,
    }
    return render(request, "records/patient_changes.html", context)
