from .clinic import Clinic, Membership, Role
from .patient import Diagnosis, Patient, Sex

__all__ = ["Clinic", "Diagnosis", "Membership", "Patient", "Role", "Sex"]
