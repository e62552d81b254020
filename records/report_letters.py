"""The letter to primary care and the summary for the patient: plain words, one page each.

Both are drawn from the consultant report's data (`records.report.patient_report`); neither
uses stage names or model scores, and neither calls the person "treatment-resistant": the
treatments tried so far have not brought remission. The letter's paragraphs can be edited and
saved (records.services.report_preparation); a blank paragraph takes the wording below.
"""

from dataclasses import dataclass

from .access import ClinicAccess
from .models import Diagnosis, ReportPreparation
from .report import Report, ReportPdf, patient_report, pdf_audited
from .report_render import pdf_filename, render_pdf
from .services.report_preparation import LETTER_FIELDS

LETTER_TITLE = "Letter to primary care"
PATIENT_TITLE = "Your assessment: a summary for you"
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ANTIDEPRESSANT_KINDS = frozenset({"antidepressant", "combination"})
LETTER_HEADINGS = {
    "letter_assessed": "What we assessed",
    "letter_found": "What we found",
    "letter_recommended": "What we recommend",
    "letter_practice": "What the practice can do",
    "letter_safety": "Safety-netting",
    "letter_contact": "Who to contact",
}
ASSESSED = (
    "We saw {name} for a second opinion on the treatment of depression.{reason} We reviewed the "
    "treatments tried in the current episode (since {onset}), the rating-scale scores, and the "
    "reasons why treatment may not have worked so far."
)
FOUND_FAILED = (
    "{count} adequate antidepressant trial{s} {have} not brought remission in this episode."
)
FOUND_NONE = (
    "No antidepressant trial in this episode has yet been given at an adequate dose and length."
)
FOUND_SHORT = "{count} other trial{s} {were} too short or at too low a dose to judge."
FOUND_SEVERITY = "The latest {scale} score was {latest} (first in this episode: {baseline})."
FOUND_ONE_SCORE = "The only {scale} score in this episode was {baseline}."
FOUND_CHECKS = "Our review lists {count} point{s} to check before calling any treatment a failure."
FOUND_PSYCHOTIC = (
    "The depression has psychotic features: an antidepressant alone is not the full treatment "
    "for this; an antidepressant with an antipsychotic, or ECT, is."
)
FOUND_BIPOLARITY = (
    "There are signs that could point to a bipolar illness, so an antidepressant should not be "
    "given alone without a mood stabiliser."
)
FOUND_SAFETY = "At the latest rating, {name} reported thoughts of suicide: please see below."
RECOMMENDED_DEFAULT = "Our recommendations will follow once the plan is agreed with {name}."
PRACTICE = (
    "Please review mood and ask about thoughts of suicide at each contact; check the blood tests "
    "the plan asks for (for example thyroid function, and drug levels where relevant); and "
    "support taking the medicine every day as prescribed, asking about side effects."
)
SAFETY = (
    "If {name} has thoughts of suicide or self-harm, or becomes much worse, please arrange an "
    "urgent assessment through the local crisis team or the emergency department."
)
CONTACT = "{clinician}, {clinic}{address}. Please quote record number {record}."

PATIENT_PENDING = (
    "Your depression has not lifted yet. We call this \u201cpending remission\u201d. It means "
    "the right treatment for you has not been found yet. It does not mean that it will not be "
    "found. Many people get better after they try more options."
)
PATIENT_TRIED = "In this episode you have tried {count} medicine{s} for depression."
PATIENT_SHORT = (
    "{count} of them {was} not given at a full dose, or not for long enough, to know if it "
    "could work."
)
PATIENT_CHECKS = (
    "We also found {count} thing{s} to check with you, such as sleep, other health problems or "
    "side effects."
)
PATIENT_NEXT_DEFAULT = (
    "Your doctor will talk with you about the next steps and agree them with you."
)
PATIENT_NEXT = "The next steps we agreed with you: {plan}"
PATIENT_CRISIS = (
    "If you feel you might act on thoughts of suicide, or you cannot keep yourself safe, call "
    "your local emergency number or go to the nearest emergency department now. You can also "
    "call your care team at {clinic}."
)


@dataclass(frozen=True)
class Paragraph:
    field: str
    heading: str
    text: str


@dataclass(frozen=True)
class Letter:
    report: Report
    paragraphs: tuple[Paragraph, ...]
    title: str = LETTER_TITLE


@dataclass(frozen=True)
class PatientSummary:
    report: Report
    pending: str
    found: tuple[str, ...]
    next_steps: str
    crisis: str
    title: str = PATIENT_TITLE


def _count(number: int) -> str:
    return NUMBERS[number] if number < len(NUMBERS) else str(number)


def _plural(number: int) -> str:
    return "" if number == 1 else "s"


def _antidepressants(report: Report) -> tuple[int, int]:
    """Return (adequate failed, not adequate) current-episode antidepressant trials."""
    current = [
        trial
        for trial in report.trials
        if not trial.previous_episode and trial.kind in ANTIDEPRESSANT_KINDS
    ]
    failed = sum(1 for trial in current if trial.adequate and trial.failed)
    short = sum(1 for trial in current if not trial.adequate)
    return failed, short


def _name(report: Report) -> str:
    return f"{report.patient.given_name} {report.patient.family_name}"


