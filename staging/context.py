"""One history prepared once for every engine: current trials, their adequacy and clinic text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from staging.adequacy import (
    Assessed,
    TrialAssessment,
    TrialIndex,
    assess_trial,
    index_history,
    num,
)
from staging.catalogue import Unit
from staging.history import (
    CHRONOLOGICAL,
    DRUG_KINDS,
    INTENSIFIED_KINDS,
    Diagnosis,
    Episode,
    History,
    Params,
    Trial,
    TrialKind,
    duration_points,
    known_scale,
    severity_points,
)
from staging.result import ModelInfo, ModelResult, not_applicable

BIPOLAR_EXPLANATION = (
    "Bipolar disorder: the staging models are defined for unipolar depression, so this one is "
    "not applied (1.3.8, 12.19).",
)
BIPOLARITY_WARNING = (
    "Bipolarity suspected: this model is defined for unipolar MDD; the result is shown, but it "
    "does not apply if bipolar disorder is confirmed (1.3.8)."
)
DURATION_TEXT = {1: "acute (≤ 12 months)", 2: "subacute (13-24 months)", 3: "chronic (> 24 months)"}
SEVERITY_TEXT = {
    1: "subsyndromal",
    2: "mild",
    3: "moderate",
    4: "severe without psychosis",
    5: "severe with psychotic features",
}


@dataclass(slots=True)
class Context:
    """A history with its current-episode trials grouped and assessed once for all engines.

    Decisions are computed eagerly without text; clinic text is formatted on first use.
    """

    history: History
    params: Params
    index: TrialIndex
    duration: int
    severity: int | None
    applicable: bool = True
    warnings: tuple[str, ...] = ()
    current: tuple[Trial, ...] = ()
    assessments: dict[str, TrialAssessment] = field(default_factory=dict)
    drugs: tuple[Trial, ...] = ()
    drug_failures: tuple[Trial, ...] = ()
    drug_failure_ids: tuple[str, ...] = ()
    # The catalogue's class of each failed drug trial, in the same order (12.5).
    failed_classes: tuple[str, ...] = ()
    failed_molecules: dict[str, Trial] = field(default_factory=dict)
    augmentations: tuple[Trial, ...] = ()
    augmentation_failures: tuple[Trial, ...] = ()
    ects: tuple[Trial, ...] = ()
    ect_failures: tuple[Trial, ...] = ()
    psychotherapies: tuple[Trial, ...] = ()
    psychotherapy_failures: tuple[Trial, ...] = ()
    intensified: tuple[Trial, ...] = ()
    previous: tuple[Trial, ...] = ()
    # Clinic text formatted once per history, on first use.
    _lines: dict[str, str] = field(default_factory=dict)
    _previous_line: tuple[str, ...] | None = None

    def failed_psychotherapies(
        self, min_sessions: int, trained_therapist_required: bool = False
    ) -> tuple[Trial, ...]:
        """Return the current psychotherapies that failed under one model's standard (8.3)."""
        params = self.params
        default = params.conway_psychotherapy_min_sessions
        if min_sessions == default and not trained_therapist_required:
            return self.psychotherapy_failures
        # A stricter standard can only keep trials that already failed the default one.
        pool = self.psychotherapy_failures if min_sessions >= default else self.psychotherapies
        return tuple(
            trial
            for trial in pool
            if assess_trial(
                trial,
                self.index,
                params,
                min_sessions=min_sessions,
                trained_therapist_required=trained_therapist_required,
                explain=False,
            ).adequate_failure
        )

    def molecule(self, trial: Trial) -> str:
        """Return the molecule a trial counts as (12.16): the catalogue's, else the name given."""
        agent = self.assessments[trial.id].agent
        return agent.molecule if agent is not None else trial.agent or trial.id

    def line(self, trial: Trial) -> str:
        """Describe a trial and its default adequacy verdict in one clinic line."""
        text = self._lines.get(trial.id)
        if text is None:
            assessment = self.assessments[trial.id]
            if not assessment.summary:
                # Only an inadequate trial's verdict needs its reasons worded.
                assessment = assess_trial(trial, self.index, self.params)
            text = self._lines[trial.id] = describe(trial, assessment)
        return text

    def previous_line(self) -> tuple[str, ...]:
        """Name the previous-episode trials, which no model counts (1.3.1)."""
        if self._previous_line is None:
            previous = ids(sorted(self.previous, key=CHRONOLOGICAL))
            self._previous_line = (
                (f"Previous-episode trials are not counted (1.3.1): {previous}.",)
                if self.previous
                else ()
            )
        return self._previous_line

    def not_applicable(self, info: ModelInfo) -> ModelResult:
        """Return the bipolar not-applicable result for a model (12.19)."""
        return not_applicable(info, BIPOLAR_EXPLANATION)

    def duration_line(self) -> str:
        """Explain the episode-duration item (1.3.6)."""
        history = self.history
        return (
            f"Duration: onset {history.episode_onset_date.isoformat()}, assessed "
            f"{history.assessment_date.isoformat()}: {DURATION_TEXT[self.duration]} → "
            f"{self.duration}"
        )

    def severity_line(self, points: int) -> str:
        """Explain the baseline-severity item (8.6, 12.18)."""
        severity = self.history.baseline_severity
        if severity.psychotic_features:
            source = "psychotic features"
        elif severity.category is not None:
            source = "clinician's specifier"
        else:
            source = f"{known_scale(severity.scale)} {num(severity.score or 0)}"
        return f"Severity: {SEVERITY_TEXT[points]} ({source}) → {points}"


