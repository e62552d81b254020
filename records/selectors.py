from django.db.models import Q, QuerySet

from .access import ClinicAccess
from .models import Patient


def patient_search(*, access: ClinicAccess, query: str = "") -> QuerySet[Patient]:
    """Return the active clinic's patients matching a name or record-number fragment."""
    patients = access.patients().select_related("psychiatrist")
    for term in query.split():
        patients = patients.filter(
            Q(family_name__icontains=term)
            | Q(given_name__icontains=term)
            | Q(record_number__icontains=term)
        )
    return patients
