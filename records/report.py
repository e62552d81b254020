"""The second-opinion report a consultant reads: a two-page summary, an optional appendix.

`patient_report` assembles everything once (records, staging, the impasse work, the
psychiatrist's own words); the same data is drawn as the HTML page and printed as the PDF.
The summary follows issue 15's order: identifiers and referral, safety, diagnosis and caveats,
severity on one scale, the trials, staging in one line per model, pseudo-resistance, what has
not yet been adequately tried, impression and plan, signatures.
"""

import base64
import datetime
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from records import scales
from records.extensions import impasse_panel_for

from .access import ClinicAccess
from .audit import audit_event_write
from .charts_export import ChartExporter, default_exporter
from .history import course_line
from .models import AuditAction, Clinic, Diagnosis, Episode, Patient, ReportPreparation
from .models.staging_defaults import parameter_label
from .report_charts import ReportFigure, appendix_figures, figures_drawn
from .report_models import ModelLine, model_line, pattern_sentence
from .report_render import pdf_filename, render_pdf
from .selectors import (
    PatientDetail,
    ScaleRow,
    TrialRow,
    last_safety_item_rating,
    open_safety_alerts,
    patient_detail,
)
from .services.common import ObjectType
from .staging import (
    OwnParameterRow,
    ParameterRow,
    own_parameter_rows,
    stage_over_time,
    staging_results,
)
from .wording import dose_text, percent_text

logger = logging.getLogger(__name__)

REPORT_TITLE = "Second-opinion summary: treatments tried so far"
NO_EPISODE = "No episode is recorded yet: the report has no trials or staging to show."
NO_SCORES = "No rating-scale scores are recorded in this episode."
NO_TRIALS = "No treatment trials are recorded yet."
NOT_RECORDED = "not recorded"
DRAFT = "Draft: reason for referral, referrer, impression and plan are not all filled yet."
EPISODE_ONGOING = "{months} months (since {onset}, ongoing)"
EPISODE_ENDED = "{months} months ({onset} to {end})"
# Issue 15: a score or a suicide-item rating older than 90 days no longer says how things are.
STALE_DAYS = 90
STALE_SCORE = "The latest {scale} score is {days} days old: current severity is not known."
NO_RECENT_SAFETY = "No suicide item was rated in the last {days} days (last rated {day})."
NEVER_SAFETY = "No suicide item is recorded in this episode."
SAFETY_LINE = "{scale}, item {item}: {score:g} on {day}"
BIPOLAR = (
    "Bipolar disorder: the staging models are defined for unipolar depression and are not applied."
)
PSYCHOTIC = (
    "Psychotic features: guidelines treat an antidepressant with an antipsychotic, or ECT, as the "
    "adequate treatment of psychotic depression, while the published staging models count "
    "antidepressant monotherapy trials."
)
MIXED = "Mixed features: criteria met (checklist{evidence})."
SWITCH = "{trials}: ended by a switch to {pole}."
SWITCH_CAVEAT = "After a switch to {pole}: no antidepressant monotherapy without a mood stabiliser."
PSYCHOTIC_CAVEAT = "With psychotic features: an antidepressant with an antipsychotic, or ECT."
BIPOLAR_CAVEAT = "Bipolar disorder: these options are listed for unipolar depression."
MODELS_AGREE = "The models agree on this history."
MORE_DISAGREEMENTS = " ({count} more in the appendix.)"
MORE_CONCERNS = "{count} further concerns or gaps are listed in the appendix."
MORE_GROUPS = "{count} further groups are listed in the appendix."
IMPASSE_UNAVAILABLE = (
    "The pseudo-resistance checklist could not be loaded for this episode, so its status, "
    "concerns and data gaps are not shown."
)
# A checklist answer's words (the checklist's answer codes are these words).
ANSWER_WORDS = {"yes": "yes", "no": "no", "unknown": "unknown"}
# The episode's assessment and its checklist rows come from pseudoresistance through
# records.extensions: records never imports that app (docs/adr/0007), so they are typed loosely.
EpisodeAssessment = Any
ItemRow = Any
FROM_RECORDS = "from the records: {reason}"
GENERATED_BY = "{name} ({username})"
LEVEL = "ATHF {level}"
ONGOING = "ongoing"
NOT_ANSWERED = "not answered"
NO_LATER_SCORE = "no later score"
NOT_COUNTED = "not counted (not adequate or not failed)"
OVERRIDDEN = ", clinician override"
# The summary's limits (issue 15): at most 8 concerns and 8 not-yet-tried lines on page 1-2.
SUMMARY_CONCERNS = 8
SUMMARY_GROUPS = 8
DAYS_PER_MONTH = 30.4375
TRIAL_CODE = re.compile(r"T\d+")
TRIAL_LINE = re.compile(r"^(T\d+) [^:]*: (.*)$")
SPEC_REFERENCE = re.compile(
    r"\s*\((?:section |sections )?\d+(?:\.\d+)*(?:[-–]\d+(?:\.\d+)*)?(?: \[[A-Z]\])?\)"
    r"|\s*\[[A-Z]\]"
)
PARAMETER_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


