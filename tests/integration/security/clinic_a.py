"""Clinic A of the security walks: one of each object a URL can name, its staff and a stranger.

URL parameters are real objects of clinic A; the visitor of the other clinic holds every role in
clinic B only. Built once per module (tests/integration/security/conftest.py).
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from pseudoresistance.models import ChecklistVersion
from records.models import AuditEvent, Membership, Patient, Role
from records.services.common import ObjectType
from tests.factories import (
    AgentFactory,
    ClinicFactory,
    EpisodeFactory,
    ImpasseCaseFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
)


@dataclass
class ClinicA:
    """Clinic A's objects and staff, and the visitor of clinic B."""

    visitors: dict[str, User | None]
    values: dict[str, str]
    missing: dict[str, str]


def clinic_a_build() -> ClinicA:
    """Make clinic A, clinic B's visitor, and the values of every URL parameter."""
    clinic = ClinicFactory(name="Clinic A")
    other = ClinicFactory(name="Clinic B")
    staff = {role: UserFactory() for role in (Role.PSYCHIATRIST, Role.SUPERVISOR)}
    staff[Role.CLINIC_ADMIN] = UserFactory()
    for role, user in staff.items():
        MembershipFactory(user=user, clinic=clinic, role=role)
    stranger = UserFactory()
    for role in Role.values:
        MembershipFactory(user=stranger, clinic=other, role=role)
    psychiatrist = staff[Role.PSYCHIATRIST]
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist)
    episode = EpisodeFactory(patient=patient)
    trial = TrialFactory(episode=episode, code="T1", seq=1)
    score = ScaleAdministrationFactory(episode=episode)
    case = ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)
    agent = AgentFactory(clinic=clinic)
    event = AuditEvent.objects.create(
        clinic_id=clinic.pk, patient_id=patient.pk, object_type=ObjectType.PATIENT, action="view"
    )
    membership = Membership.objects.get(user=psychiatrist, clinic=clinic)
    version = ChecklistVersion.objects.get()
    admin_objects = {
        "records/clinic": clinic.pk,
        "records/membership": membership.pk,
        "auth/user": psychiatrist.pk,
        "records/agent": agent.pk,
        "records/auditevent": event.pk,
        "pseudoresistance/checklistversion": version.pk,
    }
    values = {
        "patient_id": str(patient.pk),
        "episode_id": str(episode.pk),
        "trial_id": str(trial.pk),
        "administration_id": str(score.pk),
        "case_id": str(case.pk),
        "domain": "B",
        "prefix": "dB",
        "content_type_id": str(ContentType.objects.get_for_model(Patient).pk),
        "agent_id": str(agent.pk),
        "token": "no-such-invitation",
        "object_id": str(patient.pk),
        "id": str(psychiatrist.pk),
        "user_id": str(psychiatrist.pk),
        "first": "thase_rush",
        "second": "fda",
        "app_label": "records",
        "url": "records/nosuchmodel/",
        **{f"admin:{model}": str(pk) for model, pk in admin_objects.items()},
    }
    unused = 10**9
    missing = {name: str(unused) for name in values if name.endswith("_id") or name == "id"}
    missing |= {f"admin:{model}": str(unused) for model in admin_objects}
    return ClinicA(
        visitors={
            "anonymous": None,
            "other clinic": stranger,
            "psychiatrist": psychiatrist,
            "supervisor": staff[Role.SUPERVISOR],
            "clinic admin": staff[Role.CLINIC_ADMIN],
        },
        values=values,
        missing=missing,
    )
