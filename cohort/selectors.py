"""Selectors read: the clinic's snapshots as plain columns, in a fixed number of queries.

The cohort page never stages: it reads `EpisodeSnapshot` rows (one query), the impasse cases and
their transitions (two), and the count of episodes whose snapshot is missing or stale (one).
"""

import bisect
import datetime
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, combinations
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import F, Func, JSONField, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.utils import timezone

from cohort.models import EpisodeSnapshot
from cohort.snapshots import VERDICT_KEYS, engine_versions, params_json
from pseudoresistance.checklist_data import ITEMS_BY_CODE, CaseStatus, case_status_text
from pseudoresistance.criteria import criteria_labels
from pseudoresistance.models import ImpasseCase, ImpasseCaseEvent
from pseudoresistance.states import ACTIVE_STATES, CaseState
from records import extensions
from records.access import ClinicAccess, Permission
from records.history import default_params
from records.models import Clinic, Episode, Patient
from staging.registry import ENGINES

LABELS = {engine.key: engine.info.label for engine in ENGINES}
# Display bins of the days a case has waited (a reading aid, not a clinical threshold).
WAITING_BINS = ((7, "0–7 days"), (30, "8–30 days"), (90, "31–90 days"), (None, "over 90 days"))
BACKLOG_WEEKS = 26
TOP_ITEMS = 10
BACKLOG_STATES = (CaseState.OPEN.value, CaseState.UNDER_REVIEW.value)
# The page reads these columns, and each model's category and verdict as text (KT): PostgreSQL
# extracts them, so 10,000 rows cost no JSON decoding in Python. Issue 18: the page counts them
# in plain Python; pandas cost more per call (its option lookups, a Period object per score) than
# the counting itself.
PAGE_COLUMNS = ("episode_id", "status", "concerns", "data_gaps")
VERDICT_CODES = {"true": 1, "false": 0}
NO_VERDICT = -1
CATEGORY = "category__{key}"
REACHES = "reaches__{key}"


@dataclass(frozen=True)
class CohortFilters:
    """The page's filters: the responsible psychiatrist and the episode onset period."""

    psychiatrist_id: int | None = None
    onset_from: datetime.date | None = None
    onset_to: datetime.date | None = None

    def episode_q(self, prefix: str = "") -> Q:
        """Return the filters as a condition on episodes (`prefix` leads to the episode)."""
        condition = Q()
        if self.psychiatrist_id is not None:
            condition &= Q(**{f"{prefix}patient__psychiatrist_id": self.psychiatrist_id})
        if self.onset_from is not None:
            condition &= Q(**{f"{prefix}onset_date__gte": self.onset_from})
        if self.onset_to is not None:
            condition &= Q(**{f"{prefix}onset_date__lte": self.onset_to})
        return condition

    def query(self) -> dict[str, str]:
        """Return the filters as query parameters, for links that keep them."""
        values = {
            "psychiatrist": self.psychiatrist_id,
            "onset_from": self.onset_from,
            "onset_to": self.onset_to,
        }
        return {name: str(value) for name, value in values.items() if value is not None}

    def description(self) -> str:
        """Return the filters as audit text (ids and dates only, no patient data)."""
        parts = [f"{name}={value}" for name, value in self.query().items()]
        return "; ".join(parts) or "none"


def clinic_snapshots(access: ClinicAccess, filters: CohortFilters) -> QuerySet[EpisodeSnapshot]:
    """Return the snapshots of the active clinic's episodes that match the filters."""
    access.require(Permission.VIEW_COHORT)
    return EpisodeSnapshot.objects.filter(
        Q(clinic=access.clinic, episode__patient__clinic=access.clinic)
        & filters.episode_q("episode__")
    )


def stale_episodes(clinic: Clinic) -> QuerySet[Episode]:
    """Return the clinic's episodes whose snapshot is missing, marked stale or out of date.

    Out of date: computed by other engine versions or other staging parameters than the
    episode's now (its own over the clinic's defaults: the JSON objects merged, as
    records.history.episode_params does).
    """
    clinic_params = Value(params_json(default_params(clinic)), output_field=JSONField())
    params = Func(
        clinic_params,
        F("staging_parameters"),
        template="(%(expressions)s)",
        arg_joiner=" || ",
        output_field=JSONField(),
    )
    current = Q(snapshot__engine_versions=engine_versions()) & Q(snapshot__params=params)
    return Episode.objects.filter(patient__clinic=clinic).filter(
        Q(snapshot__isnull=True) | Q(snapshot__stale=True) | ~current
    )


