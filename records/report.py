"""The second-opinion report: one set of data, drawn as an HTML page and printed as a PDF.

`patient_report` assembles everything the report shows (records, staging, the impasse work);
the figure builders turn it into plotly figures once; `report_pdf` renders the PDF with
weasyprint, the same figures embedded as static SVG through `charts_export`, and audits it.
"""

import base64
import datetime
import logging
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from records.charts import score_charts
from records.extensions import patient_impasse_panel

from .access import ClinicAccess
from .audit import audit_event_write
from .charts_export import ChartExporter, ChartSize, default_exporter
from .models import AuditAction, Clinic, Episode, Patient
from .models.clinic import PaperSize
from .selectors import PatientDetail, ScaleRow, TrialRow, patient_detail
from .services.common import ObjectType
from .staging import (
    UNSAFE_FILENAME_CHARACTERS,
    ModelRow,
    ParameterRow,
    StagingResults,
    staging_results,
    trial_end,
)

logger = logging.getLogger(__name__)

REPORT_TITLE = "Second-opinion report: treatments tried so far"
NO_EPISODE = "No episode is recorded yet: the report has no trials or staging to show."
NO_SCORES = "No rating-scale scores are recorded in this episode."
NO_TRIALS = "No treatment trials are recorded yet."
NOT_RECORDED = "not recorded"
EPISODE_ONGOING = "{months} months (since {onset}, ongoing)"
EPISODE_ENDED = "{months} months ({onset} to {end})"
SEVERITY = "{total:g} on the {scale} ({band}, {day})"
SEVERITY_NO_BAND = "{total:g} on the {scale} ({day})"
BASELINE_FROM_EPISODE = "{total:g} on the {scale} (recorded with the episode)"
ADEQUATE = "adequate"
NOT_ADEQUATE = "not adequate"
OVERRIDDEN = " (clinician override)"
PREVIOUS_EPISODE = "previous episode"
CHART_NOT_DRAWN = (
    "The {title} chart could not be drawn in this PDF (no chart renderer is available on the "
    "server); the table below holds the same data."
)
TIMELINE_TITLE = "Trial timeline"
SCORES_TITLE = "Scale scores over time"
TIMELINE_NOT_ADEQUATE = "hatched: not adequate"
IMPASSE_UNAVAILABLE = (
    "The pseudo-resistance checklist could not be loaded for this episode, so its status, "
    "concerns and data gaps are not shown."
)
GENERATED_BY = "{name} ({username})"
PDF_FILENAME = "report-{record}-{day}.pdf"

KIND_COLOURS = {
    "antidepressant": "#1f4e79",
    "combination": "#4f81bd",
    "augmentation": "#8064a2",
    "psychotherapy": "#2e7d32",
    "ect": "#b26a00",
    "rtms": "#c0504d",
    "esketamine": "#7f6000",
    "ketamine": "#9c6500",
    "inpatient_admission": "#595959",
    "day_treatment": "#7f7f7f",
}
OTHER_COLOUR = "#404040"
# Pixel sizes of the exported SVGs; the PDF scales them to the text width.
PDF_CHART_WIDTH = 900
TIMELINE_ROW_HEIGHT = 22
TIMELINE_BASE_HEIGHT = 110
SCORE_CHART_HEIGHT = 320
# A trial without weeks or an end date is drawn one week wide so it stays visible.
MINIMUM_BAR = datetime.timedelta(weeks=1)
MS_PER_DAY = 86_400_000
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class ReportTrial:
    """One trial as the report's table and timeline show it."""

    code: str
    kind: str
    kind_label: str
    agent: str
    drug_class: str
    amount: str
    start: datetime.date
    end: datetime.date
    weeks: str
    adherence: str
    outcome: str
    adequate: bool
    adequacy: str
    reason: str
    previous_episode: bool


@dataclass(frozen=True)
class ReportScore:
    """One rating-scale score as the report's score table shows it."""

    day: datetime.date
    scale: str
    total: str
    band: str
    change: str
    remission: str


