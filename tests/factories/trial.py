import datetime
from decimal import Decimal

import factory

from records.models import Adherence, Agent, AgentRole, TreatmentTrial, TrialKind

from .clinic import ClinicFactory
from .episode import EpisodeFactory


def builtin_agent(name: str) -> Agent:
    """Return a built-in catalogue agent (loaded by the data migration)."""
    return Agent.objects.get(clinic=None, name=name)


class AgentFactory(factory.django.DjangoModelFactory):
    """A clinic's own catalogue entry."""

    class Meta:
        model = Agent

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"clinicdrug{n}")
    molecule = factory.LazyAttribute(lambda agent: agent.name)
    drug_class = "other"
    role = AgentRole.ANTIDEPRESSANT
    minimum_dose_mg_per_day = Decimal(10)
    source = "Clinic formulary"


class TrialFactory(factory.django.DjangoModelFactory):
    """An adequate, failed sertraline trial unless told otherwise."""

    class Meta:
        model = TreatmentTrial

    episode = factory.SubFactory(EpisodeFactory)
    code = factory.Sequence(lambda n: f"F{n}")
    seq = factory.Sequence(lambda n: n + 1)
    kind = TrialKind.ANTIDEPRESSANT
    agent = factory.LazyFunction(lambda: builtin_agent("sertraline"))
    dose_mg_per_day = Decimal(100)
    weeks = Decimal(8)
    adherence = Adherence.GOOD
    percent_symptom_reduction = Decimal(20)
    start_date = factory.LazyAttribute(
        lambda trial: trial.episode.onset_date + datetime.timedelta(days=14)
    )
