"""The episode form: dates, baseline severity and the DM-TRD context items."""

from typing import Any

from records.models import Episode
from records.services import EpisodeInput
from records.services.episodes import EPISODE_FIELDS

from .common import ServiceErrorsForm, model_field, version_field


class EpisodeForm(ServiceErrorsForm):
    """One major depressive episode; blank context items mean not recorded."""

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in EPISODE_FIELDS:
            self.fields[name] = model_field(Episode, name)
        if editing:
            self.fields["version"] = version_field()

    @classmethod
    def initial_for(cls, episode: Episode) -> dict[str, Any]:
        """Return the form's initial values for editing an episode."""
        return {
            **{name: getattr(episode, name) for name in EPISODE_FIELDS},
            "version": episode.version,
        }

    def to_input(self) -> EpisodeInput:
        """Return the validated values as the service's input."""
        data = self.cleaned_data
        return EpisodeInput(**{name: data[name] for name in EPISODE_FIELDS})