# One list per column, each with a value per snapshot, in the query's order.
Columns = dict[str, list[Any]]
# (episode id, ISO day, response or None, remission or None): one rating-scale score.
ScoreRow = tuple[int, str, bool | None, bool | None]


def snapshot_columns(access: ClinicAccess, filters: CohortFilters) -> Columns:
    """Return the filtered cohort's snapshots column by column (one query).

    Columns: `PAGE_COLUMNS`, `category__<model>` for every model and `reaches__<model>`
    ("true", "false" or None) for the models with a TRD threshold.
    """
    snapshots = clinic_snapshots(access, filters).values(*PAGE_COLUMNS, "results")
    inner, params = snapshots.query.sql_with_params()
    quote = connection.ops.quote_name
    # Issue 18: each result read by a key of its own decompressed the stored JSON again (17
    # times a row); jsonb_to_record reads it once into one value per model.
    models = ", ".join(f"{quote(engine.key)} jsonb" for engine in ENGINES)
    extracted = {
        CATEGORY.format(key=engine.key): f"r.{quote(engine.key)}->>'category'" for engine in ENGINES
    } | {REACHES.format(key=key): f"r.{quote(key)}->>'reaches'" for key in VERDICT_KEYS}
    # The inner query is the ORM's own SQL, its parameters passed separately; the model keys
    # are the registry's. No input is formatted into the text.
    sql = (
        f"SELECT {', '.join(f's.{quote(column)}' for column in PAGE_COLUMNS)}, "  # noqa: S608  # nosec B608
        f"{', '.join(extracted.values())} FROM ({inner}) AS s "
        f"CROSS JOIN LATERAL jsonb_to_record(s.results) AS r({models})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = [*PAGE_COLUMNS, *extracted]
    values = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return {name: list(column) for name, column in zip(names, values, strict=True)}


def score_rows(access: ClinicAccess, filters: CohortFilters) -> list[ScoreRow]:
    """Return one row per rating-scale score of the filtered cohort (one query).

    PostgreSQL unnests the snapshots' score outcomes.
    """
    snapshots = clinic_snapshots(access, filters).values("episode_id", "score_outcomes")
    inner, params = snapshots.query.sql_with_params()
    # The inner query is the ORM's own SQL, its parameters passed separately: no input is
    # formatted into the text.
    sql = (
        "SELECT s.episode_id, o.value->>0, (o.value->>2)::boolean, (o.value->>3)::boolean "  # noqa: S608  # nosec B608
        f"FROM ({inner}) AS s CROSS JOIN LATERAL jsonb_array_elements(s.score_outcomes) AS o"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[ScoreRow] = cursor.fetchall()
    return rows


@dataclass(frozen=True)
class Distribution:
    key: str
    label: str
    counts: tuple[tuple[str, int], ...]


def _category_order(category: str) -> tuple[int, float, str]:
    """Order scores by value (9 before 10), then stages and verdicts by name."""
    try:
        return (0, float(category), "")
    except ValueError:
        return (1, 0.0, category)


def stage_distributions(columns: Columns) -> tuple[Distribution, ...]:
    """Return, per model, how many episodes have each stage, score band or verdict."""
    distributions = []
    for engine in ENGINES:
        counts = Counter(columns[CATEGORY.format(key=engine.key)])
        counts.pop(None, None)
        ordered = sorted(counts.items(), key=lambda item: _category_order(str(item[0])))
        distributions.append(
            Distribution(engine.key, engine.info.label, tuple((str(k), int(v)) for k, v in ordered))
        )
    return tuple(distributions)


@dataclass(frozen=True)
class Concordance:
    """Per pair of models with a TRD threshold: episodes judged by both, agreements."""

    keys: tuple[str, ...]
    labels: tuple[str, ...]
    # [row][column]: percent agreement (None without an episode judged by both).
    agreement: tuple[tuple[float | None, ...], ...]
    disagreements: tuple[tuple[int, ...], ...]
    judged: tuple[tuple[int, ...], ...]


def concordance(columns: Columns) -> Concordance:
    """Return how often each pair of models agrees that their TRD threshold is met."""
    # Episodes by their verdicts under every model: a few distinct combinations, however many
    # episodes, so each pair is counted over those.
    combinations_seen: Counter[tuple[int, ...]] = Counter()
    stored = zip(*(columns[REACHES.format(key=key)] for key in VERDICT_KEYS), strict=True)
    for values, episodes in Counter(stored).items():
        combinations_seen[tuple(VERDICT_CODES.get(value, NO_VERDICT) for value in values)] += (
            episodes
        )
    size = len(VERDICT_KEYS)
    agreement: list[list[float | None]] = [[None] * size for _ in range(size)]
    disagreements = [[0] * size for _ in range(size)]
    judged = [[0] * size for _ in range(size)]
    for i in range(size):
        for j in range(size):
            n = differ = 0
            for verdicts, episodes in combinations_seen.items():
                if verdicts[i] != NO_VERDICT and verdicts[j] != NO_VERDICT:
                    n += episodes
                    differ += episodes if verdicts[i] != verdicts[j] else 0
            judged[i][j] = n
            disagreements[i][j] = differ
            agreement[i][j] = round(100 * (n - differ) / n, 1) if n else None
    return Concordance(
        keys=VERDICT_KEYS,
        labels=tuple(LABELS[key] for key in VERDICT_KEYS),
        agreement=tuple(tuple(row) for row in agreement),
        disagreements=tuple(tuple(row) for row in disagreements),
        judged=tuple(tuple(row) for row in judged),
    )


def model_pairs() -> tuple[tuple[str, str], ...]:
    """Return every pair of models with a TRD threshold."""
    return tuple(combinations(VERDICT_KEYS, 2))


@dataclass(frozen=True)
class ItemCount:
    code: str
    text: str
    episodes: int


# The spec's provenance marks inside a question (✅ 🔶 ⚠️) are not words for a chart or table.
_PROVENANCE_MARKS = re.compile("\\s*[\u2705\U0001f536\u26a0]\ufe0f?")


def _top_items(lists: Iterable[list[str]], top: int = TOP_ITEMS) -> tuple[ItemCount, ...]:
    """Return the checklist items most often present, with how many episodes have them."""
    counts = Counter(chain.from_iterable(lists)).most_common(top)
    return tuple(
        ItemCount(
            str(code),
            _PROVENANCE_MARKS.sub("", ITEMS_BY_CODE[code].question)
            if code in ITEMS_BY_CODE
            else str(code),
            int(n),
        )
        for code, n in counts
    )


@dataclass(frozen=True)
class RatePoint:
    period: str
    response_rate: float | None
    responders_judged: int
    remission_rate: float | None
    remission_judged: int


def _quarter(day: str) -> tuple[int, int]:
    """Return the calendar quarter of an ISO day, as (year, quarter 1-4)."""
    return int(day[:4]), (int(day[5:7]) - 1) // 3 + 1


def _shares(
    latest: dict[tuple[tuple[int, int], int], bool],
) -> dict[tuple[int, int], tuple[int, int]]:
    """Return per quarter how many episodes have a latest value there, and how many are true."""
    shares: dict[tuple[int, int], tuple[int, int]] = {}
    for (quarter, _episode_id), value in latest.items():
        judged, true = shares.get(quarter, (0, 0))
        shares[quarter] = (judged + 1, true + bool(value))
    return shares


def outcome_rates(scores: list[ScoreRow]) -> tuple[RatePoint, ...]:
    """Return, per quarter, the share of episodes whose latest score then is a response/remission.

    `scores` are `score_rows`'. An episode counts in a quarter when it has a score then; its
    latest score of the quarter decides (response: records.scales' ≥ 50 % reduction from the
    scale's first score).
    """
    if not scores:
        return ()
    scores = sorted(scores, key=itemgetter(1, 0))
    quarters: dict[str, tuple[int, int]] = {}
    latest_response: dict[tuple[tuple[int, int], int], bool] = {}
    latest_remission: dict[tuple[tuple[int, int], int], bool] = {}
    for episode_id, day, response, remission in scores:
        month = day[:7]
        quarter = quarters.get(month) or quarters.setdefault(month, _quarter(day))
        if response is not None:
            latest_response[(quarter, episode_id)] = response
        if remission is not None:
            latest_remission[(quarter, episode_id)] = remission
    response_shares, remission_shares = _shares(latest_response), _shares(latest_remission)
    # Every quarter from the first score to the last, the empty ones too (issue 17).
    (first_year, first), (last_year, last) = _quarter(scores[0][1]), _quarter(scores[-1][1])
    every = [
        (year, quarter)
        for year in range(first_year, last_year + 1)
        for quarter in range(1, 5)
        if (first_year, first) <= (year, quarter) <= (last_year, last)
    ]
    return tuple(
        RatePoint(
            f"{year}Q{quarter}",
            _percent(response_shares, (year, quarter)),
            response_shares.get((year, quarter), (0, 0))[0],
            _percent(remission_shares, (year, quarter)),
            remission_shares.get((year, quarter), (0, 0))[0],
        )
        for year, quarter in every
    )


def _percent(
    shares: dict[tuple[int, int], tuple[int, int]], quarter: tuple[int, int]
) -> float | None:
    if quarter not in shares:
        return None
    judged, true = shares[quarter]
    return round(100 * (true / judged), 1)


@dataclass(frozen=True)
class CaseFigures:
    """Impasse cases of the cohort: by state, active ones by days waiting, the backlog."""

    by_state: tuple[tuple[str, int], ...]
    # (state label, ((bin label, cases), ...)) for the states in progress.
    waiting: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    # (week ending, cases open or under review then).
    backlog: tuple[tuple[datetime.date, int], ...]


def _waiting_bin(days: int) -> str:
    return next(label for limit, label in WAITING_BINS if limit is None or days <= limit)


def case_figures(access: ClinicAccess, filters: CohortFilters) -> CaseFigures:
    """Return the impasse cases of the filtered cohort by state, waiting time and backlog."""
    access.require(Permission.VIEW_COHORT)
    scoped = ImpasseCase.objects.filter(
        Q(patient__clinic=access.clinic) & filters.episode_q("episode__")
    )
    cases = list(scoped.values_list("pk", "state", "waiting_since"))
    events = list(
        ImpasseCaseEvent.objects.filter(case__in=scoped)
        .order_by("case_id", "at", "pk")
        .values_list("case_id", "to_state", "at")
    )
    labels = dict(CaseState.choices)
    counts = Counter(state for _pk, state, _since in cases)
    by_state = tuple((str(labels[state]), counts[state]) for state in CaseState.values)
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    active = [state for state in CaseState if state in ACTIVE_STATES]
    bins = {
        state.value: dict.fromkeys((label for _limit, label in WAITING_BINS), 0) for state in active
    }
    for _pk, case_state, since in cases:
        if case_state in bins:
            bins[case_state][_waiting_bin((today - since.astimezone(zone).date()).days)] += 1
    waiting = [(str(state.label), tuple(bins[state.value].items())) for state in active]
    return CaseFigures(by_state, tuple(waiting), _backlog(events, today))


def _backlog(
    events: list[tuple[int, str, datetime.datetime]], today: datetime.date
) -> tuple[tuple[datetime.date, int], ...]:
    """Return, at the end of each of the last weeks, how many cases were open or under review."""
    zone = timezone.get_current_timezone()
    begins: list[datetime.date] = []
    ends: list[datetime.date] = []
    start: dict[int, datetime.date] = {}
    for case_id, to_state, at in events:
        day = at.astimezone(zone).date()
        if to_state in BACKLOG_STATES:
            start.setdefault(case_id, day)
        elif case_id in start:
            begins.append(start.pop(case_id))
            ends.append(day)
    begins.extend(start.values())
    begins.sort()
    ends.sort()
    weeks = [today - datetime.timedelta(weeks=n) for n in range(BACKLOG_WEEKS - 1, -1, -1)]
    # A case's events are in time order, so a span never ends before it begins: the cases open
    # at a week's end are those begun by then less those ended by then.
    return tuple(
        (week, bisect.bisect_right(begins, week) - bisect.bisect_right(ends, week))
        for week in weeks
    )


@dataclass(frozen=True)
class CohortPage:
    episodes: int
    stale: int
    distributions: tuple[Distribution, ...]
    concordance: Concordance
    cases: CaseFigures
    concerns: tuple[ItemCount, ...]
    data_gaps: tuple[ItemCount, ...]
    rates: tuple[RatePoint, ...]
    statuses: tuple[tuple[str, int], ...]


def cohort_page(*, access: ClinicAccess, filters: CohortFilters) -> CohortPage:
    """Return everything the cohort page shows, from snapshots: five queries whatever the size."""
    columns = snapshot_columns(access, filters)
    stale = stale_episodes(access.clinic).filter(filters.episode_q()).count()
    statuses = Counter(columns["status"])
    return CohortPage(
        episodes=len(columns["status"]),
        stale=stale,
        distributions=stage_distributions(columns),
        concordance=concordance(columns),
        cases=case_figures(access, filters),
        concerns=_top_items(columns["concerns"]),
        data_gaps=_top_items(columns["data_gaps"]),
        rates=outcome_rates(score_rows(access, filters)),
        statuses=tuple(
            (case_status_text(CaseStatus(status)), int(statuses.get(status, 0)))
            for status in CaseStatus
            if status in statuses
        ),
    )


@dataclass(frozen=True)
class DisagreementRow:
    patient_id: int
    record_number: str
    name: str
    psychiatrist: str
    onset_date: datetime.date
    first: str
    second: str
    # The patient whose record the row shows (for the record-access log).
    patient: Patient


def disagreements(
    *, access: ClinicAccess, filters: CohortFilters, first: str, second: str
) -> list[DisagreementRow]:
    """Return the filtered cohort's episodes where two models disagree on their TRD threshold."""
    if first not in VERDICT_KEYS or second not in VERDICT_KEYS:
        raise KeyError(first if first not in VERDICT_KEYS else second)
    snapshots = clinic_snapshots(access, filters).select_related("episode__patient__psychiatrist")
    rows = []
    for snapshot in snapshots.order_by("episode__patient__record_number", "episode_id"):
        a, b = snapshot.results.get(first, {}), snapshot.results.get(second, {})
        if a.get("reaches") is None or b.get("reaches") is None:
            continue
        if a["reaches"] == b["reaches"]:
            continue
        patient = snapshot.episode.patient
        psychiatrist = patient.psychiatrist
        rows.append(
            DisagreementRow(
                patient_id=patient.pk,
                record_number=patient.record_number,
                name=f"{patient.family_name}, {patient.given_name}",
                psychiatrist=(psychiatrist.get_full_name() or psychiatrist.get_username())
                if psychiatrist is not None
                else "",
                onset_date=snapshot.episode.onset_date,
                first=a["category"],
                second=b["category"],
                patient=patient,
            )
        )
    return rows


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def cohort_table(*, access: ClinicAccess, filters: CohortFilters) -> list[dict[str, Any]]:
    """Return the cohort table: one row per episode, every model's result, flags and status.

    Two queries: the snapshots with their episodes and patients, and the latest impasse cases.
    Identifying columns are `record_number`, `family_name`, `given_name`, `date_of_birth`.
    """
    snapshots = list(
        clinic_snapshots(access, filters)
        .select_related("episode__patient__psychiatrist")
        .order_by("episode__patient__record_number", "episode__onset_date", "episode_id")
    )
    case_states: dict[int, str] = {}
    cases = ImpasseCase.objects.filter(
        episode_id__in=[snapshot.episode_id for snapshot in snapshots]
    ).order_by("episode_id", "flagged_at", "pk")
    labels = dict(CaseState.choices)
    for episode_id, state in cases.values_list("episode_id", "state"):
        case_states[episode_id] = str(labels[state])
    rows = []
    for snapshot in snapshots:
        episode = snapshot.episode
        patient = episode.patient
        psychiatrist = patient.psychiatrist
        row: dict[str, Any] = {
            "record_number": patient.record_number,
            "family_name": patient.family_name,
            "given_name": patient.given_name,
            "date_of_birth": patient.date_of_birth,
            "psychiatrist": (psychiatrist.get_full_name() or psychiatrist.get_username())
            if psychiatrist is not None
            else "",
            "episode_onset": episode.onset_date,
            "episode_end": episode.end_date,
            "assessed_on": snapshot.assessment_date,
            "case_status": snapshot.status_text,
            "impasse_criteria": "; ".join(criteria_labels(snapshot.criteria)),
            "impasse_case": case_states.get(episode.pk, ""),
            "msm_score": snapshot.msm_score,
            "concerns": " ".join(snapshot.concerns),
            "data_gaps": " ".join(snapshot.data_gaps),
            "stale": _yes_no(snapshot.stale),
        }
        for engine in ENGINES:
            result = snapshot.results.get(engine.key, {})
            row[engine.info.label] = result.get("category", "")
            if engine.key in VERDICT_KEYS:
                row[f"{engine.info.label}: TRD threshold met"] = _yes_no(result.get("reaches"))
            after = snapshot.results_after_checklist.get(engine.key, "")
            row[f"{engine.info.label}: after checklist"] = after
        rows.append(row)
    return rows


def caseload_stage_annotations(episode_ref: Any) -> dict[str, Any]:
    """Return the latest stage of the episode `episode_ref` names, from its staging snapshot."""
    snapshot = EpisodeSnapshot.objects.filter(episode_id=episode_ref)
    return {
        extensions.CASELOAD_STAGE_THASE_RUSH: Subquery(
            snapshot.values(stage=KT("results__thase_rush__stage"))[:1]
        ),
        extensions.CASELOAD_STAGE_MSM_SCORE: Subquery(snapshot.values("msm_score")[:1]),
        extensions.CASELOAD_STAGE_MSM_BAND: Subquery(
            snapshot.values(band=KT("results__msm__band"))[:1]
        ),
    }