@dataclass(frozen=True)
class SafetyAlertLine:
    text: str
    urgent: bool
    message: str


@dataclass(frozen=True)
class Safety:
    """Open suicide-item alerts, and a note when the item was not rated lately."""

    alerts: tuple[SafetyAlertLine, ...]
    note: str


@dataclass(frozen=True)
class DiagnosisSummary:
    label: str
    onset: str
    length: str
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class SeverityLine:
    """Baseline and latest of one scale and version, and the change between them."""

    scale: str
    baseline: str
    latest: str
    change: str
    repeated: bool = True


@dataclass(frozen=True)
class SeveritySummary:
    primary: SeverityLine | None
    others: tuple[SeverityLine, ...]
    stale_note: str


@dataclass(frozen=True)
class ReportTrial:
    """One trial as the summary's table shows it, on one line."""

    code: str
    kind: str
    agent: str
    kind_label: str
    drug_class: str
    amount: str
    weeks: str
    adequate: bool
    failed: bool
    adequacy: str
    reason: str
    outcome: str
    ongoing: bool
    previous_episode: bool


@dataclass(frozen=True)
class Concern:
    """A pseudo-resistance concern or data gap, with the clinician's evidence."""

    where: str
    text: str
    evidence: str
    red: bool
    kind: str


@dataclass(frozen=True)
class ChecklistLine:
    where: str
    question: str
    answer: str
    evidence: str


@dataclass(frozen=True)
class OptionGroupSummary:
    label: str
    options: tuple[tuple[str, str], ...]

    @property
    def names(self) -> str:
        """Return the group's options on one line."""
        return "; ".join(option for option, _ in self.options)


@dataclass(frozen=True)
class ReviewSummary:
    reviewer: str
    signed_off_at: datetime.datetime
    findings: str
    factors: tuple[str, ...]
    factors_note: str
    next_steps: str
    follow_up_date: datetime.date | None
    # How an open suicide-item alert was addressed at sign-off, in words ("" when none was open).
    safety_acknowledgement: str = ""


@dataclass(frozen=True)
class ImpasseSummary:
    """Pseudo-resistance: status, what matters (summary) and everything (appendix)."""

    available: bool
    status: str = ""
    process_banner: str = ""
    concerns: tuple[Concern, ...] = ()
    more_concerns: str = ""
    all_concerns: tuple[Concern, ...] = ()
    checklist: tuple[ChecklistLine, ...] = ()
    unanswered: tuple[str, ...] = ()
    not_yet_tried_heading: str = ""
    not_yet_tried_note: str = ""
    not_yet_tried: tuple[OptionGroupSummary, ...] = ()
    more_groups: str = ""
    all_not_yet_tried: tuple[OptionGroupSummary, ...] = ()
    caveats: tuple[str, ...] = ()
    review: ReviewSummary | None = None


