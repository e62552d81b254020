from .clinic import ClinicFactory, MembershipFactory, UserFactory
from .patient import PatientFactory

__all__ = ["ClinicFactory", "MembershipFactory", "PatientFactory", "UserFactory"]
