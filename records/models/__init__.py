from .agent import Agent, AgentRole
from .audit import ACCESS_ACTIONS, AuditAction, AuditEvent
from .caseload import CaseloadVisit, PatientSeen
from .clinic import Clinic, Membership, Role
from .episode import Episode, FunctionalImpairment, PersonalityDisorder, Presence, SeverityCategory
from .invitation import Invitation
from .patient import Diagnosis, Patient, Sex
from .report import ReportPreparation
from .scale import ScaleAdministration
from .staging_defaults import ClinicStagingDefaults
from .trial import (
    Adherence,
    InformationSource,
    Placement,
    ReasonStopped,
    TreatmentTrial,
    TrialKind,
    TrialOutcome,
)

__all__ = [
    "ACCESS_ACTIONS",
    "Adherence",
    "Agent",
    "AgentRole",
    "AuditAction",
    "AuditEvent",
    "CaseloadVisit",
    "Clinic",
    "ClinicStagingDefaults",
    "Diagnosis",
    "Episode",
    "FunctionalImpairment",
    "InformationSource",
    "Invitation",
    "Membership",
    "Patient",
    "PatientSeen",
    "PersonalityDisorder",
    "Placement",
    "Presence",
    "ReasonStopped",
    "ReportPreparation",
    "Role",
    "ScaleAdministration",
    "SeverityCategory",
    "Sex",
    "TreatmentTrial",
    "TrialKind",
    "TrialOutcome",
]
