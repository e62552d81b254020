"""The psychiatrist's caseload: the patient list with each patient's stage, scores, alerts and case.

One query reads a page of patients with every column (the facts are annotations on the patients:
the stage from the staging snapshot, the case and the latest sign-off from the impasse work, both
through records.extensions), so the page costs the same whatever its size; one more query words
the page's signed-off reviews. Sorting and the filters run in the database, before paging.
"""

import datetime
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from records import extensions, scales
from records.access import ClinicAccess
from records.extensions import SignedReview
from records.models import Episode, Patient, PatientSeen, Role, ScaleAdministration
from records.report_models import THASE_RUSH_MEANINGS
from records.selectors import patient_search

EPISODE = "caseload_episode"
EPISODE_OPEN = "caseload_episode_open"
SCORE_ON = "latest_score_on"
SCORE_SCALE = "latest_score_scale"
SCORE_TOTAL = "latest_score_total"
OPEN_ALERTS = "open_alerts"
STAGE_RANK = "stage_rank"
SEEN_AT = "seen_at"
ALERT_ITEM = "alert_item_{scale}"

# The scales whose latest total is the follow-up score: the depression symptom scales (the
# change from baseline is judged on these, scales reference 1.3), not function or quality of life.
SYMPTOM_SCALES = tuple(
    code for code, scale in scales.SCALES.items() if scale.percent_change_outcome
)
SAFETY_SCALES = tuple(
    (code, scale.safety) for code, scale in scales.SCALES.items() if scale.safety is not None
)
THASE_RUSH_STAGES = tuple(THASE_RUSH_MEANINGS)

# What the other apps provide, with the value a column takes when no app provides it.
PROVIDED_DEFAULTS = {
    extensions.CASELOAD_STAGE_THASE_RUSH: Value(None, output_field=CharField()),
    extensions.CASELOAD_STAGE_MSM_SCORE: Value(None, output_field=IntegerField()),
    extensions.CASELOAD_STAGE_MSM_BAND: Value(None, output_field=CharField()),
    extensions.CASELOAD_CASE_STATUS: Value(None, output_field=CharField()),
    extensions.CASELOAD_CASE_RANK: Value(None, output_field=IntegerField()),
    extensions.CASELOAD_REVIEW_SIGNED_AT: Value(None, output_field=DateTimeField()),
}

NO_STAGE = "not staged yet"
THASE_RUSH_TEXT = "Thase-Rush stage {stage} of V"
MSM_TEXT = "MSM {score} of 15"
SCORE_TEXT = "{scale} {total} of {maximum}"
NO_SCORE = "no score in this episode"
NO_EPISODE = "no episode recorded"
OVERDUE = "rated {days} days ago; due every {interval}"
ALERT_TEXT = "{scale} item {item} ({topic}) {score} of {maximum}"
URGENT_ALERT_TEXT = "Urgent: {text}"
NO_CASE = "no impasse case"
REVIEW_TEXT = "{reviewer} signed off the review on {day}: {next_steps}"


class Sort(StrEnum):
    """The caseload's sort keys: the only orders `?sort=` may ask for."""

    NAME = "name"
    STAGE = "stage"
    SCORE = "score"
    ALERTS = "alerts"
    CASE = "case"
    REVIEW = "review"


# Each key's columns, and the first direction a click gives it (the most pressing first: the
# highest stage, the oldest score, the most alerts, the case waiting, the newest sign-off).
SORT_FIELDS: Mapping[Sort, tuple[str, ...]] = {
    Sort.NAME: ("family_name", "given_name", "record_number"),
    Sort.STAGE: (STAGE_RANK, extensions.CASELOAD_STAGE_MSM_SCORE),
    Sort.SCORE: (SCORE_ON,),
    Sort.ALERTS: (OPEN_ALERTS,),
    Sort.CASE: (extensions.CASELOAD_CASE_RANK,),
    Sort.REVIEW: (extensions.CASELOAD_REVIEW_SIGNED_AT,),
}
DESCENDING_FIRST = frozenset({Sort.STAGE, Sort.ALERTS, Sort.REVIEW})


