"""Selectors read: each returns what one page needs, in a fixed number of queries."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from records import scales
from staging.adequacy import TrialAssessment
from staging.history import Episode as StagingEpisode
from staging.history import History, Params
from staging.history import Trial as StagingTrial
from staging.result import ModelResult

from .access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from .history import (
    assess_trials,
    build_history,
    default_params,
    episode_params,
    history_trials,
    stage,
)
from .models import (
    ACCESS_ACTIONS,
    AuditEvent,
    Clinic,
    Episode,
    Patient,
    Role,
    ScaleAdministration,
    TreatmentTrial,
)

ACCESS_LOG_NOT_ALLOWED = "Your role does not allow reading who opened or exported records."


def patient_search(
    *,
    access: ClinicAccess,
    query: str = "",
    psychiatrist_id: int | None = None,
    include_archived: bool = False,
    where: Q | None = None,
) -> QuerySet[Patient]:
    """Return the active clinic's patients matching a name or record-number fragment."""
    # `where` narrows the list with any condition on patients: the seam for filters owned by
    # other apps, such as pseudoresistance's flagged impasse cases.
    patients = access.patients().select_related("psychiatrist")
    for term in query.split():
        patients = patients.filter(
            Q(family_name__icontains=term)
            | Q(given_name__icontains=term)
            | Q(record_number__icontains=term)
        )
    if psychiatrist_id is not None:
        patients = patients.filter(psychiatrist_id=psychiatrist_id)
    if not include_archived:
        patients = patients.filter(archived_at__isnull=True)
    if where is not None:
        patients = patients.filter(where)
    return patients


@dataclass(frozen=True)
class TrialRow:
    """A trial as the patient page shows it: the record, what staging read, and its adequacy."""

    trial: TreatmentTrial
    staged: StagingTrial
    assessment: TrialAssessment

    @property
    def current(self) -> bool:
        """Return whether the trial belongs to the episode being staged."""
        return self.staged.episode is StagingEpisode.CURRENT

    @property
    def adequate(self) -> bool:
        """Return the adequacy to act on: the clinician's override where there is one."""
        override = self.trial.override_adequate
        return self.assessment.adequate if override is None else override

    @property
    def overridden(self) -> bool:
        """Return whether a clinician overrode the computed adequacy."""
        return self.trial.override_adequate is not None


@dataclass(frozen=True)
class ScaleRow:
    """A rating-scale score with its band, remission and change from the episode's first."""

    administration: ScaleAdministration
    band: str | None
    in_remission: bool | None
    # None for the first score of a scale in the episode (it is the baseline) and for the WPAI.
    change: scales.Outcome | None
    safety_alert: scales.SafetyAlert | None


@dataclass(frozen=True)
class PatientDetail:
    """Everything the patient page shows, loaded in a fixed number of queries."""

    patient: Patient
    episodes: tuple[Episode, ...]
    # The current episode, or the latest one when none is open; None before any is recorded.
    episode: Episode | None
    assessment_date: datetime.date
    params: Params
    history: History | None
    trials: tuple[TrialRow, ...]
    scales: tuple[ScaleRow, ...]
    safety_alerts: tuple[ScaleRow, ...] = field(default=())

    def staging(self) -> dict[str, ModelResult]:
        """Stage the episode's history with every model (pure computation, no queries)."""
        if self.history is None:
            return {}
        return stage(self.history, self.params)


def _patient(access: ClinicAccess, patient_id: int) -> Patient:
    patient = access.patients().select_related("psychiatrist").filter(pk=patient_id).first()
    if patient is None:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    return patient


def scale_rows(administrations: Iterable[ScaleAdministration]) -> tuple[ScaleRow, ...]:
    """Return each score (given in date order) with its band, remission, safety alert and change
    from the episode's first score of the same scale and version."""
    baselines: dict[tuple[str, str], ScaleAdministration] = {}
    rows = []
    for administration in administrations:
        total = administration.total_value
        # Change is judged on the same instrument and version (scales reference 1.3).
        key = (administration.scale, administration.scale_version)
        baseline = baselines.setdefault(key, administration)
        change = None
        if baseline is not administration and total is not None:
            base_total = baseline.total_value
            if base_total is not None:
                change = scales.outcome_category(administration.code, base_total, total)
        rows.append(
            ScaleRow(
                administration=administration,
                band=administration.band,
                in_remission=administration.in_remission,
                change=change,
                safety_alert=administration.safety_alert,
            )
        )
    return tuple(rows)


def open_safety_alerts(scores: Iterable[ScaleRow]) -> tuple[ScaleRow, ...]:
    """Return the open suicide-item alerts: the latest score of each scale, if it alerts.

    The impasse queue's rule (an alert stays open until a later score of the same scale no
    longer raises it), newest first.
    """
    latest: dict[str, ScaleRow] = {}
    for row in scores:
        latest[row.administration.scale] = row
    alerts = (row for row in latest.values() if row.safety_alert is not None)
    return tuple(sorted(alerts, key=lambda row: row.administration.administered_on, reverse=True))


