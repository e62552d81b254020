"""The case status of section 2.0, wired to the answers: which trials count, gaps, contributors.

`checklist_data.case_status` holds the decision; this module feeds it. Readings:

- An item with no answer, stored or derived, counts like Unknown: on a RED item it is a data gap,
  so a case is never shown as meeting a definition before its RED items are answered.
- A conditional (AMBER) item escalated to RED counts as RED, for the trial it was answered on.
- Claimed failures are the current-episode antidepressant and combination trials that failed
  under the clinic's non-response rule (staging.adequacy), as in the common definition of
  "≥ 2 antidepressant trials" (CANMAT 2023 Q7.b, FDA, EMA).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pseudoresistance.checklist_data import (
    PROCESS_BANNER_TEXT,
    Answer,
    CaseStatus,
    ChecklistItem,
    Domain,
    FlagLevel,
    Scope,
    case_status,
    case_status_text,
    in_words,
    item_applies,
)

# Section 2.0: "case_red_yes = any RED item in B, C, D answered with the concern".
CASE_RED_DOMAINS = frozenset({Domain.B, Domain.C, Domain.D})
NOT_ANSWERED = "not yet answered"
# How many gaps the patient page and the report list before "and N more" (issue 17).
TOP_GAPS = 5
ANSWERED_UNKNOWN = "answered Unknown"


@dataclass(frozen=True, slots=True)
class Effective:
    """The answer that stands for one item: the clinician's, else the records' pre-answer."""

    answer: Answer | None = None
    escalated: bool = False
    derived: bool = False


class TrialFacts(NamedTuple):
    """What the status needs of one trial of the episode.

    A named tuple: restage makes one per trial (about 20,000 per 1,000 episodes), and a frozen
    dataclass costs three times as much to build (issue 18).
    """

    code: str
    claimed_failure: bool
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """An item that matters to the status: a concern, or a RED item without an answer."""

    item: ChecklistItem
    trial: str | None
    answer: Answer | None
    escalated: bool
    derived: bool

    @property
    def red(self) -> bool:
        return self.item.flag is FlagLevel.RED or (self.escalated and self.item.can_escalate)

    @property
    def gap_text(self) -> str:
        """Say why a RED item is a data gap: unanswered or answered Unknown."""
        return NOT_ANSWERED if self.answer is None else ANSWERED_UNKNOWN

    @property
    def where(self) -> str:
        return f"{self.item.code} on {self.trial}" if self.trial else self.item.code

    @property
    def question_text(self) -> str:
        return in_words(self.item.question)

    @property
    def high_priority(self) -> bool:
        """Return whether this gap holds up the whole case, not one trial (issue 17).

        An unanswered case-level RED item (bipolarity, psychosis, substances) can by itself make
        pseudo-resistance likely for every trial, so it is listed before any one trial's gap.
        """
        return self.item.scope is Scope.EPISODE


@dataclass(frozen=True)
class StatusReport:
    status: CaseStatus
    text: str
    n_claimed: int
    n_valid: int
    n_unverified: int
    data_gaps: tuple[Finding, ...]
    red_concerns: tuple[Finding, ...]
    contributors: tuple[Finding, ...]
    process_concerns: tuple[Finding, ...]
    # Trials a RED concern removes from the counts, with the concerns that remove them.
    excluded: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)
    unverified: tuple[str, ...] = ()
    valid: tuple[str, ...] = ()

    @property
    def high_priority_gaps(self) -> tuple[Finding, ...]:
        return tuple(gap for gap in self.data_gaps if gap.high_priority)

    @property
    def counts_text(self) -> str:
        """Count RED concerns, then high-priority gaps, then the other gaps, in words."""
        high = len(self.high_priority_gaps)
        parts = [
            _count(len(self.red_concerns), "RED concern"),
            _count(high, "high-priority gap"),
            _count(len(self.data_gaps) - high, "other gap"),
        ]
        return " · ".join(parts)

    def top_gaps(self, limit: int = TOP_GAPS) -> tuple[Finding, ...]:
        """Return the first gaps by priority, for the panels that show only a few."""
        return self.data_gaps[:limit]

    @property
    def more_gaps(self) -> tuple[Finding, ...]:
        """Return the gaps after the first few, for "N more"."""
        return self.data_gaps[TOP_GAPS:]

    @property
    def process_banner(self) -> str | None:
        """Return the confidence banner of the open process items, or None without any."""
        if not self.process_concerns:
            return None
        return PROCESS_BANNER_TEXT.format(count=len(self.process_concerns))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# Per checklist version's items (held to compare by identity), each item code's position.
_ORDER: dict[int, tuple[Sequence[ChecklistItem], dict[str, int]]] = {}
_ORDER_KEPT = 8


def _item_order(items: Sequence[ChecklistItem]) -> dict[str, int]:
    """Return each item code's position in the version's items, computed once per version."""
    entry = _ORDER.get(id(items))
    if entry is None or entry[0] is not items:
        if len(_ORDER) >= _ORDER_KEPT:
            _ORDER.clear()
        entry = (items, {item.code: index for index, item in enumerate(items)})
        _ORDER[id(items)] = entry
    return entry[1]


def _by_priority(gaps: list[Finding], items: Sequence[ChecklistItem]) -> tuple[Finding, ...]:
    """Order gaps: case-level first, then by the checklist's item order, trials as listed."""
    if not gaps:
        return ()
    order = _item_order(items)
    return tuple(sorted(gaps, key=lambda gap: (not gap.high_priority, order[gap.item.code])))