@dataclass(frozen=True)
class StagingSummary:
    lines: tuple[ModelLine, ...]
    disagreement: str
    pattern: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ModelExplanation:
    label: str
    version: str
    headline: str
    trials: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Appendix:
    explanations: tuple[ModelExplanation, ...]
    not_adequate: tuple[tuple[str, str], ...]
    disagreements: tuple[str, ...]
    parameters: tuple[ParameterRow, ...]
    engines: tuple[tuple[str, str], ...]
    figures: tuple[ReportFigure, ...]


@dataclass(frozen=True)
class Report:
    """Everything the report shows, for both renderings."""

    clinic: Clinic
    patient: Patient
    episode: Episode | None
    assessment_date: datetime.date
    generated_at: datetime.datetime
    generated_by: str
    time_zone: str
    paper_size: str
    logo_data_uri: str
    preparation: ReportPreparation | None
    safety: Safety
    diagnosis: DiagnosisSummary | None
    severity: SeveritySummary | None
    trials: tuple[ReportTrial, ...]
    staging: StagingSummary | None
    impasse: ImpasseSummary
    appendix: Appendix | None
    title: str = REPORT_TITLE
    # Where the episode is staged otherwise than the clinic's defaults (issue 14).
    own_parameters: tuple[OwnParameterRow, ...] = ()

    @property
    def draft(self) -> bool:
        """Return whether the psychiatrist's own words are still missing."""
        return self.preparation is None or not self.preparation.complete

    @property
    def messages(self) -> dict[str, str]:
        """Return the report's fixed sentences, for the template."""
        return {
            "draft": DRAFT,
            "no_episode": NO_EPISODE,
            "no_scores": NO_SCORES,
            "no_trials": NO_TRIALS,
            "impasse_unavailable": IMPASSE_UNAVAILABLE,
        }

    def figure_data(self) -> dict[str, dict[str, Any]]:
        """Return the appendix figures keyed by chart, for the HTML page's data island."""
        if self.appendix is None:
            return {}
        return {figure.key: figure.figure for figure in self.appendix.figures}


def _plain(value: Decimal | float) -> str:
    return f"{Decimal(value).normalize():f}"


def _day(value: datetime.date) -> str:
    return value.strftime("%-d %b %Y")


def _clinic_words(line: str) -> str:
    """Return an engine's line without spec references or parameter names."""
    line = SPEC_REFERENCE.sub("", line)
    return PARAMETER_NAME.sub(lambda match: _parameter(match.group(0)), line)


def _parameter(name: str) -> str:
    try:
        return f"the \u201c{parameter_label(name).lower()}\u201d setting"
    except StopIteration:
        return name.replace("_", " ")


# Safety -----------------------------------------------------------------------------------


def _safety(detail: PatientDetail) -> Safety:
    alerts = tuple(
        SafetyAlertLine(
            text=SAFETY_LINE.format(
                scale=row.administration.get_scale_display(),
                item=row.safety_alert.item,
                score=row.safety_alert.score,
                day=_day(row.administration.administered_on),
            ),
            urgent=row.safety_alert.level == scales.AlertLevel.URGENT,
            message=row.safety_alert.message,
        )
        for row in open_safety_alerts(detail.scales)
        if row.safety_alert is not None
    )
    last = last_safety_item_rating(detail.scales)
    if last is None:
        note = NEVER_SAFETY
    elif (detail.assessment_date - last).days > STALE_DAYS:
        note = NO_RECENT_SAFETY.format(days=STALE_DAYS, day=_day(last))
    else:
        note = ""
    return Safety(alerts, note)


# Diagnosis --------------------------------------------------------------------------------


