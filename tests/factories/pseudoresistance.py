import factory
from django.utils import timezone

from pseudoresistance.models import CaseOrigin, ImpasseCase
from pseudoresistance.states import CaseState

from .clinic import UserFactory
from .episode import EpisodeFactory


class ImpasseCaseFactory(factory.django.DjangoModelFactory):
    """An open case flagged by hand."""

    class Meta:
        model = ImpasseCase

    episode = factory.SubFactory(EpisodeFactory)
    patient = factory.SelfAttribute("episode.patient")
    state = CaseState.OPEN
    origin = CaseOrigin.MANUAL
    flag_reason = "No remission after three trials."
    flagged_at = factory.LazyFunction(timezone.now)
    flagged_by = factory.SubFactory(UserFactory)
    waiting_since = factory.SelfAttribute("flagged_at")
    # As impasse_case_flag records it: the psychiatrist when the case opened.
    responsible_psychiatrist_ids = factory.LazyAttribute(
        lambda case: [case.patient.psychiatrist_id] if case.patient.psychiatrist_id else []
    )
