"""Forms check the shape of what is typed; the services decide what a record may hold."""

from .episodes import EpisodeForm
from .exchange import HistoryUploadForm
from .patients import PatientFilterForm, PatientForm
from .scales import ScaleForm, ScoreDeleteForm
from .trials import (
    AdequacyOverrideForm,
    AgentCatalogue,
    TrialDeleteForm,
    TrialForm,
    VersionForm,
    agent_catalogue,
    drug_classes,
    therapy_types,
)

__all__ = [
    "AdequacyOverrideForm",
    "AgentCatalogue",
    "EpisodeForm",
    "HistoryUploadForm",
    "PatientFilterForm",
    "PatientForm",
    "ScaleForm",
    "ScoreDeleteForm",
    "TrialDeleteForm",
    "TrialForm",
    "VersionForm",
    "agent_catalogue",
    "drug_classes",
    "therapy_types",
]
