"""Who may see and do what: the one place that scopes clinical data to the signed-in user.

Every patient-scoped view starts with `clinic_access(request)` or `patient_for_user(...)`:
a patient outside the active clinic is a 404 (its existence is not revealed), an action the
user's roles do not allow is a 403.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .models import Clinic, Membership, Patient, Role
from .signed_in import signed_in

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

ACTIVE_CLINIC_SESSION_KEY = "active_clinic_id"

NO_MEMBERSHIP_MESSAGE = (
    "Your account is not a member of any clinic yet. Ask your clinic's administrator to add you."
)
NOT_ALLOWED_MESSAGE = "Your role in {clinic} does not allow this."
PATIENT_NOT_FOUND_MESSAGE = "No such patient in your clinic."


class Permission(StrEnum):
    VIEW_PATIENTS = "view_patients"
    EDIT_CLINICAL_DATA = "edit_clinical_data"
    REVIEW_IMPASSE = "review_impasse"
    VIEW_COHORT = "view_cohort"
    EXPORT_COHORT = "export_cohort"
    MANAGE_CLINIC = "manage_clinic"
    VIEW_AUDIT = "view_audit"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.PSYCHIATRIST: frozenset({Permission.VIEW_PATIENTS, Permission.EDIT_CLINICAL_DATA}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.VIEW_PATIENTS,
            Permission.REVIEW_IMPASSE,
            Permission.VIEW_COHORT,
            Permission.EXPORT_COHORT,
        }
    ),
    # Clinic admins read records (audit, exports) but do not change clinical data.
    Role.CLINIC_ADMIN: frozenset(
        {
            Permission.VIEW_PATIENTS,
            Permission.VIEW_COHORT,
            Permission.EXPORT_COHORT,
            Permission.MANAGE_CLINIC,
            Permission.VIEW_AUDIT,
        }
    ),
}


@dataclass(frozen=True)
class ClinicAccess:
    """The signed-in user's roles in the clinic they are working in."""

    user: "User"
    clinic: Clinic
    roles: frozenset[str]
    clinics: tuple[Clinic, ...]

    def can(self, permission: Permission) -> bool:
        return any(permission in ROLE_PERMISSIONS[role] for role in self.roles)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(NOT_ALLOWED_MESSAGE.format(clinic=self.clinic.name))

    def patients(self) -> QuerySet[Patient]:
        """Return the patients this user may see: those of the active clinic."""
        self.require(Permission.VIEW_PATIENTS)
        return Patient.objects.filter(clinic=self.clinic)


def access_for_user(
    user: "User | AnonymousUser",
    active_clinic_id: int | None,
    memberships: Sequence[Membership] | None = None,
) -> ClinicAccess | None:
    """Return the user's access in the chosen clinic (or their first), None without a membership.

    `memberships`, when given, are the user's as read with them in this request.
    """
    if not user.is_authenticated:
        return None
    if memberships is None:
        memberships = list(
            Membership.objects.filter(user=user).select_related("clinic__staging_defaults")
        )
    if not memberships:
        return None
    clinics = tuple({m.clinic_id: m.clinic for m in memberships}.values())
    clinic = next((c for c in clinics if c.pk == active_clinic_id), clinics[0])
    roles = frozenset(m.role for m in memberships if m.clinic_id == clinic.pk)
    return ClinicAccess(user=user, clinic=clinic, roles=roles, clinics=clinics)


def request_access(request: HttpRequest) -> ClinicAccess | None:
    """Return the request user's access in their active clinic, loaded once per request."""
    if not hasattr(request, "_clinic_access"):
        active_clinic_id = request.session.get(ACTIVE_CLINIC_SESSION_KEY)
        loaded = signed_in(request.user)
        request._clinic_access = access_for_user(  # type: ignore[attr-defined]
            request.user, active_clinic_id, loaded.memberships if loaded is not None else None
        )
    return request._clinic_access  # type: ignore[attr-defined, no-any-return]


def clinic_access(request: HttpRequest, permission: Permission | None = None) -> ClinicAccess:
    """Return the request's clinic access, refusing users without a membership or permission."""
    access = request_access(request)
    if access is None:
        raise PermissionDenied(NO_MEMBERSHIP_MESSAGE)
    if permission is not None:
        access.require(permission)
    return access


def patient_for_user(
    request: HttpRequest, patient_id: int, permission: Permission = Permission.VIEW_PATIENTS
) -> Patient:
    """Return the patient if the active clinic holds it and the user's roles allow the action."""
    access = clinic_access(request)
    try:
        patient = Patient.objects.select_related("psychiatrist").get(
            pk=patient_id, clinic=access.clinic
        )
    except Patient.DoesNotExist:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE) from None
    access.require(permission)
    return patient


def administered_clinic_ids(user: "User | AnonymousUser") -> set[int]:
    """Return the ids of the clinics this user administers."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role=Role.CLINIC_ADMIN).values_list(
            "clinic_id", flat=True
        )
    )
