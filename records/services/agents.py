"""The agent catalogue: clinic admins add their clinic's agents; the built-ins stay read-only."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from records.access import Permission
from records.audit import audit_event_write, created, deleted, field_changes, snapshot
from records.models import Agent, AuditAction, Clinic

from .changes import episode_changed
from .common import Errors, ObjectType, add_error, authorise, found, non_field, validate

SPACES = re.compile(" {2,}")

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .common import Actor

CLINIC_NOT_FOUND = "No such clinic."
AGENT_NOT_FOUND = "No such agent in your clinic's catalogue."
BUILTIN_READ_ONLY = (
    "The built-in catalogue is read-only: it follows the published minimum doses that staging uses."
)
NAME_TAKEN = "The catalogue already has an agent called {name}."
AGENT_IN_USE = "{name} is recorded in {count} trial(s), so it stays in the catalogue."

AGENT_FIELDS = (
    "name",
    "molecule",
    "drug_class",
    "role",
    "minimum_dose_mg_per_day",
    "minimum_serum_level_mmol_per_l",
    "minimum_weeks",
    "source",
)


@dataclass(frozen=True, kw_only=True)
class AgentInput:
    """A clinic's own catalogue entry; the molecule defaults to the name."""

    name: str
    drug_class: str
    role: str
    source: str
    molecule: str = ""
    minimum_dose_mg_per_day: Decimal | None = None
    minimum_serum_level_mmol_per_l: Decimal | None = None
    minimum_weeks: Decimal | None = None


def _spaced(text: str) -> str:
    # Runs of spaces collapse; tabs, line breaks and other hidden characters stay for the
    # name's validation to refuse (records.identity).
    return SPACES.sub(" ", text.strip(" "))


def _apply(agent: Agent, data: AgentInput) -> None:
    agent.name = _spaced(data.name)
    agent.molecule = _spaced(data.molecule) or agent.name
    agent.drug_class = data.drug_class
    agent.role = data.role
    agent.source = data.source.strip()
    agent.minimum_dose_mg_per_day = data.minimum_dose_mg_per_day
    agent.minimum_serum_level_mmol_per_l = data.minimum_serum_level_mmol_per_l
    agent.minimum_weeks = data.minimum_weeks


def _rule_errors(agent: Agent) -> Errors:
    errors: Errors = {}
    if "\x00" in agent.name:
        # The database cannot even compare it; the model's validation names the field.
        return errors
    # One name means one agent for the clinic: its own entries and the built-ins together.
    clash = (
        Agent.objects.filter(Q(clinic=None) | Q(clinic_id=agent.clinic_id), name__iexact=agent.name)
        .exclude(pk=agent.pk)
        .exists()
    )
    if clash:
        add_error(errors, "name", NAME_TAKEN.format(name=agent.name), "agent_name_taken")
    return errors


def agent_validate(*, clinic_id: int, data: AgentInput, agent_id: int | None = None) -> None:
    """Raise the field errors the catalogue entry would get, without saving (for forms)."""
    agent = Agent(pk=agent_id, clinic_id=clinic_id)
    _apply(agent, data)
    validate(agent, _rule_errors(agent), exclude=["clinic"])


def _audit(
    user: "User", agent: Agent, action: AuditAction, changes: dict[str, list[str | None]]
) -> None:
    audit_event_write(
        actor=user,
        action=action,
        object_type=ObjectType.AGENT,
        object_id=agent.pk,
        clinic_id=agent.clinic_id,
        changes=changes,
    )


def agent_create(*, acting_user: "Actor", clinic_id: int, data: AgentInput) -> Agent:
    """Add an agent to the clinic's own catalogue (clinic admins)."""
    with transaction.atomic():
        user = authorise(
            acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND
        ).user
        clinic = Clinic.objects.get(pk=clinic_id)
        agent = Agent(clinic=clinic, created_by=user, updated_by=user)
        _apply(agent, data)
        validate(agent, _rule_errors(agent))
        agent.save()
        _audit(user, agent, AuditAction.CREATE, created(snapshot(agent, AGENT_FIELDS)))
    return agent


def _for_edit(acting_user: "Actor", agent_id: int) -> tuple["User", Agent]:
    agent = found(Agent.objects.all(), agent_id, not_found=AGENT_NOT_FOUND, lock=True)
    if agent.clinic_id is None:
        raise PermissionDenied(BUILTIN_READ_ONLY)
    user = authorise(
        acting_user, agent.clinic_id, Permission.MANAGE_CLINIC, not_found=AGENT_NOT_FOUND
    ).user
    return user, agent


def agent_update(*, acting_user: "Actor", agent_id: int, data: AgentInput) -> Agent:
    """Change one of the clinic's own agents (clinic admins); built-ins are read-only."""
    with transaction.atomic():
        user, agent = _for_edit(acting_user, agent_id)
        before = snapshot(agent, AGENT_FIELDS)
        _apply(agent, data)
        validate(agent, _rule_errors(agent))
        changes = field_changes(before, snapshot(agent, AGENT_FIELDS))
        if not changes:
            return agent
        agent.updated_by = user
        agent.save(update_fields=[*AGENT_FIELDS, "updated_by", "updated_at"])
        _audit(user, agent, AuditAction.UPDATE, changes)
        # An agent's class is what staging reads of it, so its trials' episodes restage.
        episode_changed(
            episode_ids=agent.trials.values_list("episode_id", flat=True), acting_user=user
        )
    return agent


def agent_delete(*, acting_user: "Actor", agent_id: int) -> None:
    """Remove one of the clinic's own agents that no trial records (clinic admins)."""
    with transaction.atomic():
        user, agent = _for_edit(acting_user, agent_id)
        used = agent.trials.count()
        if used:
            raise non_field(AGENT_IN_USE.format(name=agent.name, count=used), "agent_in_use")
        _audit(user, agent, AuditAction.DELETE, deleted(snapshot(agent, AGENT_FIELDS)))
        agent.delete()