@dataclass(frozen=True)
class SortOrder:
    """A sort key and its direction, read from `?sort=` ("stage", "-stage")."""

    key: Sort = Sort.NAME
    descending: bool = False

    @classmethod
    def parse(cls, value: str) -> "SortOrder":
        """Return the order `value` asks for; the default for anything not whitelisted."""
        descending = value.startswith("-")
        key = value.removeprefix("-")
        if key not in {sort.value for sort in Sort}:
            return cls()
        return cls(Sort(key), descending)

    @property
    def value(self) -> str:
        return f"{'-' if self.descending else ''}{self.key}"

    def toggled(self, key: Sort) -> "SortOrder":
        """Return the order a click on `key`'s heading asks for."""
        if key == self.key:
            return SortOrder(key, not self.descending)
        return SortOrder(key, key in DESCENDING_FIRST)

    def expressions(self) -> list[OrderBy]:
        """Return the ORDER BY, nulls last either way, ties by name then id."""
        fields = [*SORT_FIELDS[self.key], *SORT_FIELDS[Sort.NAME], "pk"]
        return [
            F(name).desc(nulls_last=True)
            if self.descending and index < len(SORT_FIELDS[self.key])
            else F(name).asc(nulls_last=True)
            for index, name in enumerate(fields)
        ]


@dataclass(frozen=True)
class CaseloadFilters:
    """The caseload's filters; None or False leaves a filter off."""

    query: str = ""
    psychiatrist_id: int | None = None
    alert_open: bool = False
    # Patients whose review was signed off after this time (the user's previous visit).
    signed_off_since: datetime.datetime | None = None
    signed_off_filter: bool = False
    flagged: bool = False


@dataclass(frozen=True)
class AlertLine:
    text: str
    urgent: bool


@dataclass(frozen=True)
class CaseloadRow:
    """One patient of the caseload with every column in words."""

    patient: Patient
    thase_rush: str
    thase_rush_meaning: str
    msm: str
    msm_band: str
    score: str
    score_band: str
    score_on: datetime.date | None
    overdue: str
    alerts: tuple[AlertLine, ...]
    case_status: str
    review: SignedReview | None
    # The patient's psychiatrist has not seen this sign-off yet (they are the user).
    review_is_new: bool

    @property
    def review_text(self) -> str:
        return "" if self.review is None else review_words(self.review)


def review_words(review: SignedReview) -> str:
    """Return "Dr X signed off the review on 3 Dec 2026: <next steps>"."""
    day = timezone.localtime(review.signed_off_at).strftime("%-d %b %Y")
    return REVIEW_TEXT.format(reviewer=review.reviewer, day=day, next_steps=review.next_steps)


def _json_number(field: str, key: str) -> Cast:
    # jsonb_extract_path_text reads "10" as a key: Django's own key lookup would read an index.
    text = Func(F(field), Value(key), function="jsonb_extract_path_text", output_field=TextField())
    return Cast(text, FloatField())


def _annotations(user_id: int) -> dict[str, Any]:
    """Return every column as an expression on patients, in order (one may name those before)."""
    episode = OuterRef(EPISODE)
    shown = Episode.objects.filter(patient=OuterRef("pk")).order_by(
        Case(When(end_date__isnull=True, then=0), default=1), "-onset_date", "-pk"
    )
    latest = ScaleAdministration.objects.filter(
        episode_id=episode, total__isnull=False, scale__in=SYMPTOM_SCALES
    ).order_by("-administered_on", "-pk")
    annotations: dict[str, Any] = {
        EPISODE: Subquery(shown.values("pk")[:1]),
        EPISODE_OPEN: Exists(Episode.objects.filter(patient=OuterRef("pk"), end_date__isnull=True)),
        SCORE_ON: Subquery(latest.values("administered_on")[:1], output_field=DateField()),
        SCORE_SCALE: Subquery(latest.values("scale")[:1]),
        SCORE_TOTAL: Subquery(latest.values("total")[:1]),
        SEEN_AT: Subquery(
            PatientSeen.objects.filter(user_id=user_id, patient=OuterRef("pk")).values("seen_at")[
                :1
            ]
        ),
    }
    # An alert stays open until a later score of the same scale no longer raises it (the
    # impasse queue's rule, records.selectors.open_safety_alerts): the latest suicide item of
    # each scale in the episode shown.
    alert_counts = []
    for code, rule in SAFETY_SCALES:
        name = ALERT_ITEM.format(scale=code.lower())
        item = (
            ScaleAdministration.objects.filter(episode_id=episode, scale=code)
            .order_by("-administered_on", "-pk")
            .annotate(value=_json_number("items", rule.item))
            .values("value")[:1]
        )
        annotations[name] = Subquery(item, output_field=FloatField())
        alert_counts.append(Case(When(**{f"{name}__gte": rule.alert_at}, then=1), default=0))
    annotations[OPEN_ALERTS] = sum(alert_counts[1:], alert_counts[0])
    # A provider's annotations in its own order (one may name an earlier one), then the
    # defaults of those no app provides.
    annotations.update(extensions.caseload_stage_annotations(episode))
    annotations.update(extensions.caseload_case_annotations())
    for name, default in PROVIDED_DEFAULTS.items():
        annotations.setdefault(name, default)
    annotations[STAGE_RANK] = Case(
        *(
            When(**{extensions.CASELOAD_STAGE_THASE_RUSH: stage}, then=rank)
            for rank, stage in enumerate(THASE_RUSH_STAGES)
        ),
        default=None,
        output_field=IntegerField(),
    )
    return annotations