def build_context(history: History, params: Params, assessed: Assessed | None = None) -> Context:
    """Prepare a history once: select, order and assess its current-episode trials.

    `assessed` holds verdicts made before, reused where they still hold (`Assessed.verdict`).
    """
    onset = history.episode_onset_date
    duration = duration_points(onset, history.assessment_date)
    severity = severity_points(history.baseline_severity)
    if history.diagnosis is Diagnosis.BIPOLAR:
        return Context(history, params, index_history(history), duration, severity, False)
    warnings = []
    if history.diagnosis is Diagnosis.MDD_BIPOLARITY_SUSPECTED:
        warnings.append(BIPOLARITY_WARNING)
    current = []
    previous = []
    switched: list[tuple[tuple[object, ...], str]] = []
    for trial in history.trials:
        episode = trial.episode
        # 1.3.1: by date unless the trial says which episode it belongs to (12.17).
        if trial.start_date >= onset if episode is None else episode is Episode.CURRENT:
            current.append(trial)
        else:
            previous.append(trial)
        if trial.outcome is not None:
            warning = (
                f"{trial.id} ended in a {trial.outcome.replace('_', ' ')}: bipolarity suspected; "
                "review the diagnosis (12.8)."
            )
            switched.append((CHRONOLOGICAL(trial), warning))
    warnings.extend(warning for _, warning in sorted(switched))
    current.sort(key=CHRONOLOGICAL)
    index = index_history(history, current)
    # The very history the verdicts were made for, its trial ids unique: its index is theirs,
    # every verdict holds.
    known = (
        assessed.verdicts
        if assessed is not None
        and assessed.history is history
        and assessed.params is params
        and len(assessed.trials) == len(history.trials)
        else None
    )
    assessments = {}
    molecules: dict[str, Trial] = {}
    drugs: list[Trial] = []
    drug_failures: list[Trial] = []
    failed_classes: list[str] = []
    augmentations: list[Trial] = []
    augmentation_failures: list[Trial] = []
    ects: list[Trial] = []
    ect_failures: list[Trial] = []
    psychotherapies: list[Trial] = []
    psychotherapy_failures: list[Trial] = []
    intensified: list[Trial] = []
    recalled = []
    for trial in current:
        assessment = (
            known[trial.id]
            if known is not None
            else None
            if assessed is None
            else assessed.verdict(trial, index, params)
        )
        if assessment is None:
            assessment = assess_trial(trial, index, params, explain=False)
        assessments[trial.id] = assessment
        kind = trial.kind
        failed = assessment.adequate and assessment.failed
        if kind in DRUG_KINDS:
            drugs.append(trial)
            agent = assessment.agent
            if failed and agent:
                drug_failures.append(trial)
                failed_classes.append(agent.drug_class)
                molecules.setdefault(agent.molecule, trial)
        elif kind is TrialKind.AUGMENTATION:
            augmentations.append(trial)
            if failed:
                augmentation_failures.append(trial)
        elif kind is TrialKind.ECT:
            ects.append(trial)
            if failed:
                ect_failures.append(trial)
        elif kind is TrialKind.PSYCHOTHERAPY:
            psychotherapies.append(trial)
            if failed:
                psychotherapy_failures.append(trial)
        elif kind in INTENSIFIED_KINDS:
            intensified.append(trial)
        if trial.prospective is False:
            recalled.append(trial.id)
    if recalled:
        warnings.append(
            f"Outcome recalled, not rated at the time (prospective: false): {', '.join(recalled)}."
        )
    return Context(
        history,
        params,
        index,
        duration,
        severity,
        True,
        tuple(warnings),
        tuple(current),
        assessments,
        tuple(drugs),
        tuple(drug_failures),
        tuple(trial.id for trial in drug_failures),
        tuple(failed_classes),
        molecules,
        tuple(augmentations),
        tuple(augmentation_failures),
        tuple(ects),
        tuple(ect_failures),
        tuple(psychotherapies),
        tuple(psychotherapy_failures),
        tuple(intensified),
        tuple(previous),
    )


