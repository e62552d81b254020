"""What the apps built on records plug into it: records calls them, never imports them.

The apps depend one way, staging ← records ← pseudoresistance ← cohort (docs/adr/0007). An app
above records registers its functions here from its `AppConfig.ready()`; records calls whatever
is registered, in registration order, and works (with nothing added) when nothing is.

- `on_episode_change`: runs at the end of every change to episodes' clinical content, in its
  transaction (`records.services.changes.episode_changed`).
- `on_patient_reassigned`: runs when a patient's responsible psychiatrist changes, in the
  transaction of the change (the impasse cases note every psychiatrist of their life).
- `on_patient_erasure`: removes what an app holds about a patient being erased, in its
  transaction, before records deletes the patient's own rows; returns what it removed, counted.
- `provide(Slot...)`: one function per slot, for the pages records shows with another app's part
  (the impasse panel of the patient page and the report, the patient list's "flagged" filter,
  the caseload's stage, case and review columns, the demo clinic's impasse work).
- `add_settings_page(SettingsPage)`: a tab of the clinic settings pages that another app serves
  (the impasse flag rules); records' settings navigation lists them after its own.
"""

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.access import ClinicAccess
    from records.models import Clinic, Patient
    from records.selectors import PatientDetail


@dataclass(frozen=True)
class EpisodeChange:
    """Episodes whose clinical content changed, told to the listeners inside the change.

    `acting_user` is who made the change (already authorised for it), None for the system (a
    scheduled restage). `patient_ids` are the episodes' patients, their rows locked by the change
    path before any listener runs. `memo` holds what one listener computed for the others of the
    same change (keyed by the function that computed it), so an assessment is made once per change.
    """

    episode_ids: tuple[int, ...]
    acting_user: "User | None"
    patient_ids: tuple[int, ...]
    memo: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)


EpisodeChangeListener = Callable[[EpisodeChange], None]
ErasureListener = Callable[["Patient"], dict[str, int]]
ReassignmentListener = Callable[["Patient", "User"], None]


class Slot(StrEnum):
    """A part of a records page that another app provides."""

    # The impasse panel of the patient page, from the page's loaded detail.
    IMPASSE_PANEL = "impasse_panel"
    # The impasse panel as the patient page shows it (less than the report reads), from its detail.
    PATIENT_PAGE_PANEL = "patient_page_panel"
    # The impasse panel of a patient, for the report (access, patient id).
    PATIENT_IMPASSE_PANEL = "patient_impasse_panel"
    # Which patients have an impasse case in progress, as a filter on patients.
    FLAGGED_PATIENTS = "flagged_patients"
    # Words for another app's coded values (an impasse case's criteria), for the history of changes.
    VALUE_LABELS = "value_labels"
    # The caseload's latest stage of an episode, as annotations on patients (CASELOAD_STAGE_*).
    CASELOAD_STAGE = "caseload_stage"
    # The caseload's case status and latest sign-off, as annotations on patients (CASELOAD_CASE_*).
    CASELOAD_CASE = "caseload_case"
    # The latest signed-off review of each of some patients, as SignedReview.
    SIGNED_REVIEWS = "signed_reviews"
    # Another app's part of the demo clinic (a signed-off review), given the clinic and supervisor.
    DEMO_DATA = "demo_data"


# The caseload's annotations another app provides, by name. The stage is the snapshot's:
# Thase-Rush stage ("0" to "V"), MSM total and band.
CASELOAD_STAGE_THASE_RUSH = "stage_thase_rush"
CASELOAD_STAGE_MSM_SCORE = "stage_msm_score"
CASELOAD_STAGE_MSM_BAND = "stage_msm_band"
# The patient's case in progress (else the latest): its status in words and its rank for sorting
# (waiting first); the time of the patient's latest signed-off review.
CASELOAD_CASE_STATUS = "case_status"
CASELOAD_CASE_RANK = "case_rank"
CASELOAD_REVIEW_SIGNED_AT = "review_signed_off_at"


@dataclass(frozen=True)
class SignedReview:
    """A patient's latest signed-off review, as the caseload and the notice word it."""

    patient_id: int
    reviewer_id: int
    reviewer: str
    signed_off_at: datetime.datetime
    next_steps: str


@dataclass(frozen=True)
class SettingsPage:
    """A clinic settings page another app serves: its tab's section name, label and URL name."""

    section: str
    label: str
    url_name: str


