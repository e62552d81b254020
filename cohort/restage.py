"""`restage` on several cores: the episodes split by patient among worker processes.

Each worker is a separate process with its own database connection (the parent's are closed
before the fork, so none is shared) and restages its share through `snapshots_restage`, in
batches, each in its own transaction. A patient's episodes all go to one worker, so two
workers never write the same patient's snapshots or impasse cases.
"""

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from multiprocessing.queues import Queue

from django.db import connections

from cohort.services import RESTAGE_BATCH, episodes_to_restage, snapshots_restage
from records.models import Clinic

WORKER_FAILED = "A restage worker stopped with exit code {code}."


def progress_line(done: int, total: int, elapsed: float) -> str:
    """Return a progress line: episodes done, the rate, and the time left at that rate."""
    rate = done / elapsed if elapsed > 0 else 0.0
    line = f"{done:,}/{total:,} episodes restaged ({elapsed:.1f} s, {rate:,.0f} episodes/s"
    if rate > 0 and done < total:
        left = (total - done) / rate
        minutes, seconds = divmod(round(left), 60)
        line += (
            f", about {minutes} min {seconds:02d} s left"
            if minutes
            else f", about {seconds} s left"
        )
    return line + ")"


def split_by_patient(pairs: Sequence[tuple[int, int]], parts: int) -> list[list[int]]:
    """Split (patient id, episode id) pairs in patient order into `parts` shares of episode ids.

    Shares are contiguous runs of patients of about equal size; a patient is never split.
    """
    shares: list[list[int]] = [[] for _ in range(max(1, parts))]
    target = len(pairs) / len(shares)
    share = 0
    previous: int | None = None
    for patient_id, episode_id in pairs:
        changes_patient = patient_id != previous
        if changes_patient and share < len(shares) - 1 and len(shares[share]) >= target:
            share += 1
        shares[share].append(episode_id)
        previous = patient_id
    return [each for each in shares if each]


def _worker(episode_ids: list[int], batch_size: int, done: "Queue[int]") -> None:
    reported = 0

    def report(count: int, _total: int) -> None:
        nonlocal reported
        done.put(count - reported)
        reported = count

    snapshots_restage(episode_ids=episode_ids, batch_size=batch_size, progress=report)
    connections.close_all()


def snapshots_restage_parallel(
    *,
    jobs: int,
    clinic: Clinic | None = None,
    stale_only: bool = False,
    batch_size: int = RESTAGE_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Restage as `snapshots_restage` does, with `jobs` worker processes; return the episodes.

    `progress(done, total)` is called in this process whenever a worker finishes a batch.
    """
    pairs = list(
        episodes_to_restage(clinic, stale_only)
        .order_by("patient_id", "pk")
        .values_list("patient_id", "pk")
    )
    total = len(pairs)
    shares = split_by_patient(pairs, jobs)
    if len(shares) <= 1:
        ids = shares[0] if shares else []
        return snapshots_restage(episode_ids=ids, batch_size=batch_size, progress=progress)
    context = multiprocessing.get_context("fork")
    done: Queue[int] = context.Queue()
    # Each worker opens its own connection: none may be inherited across the fork.
    connections.close_all()
    workers = [
        context.Process(target=_worker, args=(share, batch_size, done), daemon=True)
        for share in shares
    ]
    for worker in workers:
        worker.start()
    finished = 0
    while any(worker.is_alive() for worker in workers) or not done.empty():
        try:
            count = done.get(timeout=0.2)
        except queue.Empty:
            continue
        finished += count
        if progress is not None:
            progress(min(finished, total), total)
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(WORKER_FAILED.format(code=worker.exitcode))
    return total