def _finding(item: ChecklistItem, trial: str | None, effective: Effective) -> Finding:
    escalated = effective.escalated and item.can_escalate
    return Finding(item, trial, effective.answer, escalated, effective.derived)


def _is_concern(finding: Finding) -> bool:
    return finding.answer is not None and finding.item.raises_concern(finding.answer)


def _is_gap(finding: Finding) -> bool:
    if not finding.red:
        return False
    if finding.answer is None:
        return True
    return finding.item.is_data_gap(finding.answer, escalated=finding.escalated)


@dataclass(frozen=True, slots=True)
class KindItems:
    """The trial-level items of a checklist version that concern one trial kind, in order."""

    items: tuple[ChecklistItem, ...]
    position: Mapping[str, int]
    # Positions of the items RED as published: unanswered, each is a data gap.
    red: tuple[int, ...]
    # What a trial's answers make of it, by trial code and answers: many trials share them.
    verdicts: dict[tuple[str, frozenset[tuple[str, Effective]]], "TrialVerdict"] = field(
        default_factory=dict
    )


@dataclass(frozen=True, slots=True)
class TrialVerdict:
    """One trial's RED concerns, contributing concerns and data gaps, from its answers."""

    red_yes: tuple[Finding, ...]
    contributors: tuple[Finding, ...]
    gaps: tuple[Finding, ...]


class Answered(dict[str, Effective]):
    """A trial's answers that stand, shared by trials answered alike: never change one.

    Holds the frozen form `_trial_verdict` keys its verdicts by, made once (restage, issue 18).
    """

    __slots__ = ("frozen",)

    def __init__(self, answers: Mapping[str, Effective]) -> None:
        super().__init__(answers)
        self.frozen = frozenset(self.items())


# Verdicts kept per kind before they are dropped (a bound on memory, not a tuning).
_VERDICTS_KEPT = 4096


def _trial_verdict(
    applicable: KindItems, code: str, answered: Mapping[str, Effective]
) -> TrialVerdict:
    """Judge one trial's answered items and its kind's RED items, once per distinct answers."""
    frozen = answered.frozen if type(answered) is Answered else frozenset(answered.items())
    key = (code, frozen)
    found = applicable.verdicts.get(key)
    if found is not None:
        return found
    position = applicable.position
    wanted = sorted({position[item] for item in answered if item in position}.union(applicable.red))
    none = Effective()
    red_yes: list[Finding] = []
    contributors: list[Finding] = []
    gaps: list[Finding] = []
    for n in wanted:
        item = applicable.items[n]
        effective = answered.get(item.code, none)
        answer = effective.answer
        escalated = effective.escalated and item.can_escalate
        concern = answer is not None and item.raises_concern(answer)
        if item.flag is not FlagLevel.RED and not escalated:
            if concern:
                contributors.append(_finding(item, code, effective))
        elif concern:
            red_yes.append(_finding(item, code, effective))
        elif answer is None or answer == Answer.UNKNOWN:
            gaps.append(_finding(item, code, effective))
    found = TrialVerdict(tuple(red_yes), tuple(contributors), tuple(gaps))
    if len(applicable.verdicts) >= _VERDICTS_KEPT:
        applicable.verdicts.clear()
    applicable.verdicts[key] = found
    return found


# Per checklist version's items (held to compare by identity), the items of each trial kind.
_KIND_ITEMS: dict[int, tuple[Sequence[ChecklistItem], dict[str | None, KindItems]]] = {}
_KIND_ITEMS_KEPT = 8


def kind_items(items: Sequence[ChecklistItem], kind: str | None) -> KindItems:
    """Return the trial-level items that concern a trial of this kind, computed once per version."""
    entry = _KIND_ITEMS.get(id(items))
    if entry is None or entry[0] is not items:
        if len(_KIND_ITEMS) >= _KIND_ITEMS_KEPT:
            _KIND_ITEMS.clear()
        entry = (items, {})
        _KIND_ITEMS[id(items)] = entry
    by_kind = entry[1]
    found = by_kind.get(kind)
    if found is None:
        applicable = tuple(
            item for item in items if item.scope is Scope.TRIAL and item_applies(item.code, kind)
        )
        found = KindItems(
            applicable,
            {item.code: n for n, item in enumerate(applicable)},
            tuple(n for n, item in enumerate(applicable) if item.flag is FlagLevel.RED),
        )
        by_kind[kind] = found
    return found