@dataclass(frozen=True)
class Summary:
    """The summary box: episode length, severity, response profile, each model's headline."""

    episode_length: str
    baseline: str
    latest: str
    response_profile: str
    headlines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Concern:
    """An open pseudo-resistance concern or data gap, in clinic words."""

    where: str
    text: str


@dataclass(frozen=True)
class ReviewSummary:
    """The latest signed supervisor review of the episode's impasse case."""

    reviewer: str
    signed_off_at: datetime.datetime
    findings: str
    factors: tuple[str, ...]
    factors_note: str
    next_steps: str
    follow_up_date: datetime.date | None


@dataclass(frozen=True)
class OptionGroupSummary:
    """One group of classes without a documented adequate trial."""

    label: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ImpasseSummary:
    """The pseudo-resistance section: status, concerns, gaps, not-yet-tried, latest review."""

    available: bool
    status: str = ""
    process_banner: str = ""
    concerns: tuple[Concern, ...] = ()
    contributors: tuple[Concern, ...] = ()
    data_gaps: tuple[Concern, ...] = ()
    not_yet_tried_heading: str = ""
    not_yet_tried_note: str = ""
    not_yet_tried: tuple[OptionGroupSummary, ...] = ()
    review: ReviewSummary | None = None


@dataclass(frozen=True)
class ReportFigure:
    """A chart of the report: its plotly figure and, in the PDF, its SVG (None if not drawn)."""

    key: str
    title: str
    figure: dict[str, Any]
    pdf_height: int
    svg: str | None = None

    @property
    def missing_note(self) -> str:
        """Say where the chart would be and where its data is instead."""
        return CHART_NOT_DRAWN.format(title=self.title.lower())

    @property
    def svg_data_uri(self) -> str:
        """Return the SVG as a data URI for the PDF's <img>."""
        encoded = base64.b64encode((self.svg or "").encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"


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
    summary: Summary | None
    trials: tuple[ReportTrial, ...]
    scores: tuple[ReportScore, ...]
    figures: tuple[ReportFigure, ...]
    models: tuple[ModelRow, ...]
    disagreements: tuple[str, ...]
    shared_warnings: tuple[str, ...]
    parameters: tuple[ParameterRow, ...]
    engines: tuple[tuple[str, str], ...]
    impasse: ImpasseSummary
    title: str = REPORT_TITLE
    messages: dict[str, str] = field(
        default_factory=lambda: {
            "no_episode": NO_EPISODE,
            "no_scores": NO_SCORES,
            "no_trials": NO_TRIALS,
            "impasse_unavailable": IMPASSE_UNAVAILABLE,
        }
    )

    def figure_data(self) -> dict[str, dict[str, Any]]:
        """Return the figures keyed by chart, for the HTML page's data island."""
        return {figure.key: figure.figure for figure in self.figures}


def _plain(value: Decimal | float) -> str:
    return f"{Decimal(value).normalize():f}"


def _day(value: datetime.date) -> str:
    return value.strftime("%-d %b %Y")


def _amount(row: TrialRow) -> str:
    trial = row.trial
    parts = []
    if trial.dose_mg_per_day is not None:
        parts.append(f"{_plain(trial.dose_mg_per_day)} mg/day")
    if trial.serum_level_mmol_per_l is not None:
        parts.append(f"serum {_plain(trial.serum_level_mmol_per_l)} mmol/L")
    if trial.dose_mg_per_session is not None:
        parts.append(f"{_plain(trial.dose_mg_per_session)} mg/session")
    if trial.sessions is not None:
        parts.append(f"{trial.sessions} sessions")
    return ", ".join(parts) or NOT_RECORDED


def _outcome(row: TrialRow) -> str:
    outcome = row.assessment.outcome.value.replace("_", " ")
    percent = row.trial.percent_reduction
    if percent is None:
        return outcome
    return f"{outcome} ({percent:g} % reduction)"


def _report_trial(row: TrialRow) -> ReportTrial:
    trial = row.trial
    end = trial.end_date or trial_end(trial.start_date, float(trial.weeks or 0))
    adequacy = ADEQUATE if row.adequate else NOT_ADEQUATE
    reason = row.assessment.summary
    if row.overridden:
        adequacy += OVERRIDDEN
        reason = trial.override_reason or reason
    return ReportTrial(
        code=trial.code,
        kind=trial.kind,
        kind_label=trial.get_kind_display(),
        agent=trial.agent_label,
        drug_class=trial.class_label or "",
        amount=_amount(row),
        start=trial.start_date,
        end=max(end, trial.start_date + MINIMUM_BAR),
        weeks=_plain(trial.weeks) if trial.weeks is not None else NOT_RECORDED,
        adherence=trial.get_adherence_display() if trial.adherence else NOT_RECORDED,
        outcome=_outcome(row),
        adequate=row.adequate,
        adequacy=adequacy,
        reason=reason,
        previous_episode=not row.current,
    )


def _report_score(row: ScaleRow) -> ReportScore:
    administration = row.administration
    total = administration.total_value
    remission = "" if row.in_remission is None else ("yes" if row.in_remission else "no")
    return ReportScore(
        day=administration.administered_on,
        scale=administration.get_scale_display(),
        total=NOT_RECORDED if total is None else f"{total:g}",
        band=row.band or "",
        change=row.change.label if row.change is not None else "",
        remission=remission,
    )


def _severity(row: ScaleRow) -> str:
    administration = row.administration
    total = administration.total_value or 0.0
    scale, day = administration.get_scale_display(), _day(administration.administered_on)
    if row.band:
        return SEVERITY.format(total=total, scale=scale, band=row.band, day=day)
    return SEVERITY_NO_BAND.format(total=total, scale=scale, day=day)


def _summary(detail: PatientDetail, results: StagingResults) -> Summary:
    episode = detail.episode
    assert episode is not None
    days = (detail.assessment_date - episode.onset_date).days
    months = max(0, round(days / DAYS_PER_MONTH))
    if episode.end_date is None:
        length = EPISODE_ONGOING.format(months=months, onset=_day(episode.onset_date))
    else:
        length = EPISODE_ENDED.format(
            months=months, onset=_day(episode.onset_date), end=_day(episode.end_date)
        )
    scored = [row for row in detail.scales if row.administration.total_value is not None]
    if episode.baseline_score is not None:
        baseline = BASELINE_FROM_EPISODE.format(
            total=float(episode.baseline_score), scale=episode.get_baseline_scale_display()
        )
    elif scored:
        baseline = _severity(scored[0])
    else:
        baseline = NOT_RECORDED
    latest = _severity(scored[-1]) if scored else NOT_RECORDED
    profile = next((row.headline for row in results.rows if row.key == "response_profile"), "")
    headlines = tuple(
        (row.label, row.headline) for row in results.rows if row.key != "response_profile"
    )
    return Summary(length, baseline, latest, profile, headlines)


def _concerns(findings: Any) -> tuple[Concern, ...]:
    return tuple(Concern(finding.where, finding.item.question) for finding in findings)


def _impasse(access: ClinicAccess, patient_id: int) -> ImpasseSummary:
    """Return the pseudo-resistance section from the impasse app's patient panel."""
    try:
        panel = patient_impasse_panel(access=access, patient_id=patient_id)
    except LookupError:
        logger.warning("report: checklist not loaded")
        return ImpasseSummary(available=False)
    assessment = panel.assessment
    if assessment is None:
        return ImpasseSummary(available=False)
    status = assessment.status
    review = None
    latest = panel.cases.latest_review if panel.cases is not None else None
    if latest is not None and latest.signed_off_at is not None:
        reviewer = latest.reviewer
        review = ReviewSummary(
            reviewer=reviewer.get_full_name() or reviewer.get_username(),
            signed_off_at=timezone.localtime(latest.signed_off_at),
            findings=latest.findings,
            factors=tuple(f"{item.code}: {item.question}" for item in latest.factors.all()),
            factors_note=latest.factors_note,
            next_steps=latest.next_steps,
            follow_up_date=latest.follow_up_date,
        )
    return ImpasseSummary(
        available=True,
        status=status.text,
        process_banner=status.process_banner or "",
        concerns=_concerns(status.red_concerns),
        contributors=_concerns(status.contributors),
        data_gaps=tuple(
            Concern(gap.where, f"{gap.item.question} ({gap.gap_text})") for gap in status.data_gaps
        ),
        not_yet_tried_heading=assessment.list_heading,
        not_yet_tried_note=assessment.list_note,
        not_yet_tried=tuple(
            OptionGroupSummary(
                group.group.label, tuple((row.option, row.examples) for row in group.rows)
            )
            for group in assessment.not_yet_tried
        ),
        review=review,
    )


def timeline_figure(trials: tuple[ReportTrial, ...]) -> dict[str, Any]:
    """Return the trial timeline: one bar per trial, coloured by kind, hatched if not adequate."""
    traces: list[dict[str, Any]] = []
    labels = [f"{trial.code} {trial.agent}" for trial in trials]
    for kind in dict.fromkeys(trial.kind for trial in trials):
        shown = [(label, t) for label, t in zip(labels, trials, strict=True) if t.kind == kind]
        colour = KIND_COLOURS.get(kind, OTHER_COLOUR)
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": shown[0][1].kind_label,
                "y": [label for label, _ in shown],
                "base": [t.start.isoformat() for _, t in shown],
                "x": [(t.end - t.start).days * MS_PER_DAY for _, t in shown],
                "text": [t.adequacy for _, t in shown],
                "customdata": [[_day(t.start), _day(t.end)] for _, t in shown],
                "hovertemplate": "%{y}: %{customdata[0]} to %{customdata[1]}<br>%{text}"
                "<extra></extra>",
                "textposition": "none",
                "marker": {
                    "color": colour,
                    "line": {"color": colour, "width": 1},
                    "pattern": {
                        "shape": ["" if t.adequate else "/" for _, t in shown],
                        "fgcolor": "#ffffff",
                        "solidity": 0.45,
                    },
                },
            }
        )
    # A legend-only entry explains the hatching.
    traces.append(
        {
            "type": "bar",
            "orientation": "h",
            "name": TIMELINE_NOT_ADEQUATE,
            "x": [None],
            "y": [labels[0] if labels else ""],
            "marker": {
                "color": "#9e9e9e",
                "pattern": {"shape": "/", "fgcolor": "#ffffff", "solidity": 0.45},
            },
            "hoverinfo": "skip",
        }
    )
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "height": timeline_height(len(trials)),
            "margin": {"l": 160, "r": 16, "t": 16, "b": 40},
            "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "xaxis": {"type": "date"},
            "yaxis": {
                "type": "category",
                "categoryorder": "array",
                "categoryarray": labels,
                "autorange": "reversed",
                "automargin": True,
            },
            "bargap": 0.25,
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
        },
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


