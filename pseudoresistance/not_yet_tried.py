"""Part 3: the treatment classes without a documented adequate trial in this episode.

Informational only (scales-and-checklist.md 0.2 item 1 and 5.3): rows stay in the table's order
inside their group, and nothing here ranks, doses or recommends. A trial counts as tried when
staging judges it adequate (or the clinician's adequacy override says so) and no RED checklist
concern removes it; `options_data.MatchRule` says which class it is.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from pseudoresistance.options_data import (
    KIND_ANTIDEPRESSANT,
    KIND_COMBINATION,
    LISTED_OPTIONS,
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


def not_yet_tried(trials: Sequence[TriedTrial]) -> tuple[OptionGroupRows, ...]:
    """Return the listed Part 3 rows without an adequate trial, grouped, in the table's order."""
    remaining = [row for row in LISTED_OPTIONS if not is_tried(row, trials)]
    return tuple(
        OptionGroupRows(group, rows)
        for group in OptionGroup
        if (rows := tuple(row for row in remaining if row.group is group))
    )
