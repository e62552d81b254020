"""Whether a clinician confirmed the case status that stands now (read-only)."""

from dataclasses import dataclass

from pseudoresistance.models import StatusConfirmation
from pseudoresistance.status import StatusReport


@dataclass(frozen=True)
class Confirmation:
    """The latest confirmation of an episode's status and whether it still stands."""

    latest: StatusConfirmation | None
    current: bool

    @property
    def stale(self) -> bool:
        """A confirmation of a status that has changed since: shown as unconfirmed again."""
        return self.latest is not None and not self.current


def status_confirmation(episode_id: int, report: StatusReport) -> Confirmation:
    """Return whether a clinician confirmed the status shown now; one query."""
    latest = (
        StatusConfirmation.objects.filter(episode_id=episode_id)
        .select_related("confirmed_by")
        .order_by("-confirmed_at", "-pk")
        .first()
    )
    current = (
        latest is not None
        and latest.status == report.status.value
        and latest.status_text == report.text
    )
    return Confirmation(latest, current)