@dataclass(frozen=True, slots=True)
class EpisodeVerdict:
    """The episode-level items' RED concerns, data gaps, contributors and process concerns."""

    # The checklist version's items these were judged on, held to compare by identity.
    items: Sequence[ChecklistItem]
    red_yes: tuple[Finding, ...]
    gaps: tuple[Finding, ...]
    contributors: tuple[Finding, ...]
    process: tuple[Finding, ...]


_EPISODE_VERDICTS: dict[tuple[int, frozenset[tuple[str, Effective]]], EpisodeVerdict] = {}


def _episode_verdict(
    items: Sequence[ChecklistItem], answers: Mapping[str, Effective]
) -> EpisodeVerdict:
    """Judge every episode-level item on its answer, once per distinct answers."""
    key = (id(items), frozenset(answers.items()))
    found = _EPISODE_VERDICTS.get(key)
    if found is not None and found.items is items:
        return found
    none = Effective()
    red_yes: list[Finding] = []
    gaps: list[Finding] = []
    contributors: list[Finding] = []
    process: list[Finding] = []
    for item in items:
        if item.scope is not Scope.EPISODE:
            continue
        finding = _finding(item, None, answers.get(item.code, none))
        concern = _is_concern(finding)
        if item.flag is FlagLevel.PROCESS:
            if concern:
                process.append(finding)
        elif finding.red and item.domain in CASE_RED_DOMAINS:
            if concern:
                red_yes.append(finding)
            elif _is_gap(finding):
                gaps.append(finding)
        elif concern:
            contributors.append(finding)
    found = EpisodeVerdict(items, tuple(red_yes), tuple(gaps), tuple(contributors), tuple(process))
    if len(_EPISODE_VERDICTS) >= _VERDICTS_KEPT:
        _EPISODE_VERDICTS.clear()
    _EPISODE_VERDICTS[key] = found
    return found


def case_status_report(
    *,
    items: Sequence[ChecklistItem],
    trials: Sequence[TrialFacts],
    answers: Mapping[tuple[str, str | None], Effective],
) -> StatusReport:
    """Return the section 2.0 status of an episode from the answers that stand.

    `answers` maps (item code, trial code or None) to the effective answer; a missing key is an
    unanswered item. Of a trial's items only the answered ones and the RED ones can be a concern
    or a gap, so only they are read (tests/unit/pseudoresistance/test_status_equivalence.py).
    """
    by_trial: dict[str | None, dict[str, Effective]] = {}
    for (code, trial_code), effective in answers.items():
        by_trial.setdefault(trial_code, {})[code] = effective
    return grouped_status_report(items=items, trials=trials, by_trial=by_trial)


def grouped_status_report(
    *,
    items: Sequence[ChecklistItem],
    trials: Sequence[TrialFacts],
    by_trial: Mapping[str | None, Mapping[str, Effective]],
) -> StatusReport:
    """Return `case_status_report` of the answers grouped by trial code (None: the episode's)."""
    red_concerns: list[Finding] = []
    contributors: list[Finding] = []
    gaps: list[Finding] = []
    excluded: dict[str, tuple[Finding, ...]] = {}
    valid: list[str] = []
    unverified: list[str] = []
    n_claimed = 0
    no_answers: Mapping[str, Effective] = {}
    # Each kind's items, looked up once per episode rather than once per trial.
    kinds: dict[str | None, KindItems] = {}
    for trial in trials:
        applicable = kinds.get(trial.kind)
        if applicable is None:
            applicable = kinds[trial.kind] = kind_items(items, trial.kind)
        verdict = _trial_verdict(applicable, trial.code, by_trial.get(trial.code, no_answers))
        red_yes = verdict.red_yes
        contributors.extend(verdict.contributors)
        red_concerns.extend(red_yes)
        if red_yes:
            excluded[trial.code] = red_yes
        if not trial.claimed_failure:
            continue
        n_claimed += 1
        if red_yes:
            continue
        if verdict.gaps:
            unverified.append(trial.code)
            gaps.extend(verdict.gaps)
        else:
            valid.append(trial.code)
    episode = _episode_verdict(items, by_trial.get(None, no_answers))
    red_concerns.extend(episode.red_yes)
    gaps.extend(episode.gaps)
    contributors.extend(episode.contributors)
    case_red_yes = bool(episode.red_yes)
    case_red_unknown = bool(episode.gaps)
    process = episode.process
    status = case_status(
        case_red_yes=case_red_yes,
        case_red_unknown=case_red_unknown,
        n_claimed=n_claimed,
        n_valid=len(valid),
        n_unverified=len(unverified),
    )
    text = case_status_text(status, contributors_present=bool(contributors), data_gaps=len(gaps))
    return StatusReport(
        status=status,
        text=text,
        n_claimed=n_claimed,
        n_valid=len(valid),
        n_unverified=len(unverified),
        data_gaps=_by_priority(gaps, items),
        red_concerns=tuple(red_concerns),
        contributors=tuple(contributors),
        process_concerns=tuple(process),
        excluded=excluded,
        unverified=tuple(unverified),
        valid=tuple(valid),
    )
