from .clinic import ClinicFactory, MembershipFactory, UserFactory
from .episode import EpisodeFactory, ScaleAdministrationFactory, recent_onset
from .patient import PatientFactory
from .pseudoresistance import ImpasseCaseFactory
from .trial import AgentFactory, TrialFactory, builtin_agent

__all__ = [
    "AgentFactory",
    "ClinicFactory",
    "EpisodeFactory",
    "ImpasseCaseFactory",
    "MembershipFactory",
    "PatientFactory",
    "ScaleAdministrationFactory",
    "TrialFactory",
    "UserFactory",
    "builtin_agent",
    "recent_onset",
]
