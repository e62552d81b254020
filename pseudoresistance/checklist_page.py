"""What the checklist page shows beside the assessment: section counts and record links.

Read-only, for the checklist view: per-section counts for the table of contents, and the record
field behind each pre-answer.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from django.urls import reverse

from pseudoresistance.derived import DerivedAnswer, Entity
from pseudoresistance.selectors import EpisodeAssessment, ItemRow
from records.models import TreatmentTrial


def trial_prefix(trial_id: int) -> str:
    return f"t{trial_id}"


def domain_prefix(domain: str) -> str:
    return f"d{domain}"


@dataclass(frozen=True)
class SectionSummary:
    """One section of the checklist as the table of contents counts it."""

    prefix: str
    label: str
    items: int
    open_items: int
    gaps: int
    concerns: int
    from_records: int


def _summary(prefix: str, label: str, rows: tuple[ItemRow, ...], gaps: int) -> SectionSummary:
    return SectionSummary(
        prefix=prefix,
        label=label,
        items=len(rows),
        open_items=sum(row.effective.answer is None for row in rows),
        gaps=gaps,
        concerns=sum(row.raises_concern for row in rows),
        from_records=sum(row.stored is None and row.derived is not None for row in rows),
    )


def section_summaries(assessment: EpisodeAssessment) -> dict[str, SectionSummary]:
    """Return every section's counts, keyed by the section's form prefix, in page order."""
    gaps = Counter(
        gap.trial if gap.trial else gap.item.domain.value for gap in assessment.status.data_gaps
    )
    summaries: dict[str, SectionSummary] = {}
    for section in assessment.trial_sections:
        trial = section.trial
        prefix = trial_prefix(trial.pk)
        label = f"{trial.code} {trial.agent_label}".strip()
        summaries[prefix] = _summary(prefix, label, section.rows, gaps[trial.code])
    for domain_section in assessment.domain_sections:
        domain = domain_section.domain
        prefix = domain_prefix(domain.value)
        label = f"{domain.value} · {domain_section.title}"
        summaries[prefix] = _summary(prefix, label, domain_section.rows, gaps[domain.value])
    return summaries


def record_url(
    derived: DerivedAnswer | None,
    *,
    patient_id: int,
    episode_id: int,
    trial: TreatmentTrial | None,
    trial_ids: Mapping[str, int],
) -> str | None:
    """Return the form field a pre-answer reads (trial, episode or patient form), or None."""
    field = derived.field if derived is not None else None
    if field is None:
        return None
    anchor = f"#id_{field.name}"
    if field.entity is Entity.PATIENT:
        return reverse("records:patient-update", args=[patient_id]) + anchor
    if field.entity is Entity.EPISODE:
        return reverse("records:episode-update", args=[patient_id, episode_id]) + anchor
    trial_id = trial_ids.get(field.trial) if field.trial else (trial.pk if trial else None)
    if trial_id is None:
        return None
    return reverse("records:trial-update", args=[patient_id, trial_id]) + anchor


def patient_trial_ids(patient_id: int) -> dict[str, int]:
    """Return the patient's trials' ids by code (a pre-answer names a trial by its code)."""
    return dict(
        TreatmentTrial.objects.filter(episode__patient_id=patient_id).values_list("code", "pk")
    )