def timeline_height(trials: int) -> int:
    """Return the timeline's height in pixels: a fixed frame plus one row per trial."""
    return TIMELINE_BASE_HEIGHT + TIMELINE_ROW_HEIGHT * max(trials, 1)


def _score_figures(rows: tuple[ScaleRow, ...]) -> list[ReportFigure]:
    figures = []
    for index, figure in enumerate(score_charts(rows)):
        figure["layout"]["paper_bgcolor"] = "#ffffff"
        figure["layout"]["legend"]["y"] = -0.2
        figure["layout"]["margin"]["b"] = 64
        figure["layout"]["height"] = SCORE_CHART_HEIGHT
        figures.append(ReportFigure(f"scores-{index}", SCORES_TITLE, figure, SCORE_CHART_HEIGHT))
    return figures


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


def patient_report(*, access: ClinicAccess, patient_id: int) -> Report:
    """Assemble the report of a patient of the active clinic (404 for any other)."""
    detail = patient_detail(access=access, patient_id=patient_id)
    clinic = access.clinic
    user = access.user
    now = timezone.localtime()
    trials = tuple(_report_trial(row) for row in detail.trials)
    figures: list[ReportFigure] = []
    if trials:
        figures.append(
            ReportFigure(
                "timeline", TIMELINE_TITLE, timeline_figure(trials), timeline_height(len(trials))
            )
        )
    figures.extend(_score_figures(detail.scales))
    results = staging_results(detail.history, detail.params) if detail.history else None
    summary = _summary(detail, results) if results is not None else None
    impasse = _impasse(access, patient_id) if detail.episode else ImpasseSummary(available=False)
    return Report(
        clinic=clinic,
        patient=detail.patient,
        episode=detail.episode,
        assessment_date=detail.assessment_date,
        generated_at=now,
        generated_by=GENERATED_BY.format(
            name=user.get_full_name() or user.get_username(), username=user.get_username()
        ),
        time_zone=str(timezone.get_current_timezone()),
        paper_size=clinic.paper_size,
        logo_data_uri=_logo_data_uri(clinic),
        summary=summary,
        trials=trials,
        scores=tuple(_report_score(row) for row in detail.scales),
        figures=tuple(figures),
        models=results.rows if results else (),
        disagreements=results.disagreements if results else (),
        shared_warnings=results.shared_warnings if results else (),
        parameters=results.parameters if results else (),
        engines=tuple((row.label, row.version) for row in results.rows) if results else (),
        impasse=impasse,
    )


