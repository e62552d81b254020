"""The one path every change to an episode's clinical content ends in.

Trials, scores, episodes, patients, agents, checklist answers, JSON and CSV imports, erasure,
the clinic's staging parameters and `restage` all end in `episode_changed`, inside their own
transaction, after authorising the change. It runs what the apps above records registered
(records.extensions): today pseudoresistance refreshes the impasse flags and cohort stores the
staging snapshots. A bulk path calls it once for all its episodes, so it ends in the same state
as entering the same data one record at a time.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from records.extensions import EpisodeChange, episode_change_listeners
from records.models import Episode

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def affected_episodes(episode_ids: Iterable[int]) -> tuple[int, ...]:
    """Return the episodes a change to these touches: every episode of their patients.

    A later episode's history holds the earlier episodes' trials (records/history.py), so a
    change to one episode can change what its patient's other episodes stage.
    """
    wanted = sorted(set(episode_ids))
    if not wanted:
        return ()
    patients = Episode.objects.filter(pk__in=wanted).values("patient_id")
    return tuple(
        Episode.objects.filter(patient_id__in=patients)
        .order_by("patient_id", "pk")
        .values_list("pk", flat=True)
    )


def episode_changed(*, episode_ids: Iterable[int], acting_user: "User | None") -> tuple[int, ...]:
    """End a change to episodes' clinical content: run every registered listener on them.

    `acting_user` made the change and was authorised for it (None: the system, for a scheduled
    restage). The patients' other episodes are included. Returns the episodes told.
    """
    # No savepoint of its own: every caller's transaction ends with it, and a failure here
    # rolls back that caller's whole change (the demo build made 67 savepoints for it).
    with transaction.atomic(savepoint=False):
        ids = affected_episodes(episode_ids)
        if not ids:
            return ids
        change = EpisodeChange(episode_ids=ids, acting_user=acting_user)
        for listener in episode_change_listeners():
            listener(change)
    return ids