def letter_defaults(report: Report) -> dict[str, str]:
    """Return the letter's proposed wording, paragraph by paragraph."""
    name = _name(report)
    preparation = report.preparation
    reason = preparation.reason_for_referral.strip() if preparation else ""
    onset = report.episode.onset_date.strftime("%-d %B %Y") if report.episode else "its onset"
    failed, short = _antidepressants(report)
    found = [
        FOUND_FAILED.format(
            count=_count(failed).capitalize(),
            s=_plural(failed),
            have="has" if failed == 1 else "have",
        )
        if failed
        else FOUND_NONE
    ]
    if short:
        found.append(
            FOUND_SHORT.format(
                count=_count(short).capitalize(),
                s=_plural(short),
                were="was" if short == 1 else "were",
            )
        )
    severity = report.severity
    if severity is not None and severity.primary is not None:
        line = severity.primary
        template = FOUND_SEVERITY if line.repeated else FOUND_ONE_SCORE
        found.append(template.format(scale=line.scale, latest=line.latest, baseline=line.baseline))
    if report.episode is not None and report.episode.psychotic_features:
        found.append(FOUND_PSYCHOTIC)
    if report.patient.diagnosis == Diagnosis.MDD_BIPOLARITY_SUSPECTED or any(
        trial.outcome.startswith("switch") for trial in report.trials
    ):
        found.append(FOUND_BIPOLARITY)
    checks = len(report.impasse.all_concerns)
    if checks:
        found.append(FOUND_CHECKS.format(count=_count(checks), s=_plural(checks)))
    if report.safety.alerts:
        found.append(FOUND_SAFETY.format(name=name))
    plan = preparation.plan.strip() if preparation else ""
    psychiatrist = report.patient.psychiatrist
    clinician = (
        psychiatrist.get_full_name() or psychiatrist.get_username()
        if psychiatrist is not None
        else "The reviewing psychiatrist"
    )
    address = report.clinic.address.replace("\n", ", ").strip()
    return {
        "letter_assessed": ASSESSED.format(
            name=name,
            reason=f" Reason for referral: {reason.rstrip('.')}." if reason else "",
            onset=onset,
        ),
        "letter_found": " ".join(found),
        "letter_recommended": plan or RECOMMENDED_DEFAULT.format(name=name),
        "letter_practice": PRACTICE,
        "letter_safety": SAFETY.format(name=name),
        "letter_contact": CONTACT.format(
            clinician=clinician,
            clinic=report.clinic.name,
            address=f", {address}" if address else "",
            record=report.patient.record_number,
        ),
    }


def letter_text(report: Report) -> dict[str, str]:
    """Return each paragraph as saved, or the proposed wording where none was saved."""
    defaults = letter_defaults(report)
    preparation: ReportPreparation | None = report.preparation
    return {
        field: (getattr(preparation, field) if preparation else "") or defaults[field]
        for field in LETTER_FIELDS
    }


def patient_letter(*, access: ClinicAccess, patient_id: int) -> Letter:
    """Return the letter to primary care about a patient of the active clinic."""
    report = patient_report(access=access, patient_id=patient_id)
    text = letter_text(report)
    paragraphs = tuple(Paragraph(f, LETTER_HEADINGS[f], text[f]) for f in LETTER_FIELDS)
    return Letter(report=report, paragraphs=paragraphs)


def patient_summary(*, access: ClinicAccess, patient_id: int) -> PatientSummary:
    """Return the one-page summary for the patient, in plain language."""
    report = patient_report(access=access, patient_id=patient_id)
    tried = [
        trial
        for trial in report.trials
        if not trial.previous_episode and trial.kind in ANTIDEPRESSANT_KINDS
    ]
    _failed, short = _antidepressants(report)
    found = []
    if tried:
        found.append(PATIENT_TRIED.format(count=_count(len(tried)), s=_plural(len(tried))))
    if short:
        found.append(
            PATIENT_SHORT.format(
                count=_count(short).capitalize(), was="was" if short == 1 else "were"
            )
        )
    checks = len(report.impasse.all_concerns)
    if checks:
        found.append(PATIENT_CHECKS.format(count=_count(checks), s=_plural(checks)))
    plan = report.preparation.plan.strip() if report.preparation else ""
    return PatientSummary(
        report=report,
        pending=PATIENT_PENDING,
        found=tuple(found),
        next_steps=PATIENT_NEXT.format(plan=plan) if plan else PATIENT_NEXT_DEFAULT,
        crisis=PATIENT_CRISIS.format(clinic=report.clinic.name),
    )


def patient_letter_pdf(*, access: ClinicAccess, patient_id: int) -> ReportPdf:
    """Print the letter to primary care (one page) and record the export."""
    letter = patient_letter(access=access, patient_id=patient_id)
    report = letter.report
    content = render_pdf(
        "records/report_letter_pdf.html",
        {"letter": letter, "report": report},
        title=f"{LETTER_TITLE} · {report.patient.record_number}",
        paper_size=report.paper_size,
    )
    pdf_audited(access=access, report=report)
    name = pdf_filename("letter", report.patient.record_number, report.generated_at.date())
    return ReportPdf(content=content, filename=name)


def patient_summary_pdf(*, access: ClinicAccess, patient_id: int) -> ReportPdf:
    """Print the patient's summary (one page) and record the export."""
    summary = patient_summary(access=access, patient_id=patient_id)
    report = summary.report
    content = render_pdf(
        "records/report_patient_pdf.html",
        {"summary": summary, "report": report},
        title=f"{PATIENT_TITLE} · {report.patient.record_number}",
        paper_size=report.paper_size,
    )
    pdf_audited(access=access, report=report)
    name = pdf_filename("summary", report.patient.record_number, report.generated_at.date())
    return ReportPdf(content=content, filename=name)
