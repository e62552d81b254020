"""The one path every change to an episode's clinical content ends in.

Trials, scores, episodes, patients, agents, checklist answers, JSON and CSV imports, erasure,
the clinic's staging parameters and `restage` all end in `episode_changed`, inside their own
transaction, after authorising the change. It runs what the apps above records registered
(records.extensions): today pseudoresistance refreshes the impasse flags and cohort stores the
staging snapshots. A bulk path calls it once for all its episodes, so it ends in the same state
as entering the same data one record at a time.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction

from records.extensions import EpisodeChange, episode_change_listeners
from records.history_rows import any_of
from records.models import Episode, Patient
from records.statements import Statement

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Affected(NamedTuple):
    """The episodes a change touches and their patients, in id order."""

    episode_ids: tuple[int, ...]
    patient_ids: tuple[int, ...]


# Every episode of the changed episodes' patients, the patients locked in id order: every write
# under a patient locks its row first, and in order, so batches cannot deadlock.
_AFFECTED = Statement(
    lambda ids: (
        Patient.objects.select_for_update(of=("self",))
        .filter(pk__in=Episode.objects.filter(any_of("pk", ids)).values("patient_id"))
        .order_by("pk", "episodes__pk")
        .values_list("pk", "episodes__pk")
    )
)


def affected_episodes(episode_ids: Iterable[int]) -> Affected:
    """Lock the patients of these episodes and return every episode of theirs, with them.

    A later episode's history holds the earlier episodes' trials (records/history.py), so a
    change to one episode can change what its patient's other episodes stage.
    """
    wanted = sorted(set(episode_ids))
    if not wanted:
        return Affected((), ())
    rows = _AFFECTED.rows(wanted)
    return Affected(
        tuple(episode_id for _, episode_id in rows),
        tuple(dict.fromkeys(patient_id for patient_id, _ in rows)),
    )


def episode_changed(*, episode_ids: Iterable[int], acting_user: "User | None") -> tuple[int, ...]:
    """End a change to episodes' clinical content: run every registered listener on them.

    `acting_user` made the change and was authorised for it (None: the system, for a scheduled
    restage). The patients' other episodes are included, and the patients locked for the
    listeners. Returns the episodes told.
    """
    # No savepoint of its own: every caller's transaction ends with it, and a failure here
    # rolls back that caller's whole change (the demo build made 67 savepoints for it).
    with transaction.atomic(savepoint=False):
        affected = affected_episodes(episode_ids)
        if not affected.episode_ids:
            return ()
        change = EpisodeChange(
            episode_ids=affected.episode_ids,
            acting_user=acting_user,
            patient_ids=affected.patient_ids,
        )
        for listener in episode_change_listeners():
            listener(change)
    return affected.episode_ids