def _length(detail: PatientDetail, episode: Episode) -> str:
    days = (detail.assessment_date - episode.onset_date).days
    months = max(0, round(days / DAYS_PER_MONTH))
    if episode.end_date is None:
        return EPISODE_ONGOING.format(months=months, onset=_day(episode.onset_date))
    return EPISODE_ENDED.format(
        months=months, onset=_day(episode.onset_date), end=_day(episode.end_date)
    )


def _switches(detail: PatientDetail) -> dict[str, list[str]]:
    """Return the trials ended by a switch, by pole ("hypomania", "mania")."""
    poles: dict[str, list[str]] = {}
    for row in detail.trials:
        outcome = row.trial.outcome
        if outcome.startswith("switch_to_"):
            poles.setdefault(outcome.removeprefix("switch_to_"), []).append(row.trial.code)
    return poles


def _diagnosis(
    detail: PatientDetail,
    episode: Episode,
    shared_warnings: Iterable[str],
    mixed: tuple[bool, str],
) -> DiagnosisSummary:
    patient = detail.patient
    caveats: list[str] = []
    if patient.diagnosis == Diagnosis.BIPOLAR:
        caveats.append(BIPOLAR)
    caveats.extend(_clinic_words(warning) for warning in shared_warnings)
    for pole, codes in _switches(detail).items():
        caveats.append(SWITCH.format(trials=", ".join(codes), pole=pole))
    if episode.psychotic_features:
        caveats.append(PSYCHOTIC)
    present, evidence = mixed
    if present:
        caveats.append(MIXED.format(evidence=f": {evidence}" if evidence else ""))
    return DiagnosisSummary(
        label=patient.get_diagnosis_display(),
        onset=_day(episode.onset_date),
        length=_length(detail, episode),
        caveats=tuple(caveats),
    )


# Severity ---------------------------------------------------------------------------------


def _scale_name(row: ScaleRow) -> str:
    administration = row.administration
    name = administration.get_scale_display()
    version = administration.scale_version
    return f"{name} ({version})" if version else name


def _score(row: ScaleRow) -> str:
    administration = row.administration
    total = administration.total_value or 0.0
    band = f", {row.band}" if row.band else ""
    return f"{total:g}{band} on {_day(administration.administered_on)}"


def _change(row: ScaleRow) -> str:
    change = row.change
    if change is None:
        return ""
    if change.percent_change is None:
        return change.label
    if change.percent_change < 0:
        return f"{percent_text(-change.percent_change)} % higher: {change.label}"
    return f"{percent_text(change.percent_change)} % lower: {change.label}"


def _severity_line(rows: Sequence[ScaleRow]) -> SeverityLine:
    first, last = rows[0], rows[-1]
    repeated = len(rows) > 1
    latest = _score(last) if repeated else NO_LATER_SCORE
    return SeverityLine(_scale_name(first), _score(first), latest, _change(last), repeated)


def _severity(detail: PatientDetail, episode: Episode) -> SeveritySummary | None:
    """Return baseline and latest on the same scale and version, and each other scale's."""
    groups: dict[tuple[str, str], list[ScaleRow]] = {}
    for row in detail.scales:
        if row.administration.total_value is not None:
            key = (row.administration.scale, row.administration.scale_version)
            groups.setdefault(key, []).append(row)
    if not groups:
        return None

    def rank(key: tuple[str, str]) -> tuple[bool, bool, bool]:
        # A scale rated more than once first (it shows a change), then the episode's baseline
        # scale, then symptom scales (a quality-of-life percentage is never set against them).
        return (
            len(groups[key]) < 2,
            key[0] != episode.baseline_scale,
            not scales.SCALES[scales.ScaleCode(key[0])].percent_change_outcome,
        )

    primary_key = min(groups, key=rank)
    primary_rows = groups.pop(primary_key)
    latest = primary_rows[-1].administration.administered_on
    age = (detail.assessment_date - latest).days
    scale = _scale_name(primary_rows[-1])
    stale = STALE_SCORE.format(scale=scale, days=age) if age > STALE_DAYS else ""
    return SeveritySummary(
        primary=_severity_line(primary_rows),
        others=tuple(_severity_line(rows) for rows in groups.values()),
        stale_note=stale,
    )


