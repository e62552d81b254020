"""Part 3: the treatment classes without a documented adequate trial in this episode.

Informational only (scales-and-checklist.md 0.2 item 1 and 5.3): rows stay in the table's order
inside their group, and nothing here ranks, doses or recommends. A trial counts as tried when
staging judges it adequate (or the clinician's adequacy override says so) and no RED checklist
concern removes it; `options_data.MatchRule` says which class it is.
"""

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from pseudoresistance.options_data import (
    ANTIDEPRESSANT_ONLY_ROWS,
    BIPOLAR_OPTIONS,
    KIND_ANTIDEPRESSANT,
    KIND_COMBINATION,
    LISTED_OPTIONS,
    NOT_WITHOUT_ANTIPSYCHOTIC,
    NOT_WITHOUT_MOOD_STABILISER,
    PSYCHOTIC_LEADING_ROWS,
    MatchRequirement,
    MatchRule,
    OptionGroup,
    OptionRow,
)

# The antidepressant trials a psychotherapy must run alongside to be "combined" (row 25).
ANTIDEPRESSANT_KINDS = frozenset({KIND_ANTIDEPRESSANT, KIND_COMBINATION})


@dataclass(frozen=True, slots=True)
class TriedTrial:
    """One current-episode trial as the comparison reads it."""

    code: str
    kind: str
    adequate: bool
    start: datetime.date
    # The last day of treatment when known (end date, or start plus weeks at dose).
    end: datetime.date | None = None
    drug_class: str | None = None
    agent: str | None = None
    molecule: str | None = None
    therapy_type: str | None = None
    dose_optimised: bool = False

    def matches(self, rule: MatchRule) -> bool:
        return rule.matches_trial(
            kind=self.kind,
            drug_class=self.drug_class,
            agent=self.agent,
            therapy_type=self.therapy_type,
        )

    def overlaps(self, other: "TriedTrial") -> bool:
        """Return whether the two trials ran at the same time (an unknown end is the start)."""
        own_end = self.end or self.start
        other_end = other.end or other.start
        return self.start <= other_end and other.start <= own_end


@dataclass(frozen=True, slots=True)
class OptionGroupRows:
    group: OptionGroup
    rows: tuple[OptionRow, ...]


def _tried(rule: MatchRule, trials: Sequence[TriedTrial]) -> bool:
    requirement = rule.requirement
    if requirement is MatchRequirement.NOT_RECORDABLE:
        return False
    matching = [trial for trial in trials if trial.adequate and trial.matches(rule)]
    if requirement is MatchRequirement.ANY_MATCHING_TRIAL:
        return bool(matching)
    if requirement is MatchRequirement.DOSE_OPTIMISED:
        return any(trial.dose_optimised for trial in matching)
    if requirement is MatchRequirement.SECOND_AGENT_SAME_CLASS:
        molecules: dict[str, set[str]] = {}
        for trial in matching:
            if trial.drug_class and trial.molecule:
                molecules.setdefault(trial.drug_class, set()).add(trial.molecule)
        return any(len(names) >= 2 for names in molecules.values())
    if requirement is MatchRequirement.SECOND_CLASS:
        return len({trial.drug_class for trial in matching if trial.drug_class}) >= 2
    antidepressants = [
        trial for trial in trials if trial.adequate and trial.kind in ANTIDEPRESSANT_KINDS
    ]
    return any(therapy.overlaps(drug) for therapy in matching for drug in antidepressants)


def is_tried(row: OptionRow, trials: Sequence[TriedTrial]) -> bool:
    """Return whether the episode's trials hold an adequate trial of the row's class."""
    return row.matches is not None and _tried(row.matches, trials)


@dataclass(frozen=True, slots=True)
class DiagnosisContext:
    """What of the diagnosis changes the list (docs/clinical-rules.md, "Not yet tried")."""

    # Bipolar disorder recorded or suspected, B1 answered yes, or a switch to (hypo)mania.
    bipolar: bool = False
    # Psychotic features recorded on the episode, or B3 answered yes.
    psychotic: bool = False


UNIPOLAR_NON_PSYCHOTIC = DiagnosisContext()


def _with_caution(row: OptionRow, context: DiagnosisContext) -> OptionRow:
    if row.number not in ANTIDEPRESSANT_ONLY_ROWS:
        return row
    cautions = [
        caution
        for applies, caution in (
            (context.bipolar, NOT_WITHOUT_MOOD_STABILISER),
            (context.psychotic, NOT_WITHOUT_ANTIPSYCHOTIC),
        )
        if applies
    ]
    return dataclasses.replace(row, caution="; ".join(cautions)) if cautions else row


def not_yet_tried(
    trials: Sequence[TriedTrial], context: DiagnosisContext = UNIPOLAR_NON_PSYCHOTIC
) -> tuple[OptionGroupRows, ...]:
    """Return the listed rows without an adequate trial, grouped, in the table's order.

    Bipolar depression leads with its own first-line options and psychotic depression with an
    antidepressant plus an antipsychotic, and ECT; antidepressant-only rows then carry a caution.
    """
    remaining = [row for row in LISTED_OPTIONS if not is_tried(row, trials)]
    leading: list[OptionGroupRows] = []
    if context.bipolar:
        rows = tuple(row for row in BIPOLAR_OPTIONS if not is_tried(row, trials))
        if rows:
            leading.append(OptionGroupRows(OptionGroup.BIPOLAR_DEPRESSION, rows))
    if context.psychotic:
        moved = tuple(row for row in remaining if row.number in PSYCHOTIC_LEADING_ROWS)
        remaining = [row for row in remaining if row.number not in PSYCHOTIC_LEADING_ROWS]
        if moved:
            leading.append(OptionGroupRows(OptionGroup.PSYCHOTIC_DEPRESSION, moved))
    remaining = [_with_caution(row, context) for row in remaining]
    return (
        *leading,
        *(
            OptionGroupRows(group, rows)
            for group in OptionGroup
            if (rows := tuple(row for row in remaining if row.group is group))
        ),
    )