@dataclass(frozen=True)
class _CompiledColumn:
    name: str
    sql: str
    params: tuple[Any, ...]
    output_field: "Field[Any, Any]"


# No user has a negative id: where it lands among a column's parameters, the user's id goes.
_USER_MARKER = -7_340_031_421


@functools.cache
def _compiled_columns() -> tuple[_CompiledColumn, ...]:
    """Return each column's SQL as Django compiles it on the patients table, once a process.

    The ~20 correlated subqueries cost the caseload more CPU to build and compile than the
    database takes to answer them, at every visit (issue 18); they differ between users only by
    the id whose visits SEEN_AT reads, and a column naming an earlier one holds its SQL already.
    """
    annotations = _annotations(_USER_MARKER)
    patients = Patient.objects.all()
    for name, expression in annotations.items():
        patients = patients.annotate(**{name: expression})
    compiler = patients.query.get_compiler(using=patients.db)
    compiler.setup_query()
    return tuple(
        _CompiledColumn(alias, sql, tuple(params), expression.output_field)
        for expression, (sql, params), alias in compiler.select
        if alias in annotations
    )


def _columns(user_id: int) -> dict[str, RawSQL]:
    """Return the compiled columns with the user's id bound (the SQL Django compiled; every
    value stays a parameter)."""
    return {
        column.name: RawSQL(  # noqa: S611  # nosec B611
            column.sql,
            [user_id if param == _USER_MARKER else param for param in column.params],
            output_field=column.output_field,
        )
        for column in _compiled_columns()
    }


def caseload_patients(
    *, access: ClinicAccess, filters: CaseloadFilters, order: SortOrder
) -> QuerySet[Patient]:
    """Return the active clinic's patients in a caseload's order, filtered, with every column."""
    patients = patient_search(
        access=access,
        query=filters.query,
        psychiatrist_id=filters.psychiatrist_id,
        where=extensions.patients_with_active_impasse_case() if filters.flagged else None,
    )
    patients = patients.annotate(**_columns(access.user.pk))
    if filters.alert_open:
        patients = patients.filter(**{f"{OPEN_ALERTS}__gt": 0})
    if filters.signed_off_filter:
        signed = extensions.CASELOAD_REVIEW_SIGNED_AT
        patients = patients.filter(**{f"{signed}__isnull": False})
        if filters.signed_off_since is not None:
            patients = patients.filter(**{f"{signed}__gt": filters.signed_off_since})
    return patients.order_by(*order.expressions())


def _number(value: float) -> str:
    return f"{value:g}"


def _alerts(patient: Patient) -> tuple[AlertLine, ...]:
    lines = []
    for code, rule in SAFETY_SCALES:
        value = getattr(patient, ALERT_ITEM.format(scale=code.lower()))
        alert = None if value is None else scales.safety_alert(code, {rule.item: value})
        if alert is None:
            continue
        scale = scales.SCALES[code]
        item = scale.item(rule.item)
        text = ALERT_TEXT.format(
            scale=scale.name,
            item=rule.item,
            topic=item.label if item else "",
            score=_number(alert.score),
            maximum=_number(item.maximum) if item else "",
        )
        urgent = alert.level == scales.AlertLevel.URGENT
        lines.append(AlertLine(URGENT_ALERT_TEXT.format(text=text) if urgent else text, urgent))
    return tuple(lines)