_episode_change_listeners: list[EpisodeChangeListener] = []
_settings_pages: list[SettingsPage] = []
_erasure_listeners: list[ErasureListener] = []
_reassignment_listeners: list[ReassignmentListener] = []
_providers: dict[Slot, Callable[..., Any]] = {}


def on_episode_change(listener: EpisodeChangeListener) -> None:
    """Run `listener` at the end of every change to episodes (once, however often registered)."""
    if listener not in _episode_change_listeners:
        _episode_change_listeners.append(listener)


def episode_change_listeners() -> tuple[EpisodeChangeListener, ...]:
    """Return the registered change listeners, in registration order."""
    return tuple(_episode_change_listeners)


def on_patient_reassigned(listener: ReassignmentListener) -> None:
    """Run `listener` when a patient's responsible psychiatrist changes."""
    if listener not in _reassignment_listeners:
        _reassignment_listeners.append(listener)


def reassignment_listeners() -> tuple[ReassignmentListener, ...]:
    """Return the registered reassignment listeners, in registration order."""
    return tuple(_reassignment_listeners)


def on_patient_erasure(listener: ErasureListener) -> None:
    """Run `listener` when a patient is erased, before records deletes the patient's rows."""
    if listener not in _erasure_listeners:
        _erasure_listeners.append(listener)


def erasure_listeners() -> tuple[ErasureListener, ...]:
    """Return the registered erasure listeners, in registration order."""
    return tuple(_erasure_listeners)


def add_settings_page(page: SettingsPage) -> None:
    """Add a tab to the clinic settings navigation (once, however often added)."""
    if page not in _settings_pages:
        _settings_pages.append(page)


def settings_pages() -> tuple[SettingsPage, ...]:
    """Return the settings pages other apps added, in the order they were added."""
    return tuple(_settings_pages)


def provide(slot: Slot, function: Callable[..., Any]) -> None:
    """Make `function` the provider of a slot."""
    _providers[slot] = function


def impasse_panel_for(detail: "PatientDetail") -> Any:
    """Return the impasse panel of the patient page, or None when no app provides one."""
    provider = _providers.get(Slot.IMPASSE_PANEL)
    return None if provider is None else provider(detail)


def patient_page_panel(detail: "PatientDetail") -> Any:
    """Return the impasse panel as the patient page shows it, or None when no app provides one."""
    provider = _providers.get(Slot.PATIENT_PAGE_PANEL)
    return None if provider is None else provider(detail)


def patient_impasse_panel(*, access: "ClinicAccess", patient_id: int) -> Any:
    """Return a patient's impasse panel for the report; LookupError when no app provides one."""
    provider = _providers.get(Slot.PATIENT_IMPASSE_PANEL)
    if provider is None:
        raise LookupError(Slot.PATIENT_IMPASSE_PANEL)
    return provider(access=access, patient_id=patient_id)


def patients_with_active_impasse_case() -> Q:
    """Return the filter of patients with a case in progress (none when no app provides it)."""
    provider = _providers.get(Slot.FLAGGED_PATIENTS)
    return Q(pk__in=[]) if provider is None else provider()


def value_labels() -> dict[str, str]:
    """Return other apps' coded values with their words (none when no app provides them)."""
    provider = _providers.get(Slot.VALUE_LABELS)
    return {} if provider is None else dict(provider())


def caseload_stage_annotations(episode_ref: Any) -> dict[str, Any]:
    """Return the stage annotations of the episode `episode_ref` names ({} when none provided)."""
    provider = _providers.get(Slot.CASELOAD_STAGE)
    return {} if provider is None else provider(episode_ref)


def caseload_case_annotations() -> dict[str, Any]:
    """Return the case and review annotations on patients ({} when no app provides them)."""
    provider = _providers.get(Slot.CASELOAD_CASE)
    return {} if provider is None else provider()


def signed_reviews(patient_ids: Collection[int]) -> dict[int, SignedReview]:
    """Return the latest signed-off review of each patient that has one, by patient id."""
    provider = _providers.get(Slot.SIGNED_REVIEWS)
    return {} if provider is None or not patient_ids else provider(patient_ids)


def demo_data_create(*, clinic: "Clinic", supervisor: "User") -> None:
    """Add another app's part of the demo clinic (nothing when no app provides one)."""
    provider = _providers.get(Slot.DEMO_DATA)
    if provider is not None:
        provider(clinic=clinic, supervisor=supervisor)
