"""The agent catalogue: clinic admins add their own agents, audited; built-ins stay read-only."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from records.models import Agent, AgentRole, AuditAction, AuditEvent
from records.services import AgentInput, agent_create, agent_delete, agent_update
from tests.factories import AgentFactory, TrialFactory, builtin_agent


def entry(**changes: object) -> AgentInput:
    values: dict[str, object] = {
        "name": "gepirone",
        "drug_class": "other",
        "role": AgentRole.ANTIDEPRESSANT,
        "minimum_dose_mg_per_day": Decimal("18.2"),
        "source": "Clinic formulary 2026",
    }
    values.update(changes)
    return AgentInput(**values)  # type: ignore[arg-type]


def test_clinic_admin_adds_an_agent_for_their_clinic_and_it_is_audited(clinic, clinic_admin):
    agent = agent_create(acting_user=clinic_admin, clinic_id=clinic.pk, data=entry())
    assert (agent.clinic, agent.molecule) == (clinic, "gepirone")
    [event] = AuditEvent.objects.filter(object_type="agent")
    assert (event.action, event.clinic_id, event.patient_id) == (
        AuditAction.CREATE,
        clinic.pk,
        None,
    )
    assert event.changes["minimum_dose_mg_per_day"] == [None, "18.2"]


def test_a_name_of_the_builtin_catalogue_is_refused(clinic, clinic_admin):
    with pytest.raises(ValidationError) as refused:
        agent_create(acting_user=clinic_admin, clinic_id=clinic.pk, data=entry(name="Sertraline"))
    assert "name" in refused.value.message_dict
    assert not Agent.objects.filter(clinic=clinic).exists()


def test_a_minimum_dose_and_a_minimum_level_together_are_refused(clinic, clinic_admin):
    with pytest.raises(ValidationError):
        agent_create(
            acting_user=clinic_admin,
            clinic_id=clinic.pk,
            data=entry(minimum_serum_level_mmol_per_l=Decimal("0.5")),
        )


def test_builtins_are_read_only(clinic_admin):
    with pytest.raises(PermissionDenied):
        agent_update(
            acting_user=clinic_admin, agent_id=builtin_agent("sertraline").pk, data=entry()
        )


def test_agent_update_is_audited_and_an_agent_in_use_is_not_deleted(clinic, clinic_admin):
    agent = AgentFactory(clinic=clinic, name="gepirone")
    agent_update(
        acting_user=clinic_admin, agent_id=agent.pk, data=entry(minimum_dose_mg_per_day=Decimal(20))
    )
    changes = AuditEvent.objects.get(action=AuditAction.UPDATE).changes
    assert changes["minimum_dose_mg_per_day"] == ["10", "20"]
    TrialFactory(episode__patient__clinic=clinic, agent=agent)
    with pytest.raises(ValidationError, match="recorded in 1 trial"):
        agent_delete(acting_user=clinic_admin, agent_id=agent.pk)
    assert Agent.objects.filter(pk=agent.pk).exists()


def test_psychiatrist_may_not_change_the_catalogue_and_other_clinics_get_404(
    clinic, other_clinic, psychiatrist, member
):
    with pytest.raises(PermissionDenied):
        agent_create(acting_user=psychiatrist, clinic_id=clinic.pk, data=entry())
    foreign_admin = member("clinic_admin", in_clinic=other_clinic)
    agent = AgentFactory(clinic=clinic)
    with pytest.raises(Http404):
        agent_update(acting_user=foreign_admin, agent_id=agent.pk, data=entry())