def pdf_filename(record_number: str, day: datetime.date) -> str:
    """Return the PDF's name: record number and date, never the patient's name."""
    safe = UNSAFE_FILENAME_CHARACTERS.sub("-", record_number).strip("-.") or "patient"
    return PDF_FILENAME.format(record=safe, day=day.isoformat())


@dataclass(frozen=True)
class ReportPdf:
    content: bytes
    filename: str


def _with_svgs(report: Report, exporter: ChartExporter) -> Report:
    svgs = exporter.svgs(
        [ChartSize(figure.figure, PDF_CHART_WIDTH, figure.pdf_height) for figure in report.figures]
    )
    figures = tuple(
        ReportFigure(figure.key, figure.title, figure.figure, figure.pdf_height, svg)
        for figure, svg in zip(report.figures, svgs, strict=True)
    )
    return replace(report, figures=figures)


def _page_css(paper_size: str) -> str:
    size = "letter" if paper_size == PaperSize.LETTER else "A4"
    return f"@page {{ size: {size}; }}"


def render_pdf(report: Report, *, exporter: ChartExporter | None = None) -> bytes:
    """Render the report as a PDF with weasyprint, its charts as SVG where a browser draws them."""
    # weasyprint is imported here: it loads Pango and fonts, which other pages never need.
    from weasyprint import CSS, HTML

    started = time.monotonic()
    drawn = _with_svgs(report, exporter or default_exporter())
    html = render_to_string("records/report_pdf.html", {"report": drawn})
    stylesheet = finders.find("css/report.css")
    assert isinstance(stylesheet, str)
    content = HTML(string=html).write_pdf(
        stylesheets=[CSS(filename=stylesheet), CSS(string=_page_css(report.paper_size))]
    )
    assert content is not None
    logger.info("report pdf rendered in %.2f s", time.monotonic() - started)
    return bytes(content)


def patient_report_pdf(
    *, access: ClinicAccess, patient_id: int, exporter: ChartExporter | None = None
) -> ReportPdf:
    """Render a patient's report as a PDF and record the export in the audit trail."""
    report = patient_report(access=access, patient_id=patient_id)
    content = render_pdf(report, exporter=exporter)
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
    filename = pdf_filename(report.patient.record_number, report.generated_at.date())
    return ReportPdf(content=content, filename=filename)
