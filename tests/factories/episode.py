import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from records.models import Episode, ScaleAdministration, SeverityCategory

from .patient import PatientFactory


def recent_onset() -> datetime.date:
    """An onset five months ago: acute for the MSM and well short of 24 months."""
    return timezone.localdate() - datetime.timedelta(days=150)


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    onset_date = datetime.date(2024, 5, 1)
    baseline_severity_category = SeverityCategory.MODERATE
    baseline_scale = "HAMD17"
    baseline_score = Decimal(20)


class ScaleAdministrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScaleAdministration

    episode = factory.SubFactory(EpisodeFactory)
    scale = "HAMD17"
    administered_on = factory.LazyAttribute(
        lambda administration: administration.episode.onset_date + datetime.timedelta(days=7)
    )
    total = Decimal(20)
