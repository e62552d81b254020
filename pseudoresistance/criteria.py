"""When an episode becomes an impasse case on its own: the automatic flagging criteria.

Every clinical judgement comes from staging/ (FDA/EMA, the MSM total, the episode's duration,
each trial's outcome) or from the checklist; this module only says which of them flag a case.
"""

import datetime
from collections.abc import Iterable, Mapping

from django.db import models

from staging.adequacy import OutcomeCategory
from staging.history import duration_points
from staging.result import ModelResult

# The MSM's moderate band starts at 7 (Fekadu 2018, Table 3): the flagging threshold.
MSM_FLAG_SCORE = 7
# staging.history.duration_points: 3 is "chronic", an episode longer than 24 months (1.3.6).
CHRONIC_DURATION_POINTS = 3
FDA = "fda"
EMA = "ema"
MSM = "msm"


class Criterion(models.TextChoices):
    FDA_EMA_MET = "fda_ema_met", "The treatments tried meet the FDA/EMA definition"
    MSM_AT_LEAST_7 = "msm_at_least_7", f"Maudsley Staging Method score ≥ {MSM_FLAG_SCORE}"
    RED_CONCERN = "red_concern", "A RED checklist concern is recorded"
    LONG_EPISODE = "long_episode", "Episode longer than 24 months without response"


def criterion_labels() -> dict[str, str]:
    """Return each criterion's code with its words (the history of changes shows them)."""
    return {str(value): str(label) for value, label in Criterion.choices}


def automatic_criteria(
    *,
    results: Mapping[str, ModelResult],
    outcomes: Iterable[OutcomeCategory],
    red_concern: bool,
    onset: datetime.date,
    assessment_date: datetime.date,
    episode_current: bool,
) -> tuple[Criterion, ...]:
    """Return the criteria an episode meets, in the table's order; none once it has ended.

    `outcomes` are the outcome categories of the current-episode trials (staging.adequacy).
    """
    if not episode_current:
        return ()
    met: list[Criterion] = []
    if any(results[key].met for key in (FDA, EMA) if key in results):
        met.append(Criterion.FDA_EMA_MET)
    msm = results.get(MSM)
    if msm is not None and msm.score is not None and msm.score >= MSM_FLAG_SCORE:
        met.append(Criterion.MSM_AT_LEAST_7)
    if red_concern:
        met.append(Criterion.RED_CONCERN)
    responded = any(outcome is OutcomeCategory.RESPONSE for outcome in outcomes)
    if duration_points(onset, assessment_date) == CHRONIC_DURATION_POINTS and not responded:
        met.append(Criterion.LONG_EPISODE)
    return tuple(met)


def criteria_labels(codes: Iterable[str]) -> tuple[str, ...]:
    """Return the display wording of stored criterion codes (unknown codes as they are)."""
    return tuple(Criterion(code).label if code in Criterion.values else code for code in codes)
