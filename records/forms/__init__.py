"""Forms check the shape of what is typed; the services decide what a record may hold."""

from .episodes import EpisodeForm
from .exchange import HistoryUploadForm
from .patients import PatientFilterForm, PatientForm
from .scales import ScaleForm
from .trials import (
    AdequacyOverrideForm,
    AgentCatalogue,
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
    "TrialForm",
    "VersionForm",
    "agent_catalogue",
    "drug_classes",
    "therapy_types",
]