def ids(trials: Iterable[Trial]) -> str:
    """List trial ids for an explanation line, or 'none'."""
    return ", ".join(trial.id for trial in trials) or "none"


def describe(trial: Trial, assessment: TrialAssessment) -> str:
    """Describe a trial and an explained assessment of it in one clinic line."""
    return f"{trial_label(trial, assessment)}: {assessment.summary}"


def _quantity(value: float | None) -> str:
    return "?" if value is None else num(value)


def trial_label(trial: Trial, assessment: TrialAssessment) -> str:
    """Describe a trial in one clinic phrase, e.g. 'T1 sertraline 100 mg/day × 8 wk (SSRI)'."""
    kind = trial.kind
    if kind in DRUG_KINDS or kind is TrialKind.AUGMENTATION:
        agent = assessment.agent
        if agent is not None and agent.unit is Unit.MMOL_PER_L:
            amount = f"level {_quantity(trial.serum_level_mmol_per_l)} mmol/L"
        else:
            amount = f"{_quantity(trial.dose_mg_per_day)} mg/day"
        name = trial.agent or "agent not recorded"
        label = f"{trial.id} {name} {amount} × {_quantity(trial.weeks)} wk"
        if kind is TrialKind.ANTIDEPRESSANT:
            drug_class = agent.drug_class if agent is not None else trial.drug_class
            return f"{label} ({drug_class or 'class not recorded'})"
        added = f"added to {trial.augments_trial}" if trial.augments_trial else "added"
        return f"{label} ({kind}, {added})"
    if kind is TrialKind.PSYCHOTHERAPY:
        therapy = trial.therapy_type or trial.agent or "psychotherapy"
        return f"{trial.id} {therapy} × {_quantity(trial.sessions)} sessions"
    if kind in INTENSIFIED_KINDS:
        return f"{trial.id} {kind.replace('_', ' ')} × {_quantity(trial.weeks)} wk"
    label = f"{trial.id} {kind} × {_quantity(trial.sessions)} sessions"
    if kind is TrialKind.ECT:
        return f"{label}, {trial.electrode_placement or 'placement not recorded'}"
    return label
