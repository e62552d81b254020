"""`any_of`: the compact rows' id filter (one array parameter) selects what `__in` selects."""

from records.history_rows import any_of
from records.models import Episode, Patient, TreatmentTrial
from tests.factories import EpisodeFactory, TrialFactory


def test_any_of_selects_the_rows_in_selects(patient: Patient, episode: Episode) -> None:
    earlier = episode.onset_date.replace(year=2020)
    other = EpisodeFactory(patient=patient, onset_date=earlier, end_date=earlier.replace(month=12))
    trials = [TrialFactory(episode=episode), TrialFactory(episode=other)]
    for ids in ([], [episode.pk], [episode.pk, other.pk], [other.pk, 0]):
        wanted = set(TreatmentTrial.objects.filter(episode_id__in=ids))
        assert set(TreatmentTrial.objects.filter(any_of("episode_id", ids))) == wanted
        assert set(Episode.objects.filter(any_of("pk", ids))) == set(
            Episode.objects.filter(pk__in=ids)
        )
    assert set(TreatmentTrial.objects.filter(any_of("episode_id", {other.pk}))) == {trials[1]}
