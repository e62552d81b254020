"""A patient's record as a FHIR R4 Bundle: loaded in a fixed number of queries, validated with the
FHIR R4 models, and audited like the JSON history export."""

import datetime
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess
from records.audit import audit_event_write
from records.fhir.bundle import BundleInput, patient_bundle
from records.history import episode_history, episode_params, stage
from records.models import AuditAction, Episode, ScaleAdministration, TreatmentTrial

from .common import ObjectType

EXPORT_FILENAME = "trdclinic-fhir-{number}-{day}.json"


def _staged_episode(episodes: list[Episode]) -> Episode | None:
    """Return the current episode, or the latest when none is open (as the patient page)."""
    current = [episode for episode in episodes if episode.end_date is None]
    if current:
        return current[0]
    return max(episodes, key=lambda episode: episode.onset_date, default=None)


def patient_fhir_export(
    *, access: ClinicAccess, patient_id: int, assessment_date: datetime.date | None = None
) -> dict[str, Any]:
    """Export the patient's episodes, courses, scores and staging as a FHIR Bundle (audited)."""
    patient = access.patients().filter(pk=patient_id).first()
    if patient is None:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    with transaction.atomic():
        episodes = list(Episode.objects.filter(patient=patient).order_by("onset_date", "pk"))
        trials = list(
            TreatmentTrial.objects.filter(episode__patient=patient)
            .select_related("agent", "augments")
            .order_by("start_date", "seq", "pk")
        )
        scores = list(
            ScaleAdministration.objects.filter(episode__patient=patient).order_by(
                "administered_on", "pk"
            )
        )
        staged = _staged_episode(episodes)
        results = {}
        day = None
        if staged is not None:
            staged.patient = patient
            day = assessment_date or staged.end_date or timezone.localdate()
            if day >= staged.onset_date:
                history = episode_history(staged, assessment_date=day)
                results = stage(history, episode_params(staged, access.clinic))
        document = patient_bundle(
            BundleInput(
                patient=patient,
                episodes=episodes,
                trials=trials,
                scores=scores,
                staged_episode=staged if results else None,
                assessment_date=day if results else None,
                results=results,
            )
        )
        # The exported file must be valid FHIR: the R4 models read it back before it leaves.
        Bundle.model_validate(document)
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=ObjectType.PATIENT,
            object_id=patient.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            object_version=patient.version,
        )
    return document
