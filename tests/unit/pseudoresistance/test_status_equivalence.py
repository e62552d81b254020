"""The fast case status (issue 18) gives exactly what the item-by-item reading gave.

`reference_report` is the status as written before issue 18: a finding for every applicable
item of every trial. The live `case_status_report` only looks at answered items and the RED
items of each trial's kind; over random answers, kinds and claims the two must be equal.
"""

from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoresistance.checklist_data import (
    ITEMS,
    Answer,
    ChecklistItem,
    FlagLevel,
    Scope,
    case_status,
    case_status_text,
    item_applies,
)
from pseudoresistance.status import (
    CASE_RED_DOMAINS,
    Effective,
    Finding,
    StatusReport,
    TrialFacts,
    case_status_report,
)
from staging.history import TrialKind


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


def reference_report(
    *,
    items: Sequence[ChecklistItem],
    trials: Sequence[TrialFacts],
    answers: Mapping[tuple[str, str | None], Effective],
) -> StatusReport:
    """The section 2.0 status as computed before issue 18 (one finding per applicable item)."""
    trial_items = [item for item in items if item.scope is Scope.TRIAL]
    episode_items = [item for item in items if item.scope is Scope.EPISODE]
    none = Effective()
    red_concerns: list[Finding] = []
    contributors: list[Finding] = []
    gaps: list[Finding] = []
    excluded: dict[str, tuple[Finding, ...]] = {}
    valid: list[str] = []
    unverified: list[str] = []
    n_claimed = 0
    for trial in trials:
        findings = [
            _finding(item, trial.code, answers.get((item.code, trial.code), none))
            for item in trial_items
            if item_applies(item.code, trial.kind)
        ]
        red_yes = tuple(f for f in findings if f.red and _is_concern(f))
        trial_gaps = [f for f in findings if _is_gap(f)]
        red_concerns.extend(red_yes)
        contributors.extend(f for f in findings if not f.red and _is_concern(f))
        if red_yes:
            excluded[trial.code] = red_yes
        if not trial.claimed_failure:
            continue
        n_claimed += 1
        if red_yes:
            continue
        if trial_gaps:
            unverified.append(trial.code)
            gaps.extend(trial_gaps)
        else:
            valid.append(trial.code)
    case_red_yes = False
    case_red_unknown = False
    process: list[Finding] = []
    for item in episode_items:
        finding = _finding(item, None, answers.get((item.code, None), none))
        concern = _is_concern(finding)
        if item.flag is FlagLevel.PROCESS:
            if concern:
                process.append(finding)
        elif finding.red and item.domain in CASE_RED_DOMAINS:
            if concern:
                case_red_yes = True
                red_concerns.append(finding)
            elif _is_gap(finding):
                case_red_unknown = True
                gaps.append(finding)
        elif concern:
            contributors.append(finding)
    status = case_status(
        case_red_yes=case_red_yes,
        case_red_unknown=case_red_unknown,
        n_claimed=n_claimed,
        n_valid=len(valid),
        n_unverified=len(unverified),
    )
    text = case_status_text(status, contributors_present=bool(contributors), data_gaps=len(gaps))
    item_order = {item.code: index for index, item in enumerate(items)}
    return StatusReport(
        status=status,
        text=text,
        n_claimed=n_claimed,
        n_valid=len(valid),
        n_unverified=len(unverified),
        # Gaps by priority (the checklist issue): case-level first, then in the checklist's order.
        data_gaps=tuple(
            sorted(gaps, key=lambda gap: (not gap.high_priority, item_order[gap.item.code]))
        ),
        red_concerns=tuple(red_concerns),
        contributors=tuple(contributors),
        process_concerns=tuple(process),
        excluded=excluded,
        unverified=tuple(unverified),
        valid=tuple(valid),
    )


def assert_same_report(new: StatusReport, old: StatusReport) -> None:
    """Assert two status reports are equal, field by field (findings in the same order)."""
    assert new.status is old.status
    assert new.text == old.text
    assert (new.n_claimed, new.n_valid, new.n_unverified) == (
        old.n_claimed,
        old.n_valid,
        old.n_unverified,
    )
    assert new.data_gaps == old.data_gaps
    assert new.red_concerns == old.red_concerns
    assert new.contributors == old.contributors
    assert new.process_concerns == old.process_concerns
    assert dict(new.excluded) == dict(old.excluded)
    assert list(new.excluded) == list(old.excluded)
    assert (new.unverified, new.valid) == (old.unverified, old.valid)


KINDS = [None, *(kind.value for kind in TrialKind)]
effectives = st.builds(
    Effective,
    answer=st.one_of(st.none(), st.sampled_from(Answer)),
    escalated=st.booleans(),
    derived=st.booleans(),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[TrialFacts], dict[tuple[str, str | None], Effective]]:
    trials = [
        TrialFacts(f"T{n}", draw(st.booleans()), draw(st.sampled_from(KINDS)))
        for n in range(1, draw(st.integers(0, 6)) + 1)
    ]
    codes = [item.code for item in ITEMS]
    places: list[str | None] = [None, *(trial.code for trial in trials), "T99"]
    keys = st.tuples(st.sampled_from(codes), st.sampled_from(places))
    answers = draw(st.dictionaries(keys, effectives, max_size=60))
    if draw(st.booleans()):
        # Every RED item answered No somewhere: the statuses beyond "unverified" are reached.
        for item in ITEMS:
            if item.flag is FlagLevel.RED:
                for place in places:
                    answers.setdefault((item.code, place), Effective(Answer.NO))
    return trials, answers


@settings(max_examples=400, deadline=None)
@given(cases())
def test_the_status_equals_the_item_by_item_reading(
    case: tuple[list[TrialFacts], dict[tuple[str, str | None], Effective]],
) -> None:
    trials, answers = case
    new = case_status_report(items=ITEMS, trials=trials, answers=answers)
    old = reference_report(items=ITEMS, trials=trials, answers=answers)
    assert_same_report(new, old)


def test_an_earlier_version_subset_of_items_reads_the_same() -> None:
    items = tuple(item for n, item in enumerate(ITEMS) if n % 3)
    trials = [TrialFacts("T1", True, "ssri"), TrialFacts("T2", True, None)]
    answers = {(items[0].code, "T1"): Effective(Answer.YES)}
    assert_same_report(
        case_status_report(items=items, trials=trials, answers=answers),
        reference_report(items=items, trials=trials, answers=answers),
    )