def last_safety_item_rating(scores: Iterable[ScaleRow]) -> datetime.date | None:
    """Return the latest day a scale's suicide item was rated, None when it never was."""
    days = [
        row.administration.administered_on
        for row in scores
        if (rule := scales.SCALES[row.administration.code].safety) is not None
        and row.administration.item_values.get(rule.item) is not None
    ]
    return max(days, default=None)


def patient_detail(
    *,
    access: ClinicAccess,
    patient_id: int,
    assessment_date: datetime.date | None = None,
    with_scores: bool = True,
) -> PatientDetail:
    """Return the patient page: episode, trials with adequacy, scores with bands and alerts.

    `with_scores=False` leaves the scores out (one query fewer) for pages that stage only.
    """
    # Three queries whatever the number of trials or scores (four before the first episode);
    # each trial row has its agent, the trial it was added to and the override's author loaded.
    # The assessment date defaults to today, or to the end of the episode shown when it has
    # ended. Scores and safety alerts are those of the episode shown.
    # The episodes come with their patient (issue 18: a query is ~0.5 ms of ORM CPU); the patient
    # is read alone only before an episode is recorded.
    episodes = tuple(
        Episode.objects.filter(patient__in=access.patients(), patient_id=patient_id)
        .select_related("patient__psychiatrist")
        .order_by("-onset_date")
    )
    patient = episodes[0].patient if episodes else _patient(access, patient_id)
    for other in episodes:
        other.patient = patient
    episode = next((e for e in episodes if e.end_date is None), episodes[0] if episodes else None)
    params = default_params(access.clinic)
    day = assessment_date or timezone.localdate()
    if episode is None:
        return PatientDetail(
            patient=patient,
            episodes=episodes,
            episode=None,
            assessment_date=day,
            params=params,
            history=None,
            trials=(),
            scales=(),
        )
    if assessment_date is None and episode.end_date is not None:
        day = episode.end_date
    params = episode_params(episode, access.clinic)
    by_pk = {e.pk: e for e in episodes}
    # The model's ordering ("episode", then the episode's and the patient's own orderings) joined
    # and sorted by the patient's names in SQL, a third of the query's compilation (issue 18);
    # the same order is kept here in memory: newest episode first, then start date and number.
    trials = list(
        TreatmentTrial.objects.filter(episode__patient=patient)
        .select_related("agent", "override_by")
        .order_by()
    )
    # Relations within the patient's own records are joined in memory: no query per trial.
    trials_by_pk = {trial.pk: trial for trial in trials}
    for trial in trials:
        trial.episode = by_pk[trial.episode_id]
        if trial.augments_id is not None:
            trial.augments = trials_by_pk[trial.augments_id]
    trials.sort(key=lambda trial: (trial.start_date, trial.seq))
    trials.sort(key=lambda trial: trial.episode.onset_date, reverse=True)
    history = build_history(
        patient=patient, episode=episode, trials=trials, assessment_date=day, params=params
    )
    assessments = assess_trials(history, params, trials)
    staged = {trial.id: trial for trial in history.trials}
    rows = tuple(
        TrialRow(trial, staged[trial.code], assessments[trial.code])
        for trial in history_trials(episode, trials)
    )
    administrations = (
        ScaleAdministration.objects.filter(episode=episode).order_by("administered_on", "pk")
        if with_scores
        else ()
    )
    scores = scale_rows(administrations)
    alerts = tuple(
        sorted(
            (row for row in scores if row.safety_alert is not None),
            key=lambda row: row.administration.administered_on,
            reverse=True,
        )
    )
    return PatientDetail(
        patient=patient,
        episodes=episodes,
        episode=episode,
        assessment_date=day,
        params=params,
        history=history,
        trials=rows,
        scales=scores,
        safety_alerts=alerts,
    )


def patient_change_history(
    *, access: ClinicAccess, patient_id: int, include_access: bool = False
) -> QuerySet[AuditEvent]:
    """Return the audit events of a patient, newest first."""
    # Changes only by default; `include_access` adds who opened or exported the record, which
    # needs the audit permission.
    patient = _patient(access, patient_id)
    events = AuditEvent.objects.filter(clinic_id=access.clinic.pk, patient_id=patient.pk)
    if include_access:
        if not access.can(Permission.VIEW_AUDIT):
            raise PermissionDenied(ACCESS_LOG_NOT_ALLOWED)
    else:
        events = events.exclude(action__in=ACCESS_ACTIONS)
    return events.order_by("-occurred_at", "-id")


def clinic_psychiatrists(*, clinic: Clinic) -> QuerySet[User]:
    """Return the clinic's psychiatrists, by name."""
    return (
        User.objects.filter(memberships__clinic=clinic, memberships__role=Role.PSYCHIATRIST)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
