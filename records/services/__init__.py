"""Services write: every function is keyword-only, atomic, checks who acts, and is audited.

Errors: `ValidationError` naming the field (`StaleEditError` for an edit of a record that changed
since it was opened), `PermissionDenied` for a role that may not act, `Http404` for a record
outside the acting user's clinic.
"""

from .agents import AgentInput, agent_create, agent_delete, agent_update, agent_validate
from .changes import episode_changed
from .common import ObjectType, StaleEditError
from .episodes import (
    EpisodeInput,
    episode_create,
    episode_staging_parameters_update,
    episode_update,
)
from .patients import (
    PatientInput,
    RecordPage,
    patient_create,
    patient_record_opened,
    patient_records_opened,
    patient_update,
)
from .scale_administrations import (
    ScaleInput,
    scale_delete,
    scale_record,
    scale_update,
    scales_record,
)
from .trials import (
    ABSURD_DOSE_FACTOR,
    TRIAL_BEFORE_ONSET_CODE,
    TrialInput,
    trial_adequacy_override,
    trial_adequacy_override_clear,
    trial_delete,
    trial_record,
    trial_update,
)

__all__ = [
    "ABSURD_DOSE_FACTOR",
    "TRIAL_BEFORE_ONSET_CODE",
    "AgentInput",
    "EpisodeInput",
    "ObjectType",
    "PatientInput",
    "RecordPage",
    "ScaleInput",
    "StaleEditError",
    "TrialInput",
    "agent_create",
    "agent_delete",
    "agent_update",
    "agent_validate",
    "episode_changed",
    "episode_create",
    "episode_staging_parameters_update",
    "episode_update",
    "patient_create",
    "patient_record_opened",
    "patient_records_opened",
    "patient_update",
    "scale_delete",
    "scale_record",
    "scale_update",
    "scales_record",
    "trial_adequacy_override",
    "trial_adequacy_override_clear",
    "trial_delete",
    "trial_record",
    "trial_update",
]