# Trials -----------------------------------------------------------------------------------


def _amount(row: TrialRow) -> str:
    trial = row.trial
    parts = []
    course = course_line(trial, row.staged)
    if course is not None:
        parts.append(course)
    if trial.dose_mg_per_day is not None:
        parts.append(dose_text(trial.dose_mg_per_day))
    if trial.serum_level_mmol_per_l is not None:
        parts.append(f"{_plain(trial.serum_level_mmol_per_l)} mmol/L")
    if trial.dose_mg_per_session is not None:
        parts.append(dose_text(trial.dose_mg_per_session, per="session"))
    if trial.sessions is not None:
        parts.append(f"{trial.sessions} sessions")
    return ", ".join(parts) or NOT_RECORDED


def _ongoing(row: TrialRow) -> bool:
    trial = row.trial
    return (
        row.current
        and trial.end_date is None
        and not trial.reason_stopped
        and not trial.outcome
        and trial.percent_reduction is None
    )


def _outcome(row: TrialRow) -> str:
    trial = row.trial
    if trial.outcome:
        return trial.get_outcome_display().lower()
    if _ongoing(row):
        return ONGOING
    outcome = row.assessment.outcome.value.replace("_", " ")
    percent = trial.percent_reduction
    return outcome if percent is None else f"{outcome} ({percent_text(percent)} %)"


def _report_trial(row: TrialRow) -> ReportTrial:
    trial = row.trial
    adequacy = "adequate" if row.adequate else "not adequate"
    adequacy = f"{adequacy}, {LEVEL.format(level=row.assessment.level)}"
    reason = row.assessment.summary
    if row.overridden:
        adequacy += OVERRIDDEN
        reason = trial.override_reason or reason
    return ReportTrial(
        code=trial.code,
        kind=trial.kind,
        agent=trial.agent_label,
        kind_label=trial.get_kind_display(),
        drug_class=trial.class_label or "",
        amount=_amount(row),
        # The weeks staging judged: stated, from the dates, or the steps' pair.
        weeks=_plain(Decimal(repr(row.staged.weeks))) if row.staged.weeks is not None else "–",
        adequate=row.adequate,
        failed=row.assessment.failed,
        adequacy=adequacy,
        reason=_clinic_words(reason),
        outcome=_outcome(row),
        ongoing=_ongoing(row),
        previous_episode=not row.current,
    )


# Pseudo-resistance ------------------------------------------------------------------------


def _evidence(row: ItemRow) -> str:
    if row.stored is not None and row.stored.evidence:
        return str(row.stored.evidence)
    if row.derived is not None and row.stored is None:
        return FROM_RECORDS.format(reason=_clinic_words(row.derived.reason))
    return ""


def _item_rows(assessment: EpisodeAssessment) -> dict[tuple[str, str | None], ItemRow]:
    rows: dict[tuple[str, str | None], ItemRow] = {}
    for section in assessment.trial_sections:
        for row in section.rows:
            rows[(row.code, section.trial.code)] = row
    for domain in assessment.domain_sections:
        for row in domain.rows:
            rows[(row.code, None)] = row
    return rows


def _mixed(rows: dict[tuple[str, str | None], ItemRow]) -> tuple[bool, str]:
    # Checklist B2: DSM-5 "with mixed features" criteria met.
    row = rows.get(("B2", None))
    if row is None or row.effective.answer is None:
        return False, ""
    return row.item.raises_concern(row.effective.answer), _evidence(row)


def _answer(row: ItemRow) -> str:
    answer = row.effective.answer
    if answer is None:
        return NOT_ANSWERED
    word = ANSWER_WORDS[answer]
    return f"{word} (from the records)" if row.effective.derived else word


