"""What the records pages share: finding a patient's own records, URLs, htmx requests."""

from django.http import Http404, HttpRequest
from django.urls import reverse

from records.access import clinic_access
from records.models import Episode, Patient, ScaleAdministration, TreatmentTrial
from records.services import RecordPage, patient_record_opened
from records.services.episodes import EPISODE_NOT_FOUND
from records.services.scale_administrations import SCALE_NOT_FOUND
from records.services.trials import TRIAL_NOT_FOUND

NOTHING_SAVED = "Nothing was saved: correct the fields marked below."


def record_opened(request: HttpRequest, patient: Patient, page: RecordPage) -> None:
    """Log that a GET showed the patient's record; a POST is recorded by the change it makes."""
    if request.method == "GET":
        patient_record_opened(access=clinic_access(request), patient=patient, page=page)


def episode_of(patient: Patient, episode_id: int) -> Episode:
    """Return the patient's episode; 404 for any other."""
    episode = Episode.objects.filter(pk=episode_id, patient=patient).first()
    if episode is None:
        raise Http404(EPISODE_NOT_FOUND)
    episode.patient = patient
    return episode


def trial_of(patient: Patient, trial_id: int) -> TreatmentTrial:
    """Return one of the patient's trials, with its episode and agent; 404 for any other."""
    trial = (
        TreatmentTrial.objects.select_related("episode", "agent", "override_by")
        .filter(pk=trial_id, episode__patient=patient)
        .first()
    )
    if trial is None:
        raise Http404(TRIAL_NOT_FOUND)
    trial.episode.patient = patient
    return trial


def administration_of(patient: Patient, administration_id: int) -> ScaleAdministration:
    """Return one of the patient's rating-scale scores, with its episode; 404 for any other."""
    administration = (
        ScaleAdministration.objects.select_related("episode")
        .filter(pk=administration_id, episode__patient=patient)
        .first()
    )
    if administration is None:
        raise Http404(SCALE_NOT_FOUND)
    administration.episode.patient = patient
    return administration


def patient_url(patient: Patient | int, anchor: str = "", **query: object) -> str:
    """Return the patient page's URL, optionally with a query and a section anchor."""
    pk = patient if isinstance(patient, int) else patient.pk
    url = reverse("records:patient-detail", args=[pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return f"{url}#{anchor}" if anchor else url


def is_htmx(request: HttpRequest) -> bool:
    """Return whether htmx sent the request (it wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"