def _score(patient: Patient, today: datetime.date, interval: int) -> tuple[str, str, str]:
    total = getattr(patient, SCORE_TOTAL)
    on = getattr(patient, SCORE_ON)
    if getattr(patient, EPISODE) is None:
        return NO_EPISODE, "", ""
    if total is None or on is None:
        return NO_SCORE, "", ""
    code = scales.ScaleCode(getattr(patient, SCORE_SCALE))
    scale = scales.SCALES[code]
    maximum = _number(scale.total_range[1]) if scale.total_range else ""
    text = SCORE_TEXT.format(scale=scale.name, total=_number(float(total)), maximum=maximum)
    band = scales.band(code, float(total)) or ""
    age = (today - on).days
    overdue = ""
    if getattr(patient, EPISODE_OPEN) and age > interval:
        overdue = OVERDUE.format(days=age, interval=_interval_words(interval))
    return text, band, overdue


def _interval_words(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def caseload_rows(*, access: ClinicAccess, patients: Sequence[Patient]) -> list[CaseloadRow]:
    """Return a page of `caseload_patients` in words (one query for the page's sign-offs)."""
    today = timezone.localdate()
    interval = access.clinic.score_interval_days
    signed_at = extensions.CASELOAD_REVIEW_SIGNED_AT
    reviews = extensions.signed_reviews([p.pk for p in patients if getattr(p, signed_at)])
    rows = []
    for patient in patients:
        stage = getattr(patient, extensions.CASELOAD_STAGE_THASE_RUSH)
        msm_score = getattr(patient, extensions.CASELOAD_STAGE_MSM_SCORE)
        score, band, overdue = _score(patient, today, interval)
        review = reviews.get(patient.pk)
        seen_at = getattr(patient, SEEN_AT)
        rows.append(
            CaseloadRow(
                patient=patient,
                thase_rush=NO_STAGE if stage is None else THASE_RUSH_TEXT.format(stage=stage),
                thase_rush_meaning=THASE_RUSH_MEANINGS.get(stage or "", ""),
                msm="" if msm_score is None else MSM_TEXT.format(score=msm_score),
                msm_band=getattr(patient, extensions.CASELOAD_STAGE_MSM_BAND) or "",
                score=score,
                score_band=band,
                score_on=getattr(patient, SCORE_ON),
                overdue=overdue,
                alerts=_alerts(patient),
                case_status=getattr(patient, extensions.CASELOAD_CASE_STATUS) or NO_CASE,
                review=review,
                review_is_new=review_is_new(
                    access=access, patient=patient, review=review, seen_at=seen_at
                ),
            )
        )
    return rows


def review_is_new(
    *,
    access: ClinicAccess,
    patient: Patient,
    review: SignedReview | None,
    seen_at: datetime.datetime | None,
) -> bool:
    """Say whether the user should be told of the sign-off: their patient, not seen since."""
    return (
        review is not None
        and patient.psychiatrist_id == access.user.pk
        and review.reviewer_id != access.user.pk
        and (seen_at is None or review.signed_off_at > seen_at)
    )


def signed_off_notice(
    *, access: ClinicAccess, patient: Patient, review: SignedReview | None
) -> tuple[SignedReview | None, bool]:
    """Return the patient's sign-off the user (their psychiatrist) has not seen yet, if any,
    and whether the patient has a signed-off review at all, given the patient's latest
    signed-off review (the patient page reads it with its impasse panel); one query with one."""
    if patient.psychiatrist_id != access.user.pk:
        return None, False
    if review is None:
        return None, False
    seen = PatientSeen.objects.filter(user=access.user, patient=patient).first()
    new = review_is_new(
        access=access, patient=patient, review=review, seen_at=seen.seen_at if seen else None
    )
    return (review if new else None), True


def caseload_notices(*, access: ClinicAccess, limit: int) -> list[CaseloadRow]:
    """Return the user's patients with a sign-off they have not seen, newest first (two queries)."""
    if Role.PSYCHIATRIST not in access.roles:
        return []
    signed = extensions.CASELOAD_REVIEW_SIGNED_AT
    patients = (
        caseload_patients(
            access=access,
            filters=CaseloadFilters(psychiatrist_id=access.user.pk),
            order=SortOrder(Sort.REVIEW, descending=True),
        )
        .filter(**{f"{signed}__isnull": False})
        .filter(Q(**{f"{SEEN_AT}__isnull": True}) | Q(**{f"{signed}__gt": F(SEEN_AT)}))
    )
    rows = caseload_rows(access=access, patients=list(patients[:limit]))
    return [row for row in rows if row.review_is_new]
