"""The clinic's follow-up setting: how many days may pass between a patient's ratings."""

from records.models import Clinic

from .common import ServiceErrorsForm, model_field


class ScoreIntervalForm(ServiceErrorsForm):
    """The days between ratings after which the caseload shows a score as overdue."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["score_interval_days"] = model_field(Clinic, "score_interval_days")

    @property
    def days(self) -> int:
        return int(self.cleaned_data["score_interval_days"])