def _grouped(lines: Iterable[Any], key: Any) -> list[Any]:
    """Merge lines that differ only in where they apply: "T1, T6, T11" on one line."""
    merged: dict[Any, list[Any]] = {}
    for line in lines:
        merged.setdefault(key(line), []).append(line)
    return [
        replace(group[0], where=_runs(list(dict.fromkeys(line.where for line in group))))
        for group in merged.values()
    ]


def _checklist(
    rows: dict[tuple[str, str | None], ItemRow], gaps: set[tuple[str, str | None]]
) -> tuple[ChecklistLine, ...]:
    """Return every episode item, and the trial items answered by hand, of concern or a gap."""
    lines = []
    for (code, trial), row in rows.items():
        answer = row.effective.answer
        concern = answer is not None and row.item.raises_concern(answer)
        if trial is not None and row.stored is None and not concern and (code, trial) not in gaps:
            continue
        lines.append(
            ChecklistLine(trial or "Episode", row.item.question, _answer(row), _evidence(row))
        )
    return tuple(_grouped(lines, lambda line: (line.question, line.answer, line.evidence)))


def _unanswered(checklist: Sequence[ChecklistLine]) -> tuple[str, ...]:
    """Return the questions nobody answered yet, each with where it applies."""
    return tuple(
        line.question if line.where == "Episode" else f"{line.where}: {line.question}"
        for line in checklist
        if line.answer == NOT_ANSWERED
    )


def _impasse(
    assessment: EpisodeAssessment | None,
    rows: dict[tuple[str, str | None], ItemRow],
    detail: PatientDetail,
    episode: Episode,
    review: ReviewSummary | None,
) -> ImpasseSummary:
    if assessment is None:
        return ImpasseSummary(available=False)
    status = assessment.status

    def concern(finding: Any, kind: str) -> Concern:
        row = rows.get((finding.item.code, finding.trial))
        return Concern(
            where=finding.trial or "Episode",
            text=finding.item.question,
            evidence=_evidence(row) if row is not None else "",
            red=finding.red,
            kind=kind,
        )

    found = tuple(
        _grouped(
            (
                *(concern(f, "concern") for f in status.red_concerns),
                *(concern(f, "data gap") for f in status.data_gaps),
                *(concern(f, "contributor") for f in status.contributors),
            ),
            lambda line: (line.kind, line.red, line.text, line.evidence),
        )
    )
    gaps = {(finding.item.code, finding.trial) for finding in status.data_gaps}
    checklist = _checklist(rows, gaps)
    groups = tuple(
        OptionGroupSummary(group.group.label, tuple((r.option, r.examples) for r in group.rows))
        for group in assessment.not_yet_tried
    )
    extra_concerns = len(found) - SUMMARY_CONCERNS
    extra_groups = len(groups) - SUMMARY_GROUPS
    return ImpasseSummary(
        available=True,
        status=status.text,
        process_banner=status.process_banner or "",
        concerns=found[:SUMMARY_CONCERNS],
        more_concerns=MORE_CONCERNS.format(count=extra_concerns) if extra_concerns > 0 else "",
        all_concerns=found,
        checklist=tuple(line for line in checklist if line.answer != NOT_ANSWERED),
        unanswered=_unanswered(checklist),
        not_yet_tried_heading=assessment.list_heading,
        not_yet_tried_note=assessment.list_note,
        not_yet_tried=groups[:SUMMARY_GROUPS],
        more_groups=MORE_GROUPS.format(count=extra_groups) if extra_groups > 0 else "",
        all_not_yet_tried=groups,
        caveats=_option_caveats(detail, episode),
        review=review,
    )


def _option_caveats(detail: PatientDetail, episode: Episode) -> tuple[str, ...]:
    caveats = [SWITCH_CAVEAT.format(pole=pole) for pole in _switches(detail)]
    if episode.psychotic_features:
        caveats.append(PSYCHOTIC_CAVEAT)
    if detail.patient.diagnosis == Diagnosis.BIPOLAR:
        caveats.append(BIPOLAR_CAVEAT)
    return tuple(caveats)


