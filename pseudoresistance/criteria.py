"""When an episode becomes an impasse case on its own: the automatic flagging criteria.

Every clinical judgement comes from staging/ (FDA/EMA, the MSM total, the episode's duration,
each trial's outcome) or from the checklist; this module only says which of them flag a case,
under a clinic's flag rules (`FlagRules`; the defaults are the rules every clinic had before
they became a setting, issue 17).

A criterion is stored as a code that carries its own threshold (`msm_at_least_9`), so a case
flagged under one clinic's rules reads the same after the rules change.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models

from staging.adequacy import OutcomeCategory
from staging.history import duration_points
from staging.result import ModelResult

# The MSM's moderate band starts at 7 (Fekadu 2018, Table 3): the flagging threshold.
MSM_FLAG_SCORE = 7
# The MSM total runs from 3 to 15 (staging-models.md, MSM: D 1–3 + S 1–5 + T 1–5 + A 0–1 + E 0–1).
MSM_TOTAL_MIN = 3
MSM_TOTAL_MAX = 15
# staging.history.duration_points: 3 is "chronic", an episode longer than 24 months (1.3.6).
CHRONIC_DURATION_POINTS = 3
# 2 is "subacute", longer than 12 months: the MSM's other duration band a clinic may choose.
SUBACUTE_DURATION_POINTS = 2
FDA = "fda"
EMA = "ema"
MSM = "msm"
MSM_CODE_PREFIX = "msm_at_least_"
LONG_EPISODE_12_MONTHS = "long_episode_12"
_MSM_CODE = re.compile(rf"^{MSM_CODE_PREFIX}(\d+)$")


class Criterion(models.TextChoices):
    FDA_EMA_MET = "fda_ema_met", "The treatments tried meet the FDA/EMA definition"
    MSM_AT_LEAST_7 = "msm_at_least_7", f"Maudsley Staging Method score ≥ {MSM_FLAG_SCORE}"
    RED_CONCERN = "red_concern", "A RED checklist concern is recorded"
    LONG_EPISODE = "long_episode", "Episode longer than 24 months without response"


class CriterionKind(models.TextChoices):
    """What the queue filters by: a criterion whatever its threshold, or a flag by hand."""

    FDA_EMA_MET = "fda_ema_met", "Treatments tried meet the FDA/EMA definition"
    MSM = "msm", "Maudsley Staging Method score"
    RED_CONCERN = "red_concern", "RED checklist concern"
    LONG_EPISODE = "long_episode", "Long episode without response"
    MANUAL = "manual", "Flagged by a clinician"


class LongEpisode(models.IntegerChoices):
    """The episode lengths a clinic may flag at: the MSM's duration bands (1.3.6)."""

    OVER_24_MONTHS = CHRONIC_DURATION_POINTS, "longer than 24 months"
    OVER_12_MONTHS = SUBACUTE_DURATION_POINTS, "longer than 12 months"


@dataclass(frozen=True, slots=True)
class FlagRules:
    """Which criteria open a case on their own; None switches a thresholded one off.

    The defaults are today's rules exactly; with every criterion off, cases open by hand only.
    """

    fda_ema_met: bool = True
    msm_min_score: int | None = MSM_FLAG_SCORE
    red_concern: bool = True
    long_episode_points: int | None = CHRONIC_DURATION_POINTS

    @property
    def by_hand_only(self) -> bool:
        return not (
            self.fda_ema_met
            or self.msm_min_score is not None
            or self.red_concern
            or self.long_episode_points is not None
        )


DEFAULT_FLAG_RULES = FlagRules()


@dataclass(frozen=True, slots=True)
class CriteriaFacts:
    """What the criteria are judged on, for one episode on one date.

    `outcomes` are the outcome categories of the current-episode trials (staging.adequacy).
    """

    results: Mapping[str, ModelResult]
    outcomes: tuple[OutcomeCategory, ...]
    red_concern: bool
    onset: datetime.date
    assessment_date: datetime.date
    episode_current: bool


def msm_code(score: int) -> str:
    """Return the stored code of "MSM total ≥ score"."""
    return f"{MSM_CODE_PREFIX}{score}"


def long_episode_code(points: int) -> str:
    """Return the stored code of "episode longer than the band of `points`, no response"."""
    return (
        Criterion.LONG_EPISODE.value
        if points == CHRONIC_DURATION_POINTS
        else (LONG_EPISODE_12_MONTHS)
    )


def automatic_criteria(
    facts: CriteriaFacts, rules: FlagRules = DEFAULT_FLAG_RULES
) -> tuple[str, ...]:
    """Return the codes of the criteria an episode meets under the rules; none once it ended."""
    if not facts.episode_current:
        return ()
    results = facts.results
    met: list[str] = []
    if rules.fda_ema_met and any(results[key].met for key in (FDA, EMA) if key in results):
        met.append(Criterion.FDA_EMA_MET.value)
    msm = results.get(MSM)
    threshold = rules.msm_min_score
    msm_score = msm.score if msm is not None else None
    if threshold is not None and msm_score is not None and msm_score >= threshold:
        met.append(msm_code(threshold))
    if rules.red_concern and facts.red_concern:
        met.append(Criterion.RED_CONCERN.value)
    points = rules.long_episode_points
    responded = any(outcome is OutcomeCategory.RESPONSE for outcome in facts.outcomes)
    long = points is not None and duration_points(facts.onset, facts.assessment_date) >= points
    if long and points is not None and not responded:
        met.append(long_episode_code(points))
    return tuple(met)


def criterion_kind(code: str) -> CriterionKind | None:
    """Return the kind of a stored criterion code (None for a code this version does not know)."""
    if code.startswith(MSM_CODE_PREFIX):
        return CriterionKind.MSM
    if code in (Criterion.LONG_EPISODE, LONG_EPISODE_12_MONTHS):
        return CriterionKind.LONG_EPISODE
    if code in (Criterion.FDA_EMA_MET, Criterion.RED_CONCERN):
        return CriterionKind(code)
    return None


def criterion_label(code: str) -> str:
    """Return the display wording of one stored criterion code (an unknown code as it is)."""
    if match := _MSM_CODE.match(code):
        return f"Maudsley Staging Method score ≥ {match.group(1)}"
    if code == LONG_EPISODE_12_MONTHS:
        return "Episode longer than 12 months without response"
    return Criterion(code).label if code in Criterion.values else code


def criterion_short_label(code: str) -> str:
    """Return a criterion in a few words, for the queue's narrow column."""
    if match := _MSM_CODE.match(code):
        return f"Maudsley score ≥ {match.group(1)}"
    short = {
        Criterion.FDA_EMA_MET.value: "FDA/EMA definition met",
        Criterion.RED_CONCERN.value: "RED checklist concern",
        Criterion.LONG_EPISODE.value: "episode over 24 months, no response",
        LONG_EPISODE_12_MONTHS: "episode over 12 months, no response",
    }
    return short.get(code, code)


def criteria_labels(codes: Iterable[str]) -> tuple[str, ...]:
    """Return the display wording of stored criterion codes (unknown codes as they are)."""
    return tuple(criterion_label(code) for code in codes)


def criterion_labels() -> dict[str, str]:
    """Return every criterion code a case can store with its words (the history of changes)."""
    codes = [
        *Criterion.values,
        *(msm_code(score) for score in range(MSM_TOTAL_MIN, MSM_TOTAL_MAX + 1)),
        *(long_episode_code(points) for points in LongEpisode.values),
    ]
    return {code: criterion_label(code) for code in codes}