def _review(assessment: EpisodeAssessment | None, cases: Any) -> ReviewSummary | None:
    latest = cases.latest_review if cases is not None else None
    if assessment is None or latest is None or latest.signed_off_at is None:
        return None
    reviewer = latest.reviewer
    return ReviewSummary(
        reviewer=reviewer.get_full_name() or reviewer.get_username(),
        signed_off_at=timezone.localtime(latest.signed_off_at),
        findings=latest.findings,
        factors=tuple(item.question for item in latest.factors.all()),
        factors_note=latest.factors_note,
        next_steps=latest.next_steps,
        follow_up_date=latest.follow_up_date,
        safety_acknowledgement=latest.safety_acknowledgement,
    )


# Appendix ---------------------------------------------------------------------------------


def _runs(codes: Sequence[str]) -> str:
    """Return trial codes with consecutive runs shortened: "T2–T5, T7"."""
    numbers = [int(code[1:]) for code in codes if TRIAL_CODE.fullmatch(code)]
    if len(numbers) != len(codes):
        return ", ".join(codes)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"T{run[0]}" if len(run) == 1 else f"T{run[0]}–T{run[-1]}" for run in runs)


def _explanation(row: Any) -> ModelExplanation:
    """Return a model's explanation with the trials grouped by verdict and named by number."""
    verdicts: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in row.explanation:
        match = TRIAL_LINE.match(line)
        if match is None:
            lines.append(_clinic_words(line))
            continue
        code, verdict = match.groups()
        counted = _clinic_words(verdict.partition(" — ")[2]) or NOT_COUNTED
        verdicts.setdefault(counted, []).append(code)
    trials = "; ".join(f"{verdict}: {_runs(codes)}" for verdict, codes in verdicts.items())
    headline = "; ".join((row.headline, *row.details))
    return ModelExplanation(row.label, row.version, headline, trials, tuple(lines))


def _logo_data_uri(clinic: Clinic) -> str:
    """Return the clinic's logo inlined as a data URI (both renderings), or ""."""
    if not clinic.logo:
        return ""
    name = (clinic.logo.name or "").lower()
    mime = "image/svg+xml" if name.endswith(".svg") else "image/png"
    if name.endswith((".jpg", ".jpeg")):
        mime = "image/jpeg"
    try:
        with clinic.logo.open("rb") as logo:
            encoded = base64.b64encode(logo.read()).decode("ascii")
    except OSError:
        logger.warning("report: clinic %s logo file missing", clinic.pk)
        return ""
    return f"data:{mime};base64,{encoded}"


def _recorded_ends(detail: PatientDetail) -> dict[str, datetime.date]:
    return {row.trial.code: row.trial.end_date for row in detail.trials if row.trial.end_date}


# The report -------------------------------------------------------------------------------


def patient_report(*, access: ClinicAccess, patient_id: int, appendix: bool = False) -> Report:
    """Assemble the report of a patient of the active clinic (404 for any other)."""
    detail = patient_detail(access=access, patient_id=patient_id)
    clinic, user = access.clinic, access.user
    episode = detail.episode
    empty = Report(
        clinic=clinic,
        patient=detail.patient,
        episode=episode,
        assessment_date=detail.assessment_date,
        generated_at=timezone.localtime(),
        generated_by=GENERATED_BY.format(
            name=user.get_full_name() or user.get_username(), username=user.get_username()
        ),
        time_zone=str(timezone.get_current_timezone()),
        paper_size=clinic.paper_size,
        logo_data_uri=_logo_data_uri(clinic),
        safety=_safety(detail),
        preparation=None,
        diagnosis=None,
        severity=None,
        trials=(),
        staging=None,
        impasse=ImpasseSummary(available=False),
        appendix=None,
    )
    if episode is None or detail.history is None:
        return empty
    try:
        panel = impasse_panel_for(detail)
    except LookupError:
        logger.warning("report: checklist not loaded")
        panel = None
    assessment = panel.assessment if panel is not None else None
    rows = _item_rows(assessment) if assessment is not None else {}
    results = staging_results(detail.history, detail.params)
    profile = results.results.get("response_profile")
    staging = StagingSummary(
        lines=tuple(
            model_line(results.results[row.key])
            for row in results.rows
            if row.key != "response_profile"
        ),
        disagreement=_disagreement(results.disagreements),
        pattern=pattern_sentence(profile),
        warnings=tuple(_clinic_words(w) for w in results.shared_warnings),
    )
    review = _review(assessment, panel.cases if panel is not None else None)
    report_appendix = None
    if appendix:
        series = stage_over_time(
            detail.history, results.params, recorded_ends=_recorded_ends(detail)
        )
        report_appendix = Appendix(
            explanations=tuple(_explanation(row) for row in results.rows),
            not_adequate=_not_adequate(detail.trials),
            disagreements=results.disagreements,
            parameters=results.parameters,
            engines=tuple((row.label, row.version) for row in results.rows),
            figures=appendix_figures(detail.scales, series),
        )
    return replace(
        empty,
        preparation=ReportPreparation.objects.filter(episode=episode).first(),
        diagnosis=_diagnosis(detail, episode, results.shared_warnings, _mixed(rows)),
        severity=_severity(detail, episode),
        trials=tuple(_report_trial(row) for row in detail.trials),
        staging=staging,
        impasse=_impasse(assessment, rows, detail, episode, review),
        appendix=report_appendix,
        own_parameters=own_parameter_rows(detail, clinic),
    )


def _not_adequate(rows: Sequence[TrialRow]) -> tuple[tuple[str, str], ...]:
    """Return the trials that were not adequate, grouped by the reason."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if not row.adequate:
            reasons.setdefault(_clinic_words(row.assessment.summary), []).append(row.trial.code)
    return tuple((_runs(codes), reason) for reason, codes in reasons.items())


def _disagreement(sentences: Sequence[str]) -> str:
    if not sentences:
        return MODELS_AGREE
    more = MORE_DISAGREEMENTS.format(count=len(sentences) - 1) if len(sentences) > 1 else ""
    return _clinic_words(sentences[0]) + more


@dataclass(frozen=True)
class ReportPdf:
    content: bytes
    filename: str


def pdf_audited(*, access: ClinicAccess, report: Report) -> None:
    """Record a PDF of the report in the audit trail (an export of the episode or patient)."""
    episode = report.episode
    with transaction.atomic():
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=ObjectType.EPISODE if episode else ObjectType.PATIENT,
            object_id=episode.pk if episode else report.patient.pk,
            clinic_id=access.clinic.pk,
            patient_id=report.patient.pk,
            object_version=episode.version if episode else report.patient.version,
        )


def patient_report_pdf(
    *,
    access: ClinicAccess,
    patient_id: int,
    appendix: bool = False,
    exporter: ChartExporter | None = None,
) -> ReportPdf:
    """Render a patient's summary (and appendix) as a PDF; record the export in the audit."""
    report = patient_report(access=access, patient_id=patient_id, appendix=appendix)
    if report.appendix is not None and report.appendix.figures:
        drawn = figures_drawn(report.appendix.figures, exporter or default_exporter())
        report = replace(report, appendix=replace(report.appendix, figures=drawn))
    content = render_pdf(
        "records/report_pdf.html",
        {"report": report},
        title=f"{report.title} · {report.patient.record_number}",
        paper_size=report.paper_size,
    )
    pdf_audited(access=access, report=report)
    filename = pdf_filename("report", report.patient.record_number, report.generated_at.date())
    return ReportPdf(content=content, filename=filename)
