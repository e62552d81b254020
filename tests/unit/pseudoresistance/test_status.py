"""Case status wiring (section 2.0): which trials count, data gaps, contributors, the banner."""

import pytest

from pseudoresistance.checklist_data import (
    CASE_STATUS_TEXT,
    CONTRIBUTORS_SUFFIX,
    ITEMS,
    Answer,
    CaseStatus,
    Domain,
    FlagLevel,
    Scope,
)
from pseudoresistance.status import (
    ANSWERED_UNKNOWN,
    NOT_ANSWERED,
    Effective,
    TrialFacts,
    case_status_report,
)

RED_TRIAL_ITEMS = [i.code for i in ITEMS if i.scope is Scope.TRIAL and i.flag is FlagLevel.RED]
RED_CASE_ITEMS = [i.code for i in ITEMS if i.scope is Scope.EPISODE and i.flag is FlagLevel.RED]
NO = Effective(Answer.NO)
YES = Effective(Answer.YES)
UNKNOWN = Effective(Answer.UNKNOWN)

Answers = dict[tuple[str, str | None], Effective]


def verified(*trials: str) -> Answers:
    """Every RED item answered No: for the trials named and for the case."""
    answers: Answers = {(code, trial): NO for trial in trials for code in RED_TRIAL_ITEMS}
    answers.update({(code, None): NO for code in RED_CASE_ITEMS})
    return answers


def report(answers: Answers, *trials: TrialFacts):  # type: ignore[no-untyped-def]
    return case_status_report(items=ITEMS, trials=trials, answers=answers)


FAILED = (TrialFacts("T1", claimed_failure=True), TrialFacts("T2", claimed_failure=True))


def test_two_verified_failures_meet_the_common_definition() -> None:
    result = report(verified("T1", "T2"), *FAILED)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert result.text == CASE_STATUS_TEXT[CaseStatus.MEETS_COMMON_DEFINITION]
    assert (result.n_claimed, result.n_valid, result.n_unverified) == (2, 2, 0)
    assert result.data_gaps == ()


def test_red_yes_on_a_trial_excludes_it_from_the_failure_count() -> None:
    answers = verified("T1", "T2")
    answers[("A5", "T2")] = YES
    result = report(answers, *FAILED)
    assert (result.n_claimed, result.n_valid) == (2, 1)
    assert list(result.excluded) == ["T2"]
    assert [f.item.code for f in result.excluded["T2"]] == ["A5"]
    assert result.status is CaseStatus.PSEUDO_RESISTANCE_INADEQUATE_TRIALS


def test_two_valid_failures_besides_an_excluded_one_still_meet_the_definition() -> None:
    answers = verified("T1", "T2", "T3")
    answers[("A1", "T1")] = YES
    trials = (*FAILED, TrialFacts("T3", claimed_failure=True))
    result = report(answers, *trials)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert (result.n_claimed, result.valid) == (3, ("T2", "T3"))


def test_red_unknown_on_a_trial_is_a_data_gap_and_the_case_is_unverified() -> None:
    answers = verified("T1", "T2")
    answers[("A4", "T1")] = UNKNOWN
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.UNVERIFIED_DATA_GAPS
    assert result.unverified == ("T1",)
    assert [(g.where, g.gap_text) for g in result.data_gaps] == [("A4 on T1", ANSWERED_UNKNOWN)]
    assert result.text.endswith("(1)")


def test_an_unanswered_red_item_is_a_data_gap_too() -> None:
    answers = verified("T1", "T2")
    del answers[("A17", "T2")]
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.UNVERIFIED_DATA_GAPS
    assert [(g.where, g.gap_text) for g in result.data_gaps] == [("A17 on T2", NOT_ANSWERED)]


def test_gaps_on_a_trial_that_is_not_a_claimed_failure_do_not_matter() -> None:
    answers = verified("T1", "T2")
    trials = (*FAILED, TrialFacts("T3", claimed_failure=False))
    result = report(answers, *trials)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert result.data_gaps == ()


def test_a_case_level_red_unknown_makes_the_case_unverified() -> None:
    answers = verified("T1", "T2")
    answers[("B3", None)] = UNKNOWN
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.UNVERIFIED_DATA_GAPS
    assert [g.where for g in result.data_gaps] == ["B3"]


def test_a_case_level_red_concern_is_pseudo_resistance_whatever_the_counts() -> None:
    answers = verified("T1", "T2")
    answers[("B1", None)] = Effective(Answer.YES, derived=True)
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR
    assert [(f.where, f.derived) for f in result.red_concerns] == [("B1", True)]


def test_amber_concerns_are_contributors_and_join_the_met_status() -> None:
    answers = verified("T1", "T2")
    answers[("E1", None)] = YES
    answers[("A2", "T1")] = YES
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert result.text.endswith(CONTRIBUTORS_SUFFIX)
    assert [f.where for f in result.contributors] == ["A2 on T1", "E1"]
    assert result.n_valid == 2


def test_an_escalated_amber_item_counts_as_red_on_its_trial() -> None:
    answers = verified("T1", "T2")
    answers[("A3", "T1")] = Effective(Answer.YES, escalated=True)
    result = report(answers, *FAILED)
    assert result.n_valid == 1
    assert [f.where for f in result.excluded["T1"]] == ["A3 on T1"]
    assert result.contributors == ()


def test_an_escalated_amber_case_item_is_a_case_level_red_concern() -> None:
    answers = verified("T1", "T2")
    answers[("C1", None)] = Effective(Answer.YES, escalated=True)
    assert report(answers, *FAILED).status is CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR


def test_escalating_an_item_that_cannot_escalate_changes_nothing() -> None:
    answers = verified("T1", "T2")
    answers[("E1", None)] = Effective(Answer.YES, escalated=True)
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert [f.where for f in result.contributors] == ["E1"]


def test_unknown_is_the_concern_itself_on_yes_or_unknown_items_not_a_gap() -> None:
    answers = verified("T1", "T2")
    answers[("C1", None)] = Effective(Answer.UNKNOWN, escalated=True)
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR
    assert result.data_gaps == ()


@pytest.mark.parametrize("code", [i.code for i in ITEMS if i.domain is Domain.F])
def test_process_concerns_show_a_banner_and_never_change_the_status(code: str) -> None:
    answers = verified("T1", "T2")
    answers[(code, None)] = NO
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.MEETS_COMMON_DEFINITION
    assert [f.item.code for f in result.process_concerns] == [code]
    assert result.process_banner is not None
    assert "1 open item" in result.process_banner


def test_no_process_concern_means_no_banner() -> None:
    assert report(verified("T1", "T2"), *FAILED).process_banner is None


def test_fewer_than_two_claimed_failures_do_not_meet_the_definition() -> None:
    result = report(verified("T1"), FAILED[0])
    assert result.status is CaseStatus.DOES_NOT_MEET_DEFINITION
    assert result.n_claimed == 1


def test_one_valid_and_one_unverified_failure_is_unverified() -> None:
    answers = verified("T1")
    result = report(answers, *FAILED)
    assert result.status is CaseStatus.UNVERIFIED_DATA_GAPS
    assert result.valid == ("T1",)
    assert result.unverified == ("T2",)
    assert {g.trial for g in result.data_gaps} == {"T2"}


def test_case_level_gaps_come_first_and_the_counts_read_red_then_high_then_the_rest() -> None:
    answers = verified("T1", "T2")
    del answers[("A5", "T1")]
    del answers[("A1", "T2")]
    answers[("B9", None)] = UNKNOWN
    answers[("B3", None)] = YES
    result = report(answers, *FAILED)
    assert [gap.where for gap in result.data_gaps] == ["B9", "A1 on T2", "A5 on T1"]
    assert [gap.high_priority for gap in result.data_gaps] == [True, False, False]
    assert result.counts_text == "1 RED concern · 1 high-priority gap · 2 other gaps"


def test_only_the_first_five_gaps_are_top_ones() -> None:
    trials = [TrialFacts(f"T{n}", claimed_failure=True) for n in range(4)]
    answers = verified(*(trial.code for trial in trials))
    for trial in trials:
        del answers[("A5", trial.code)], answers[("A1", trial.code)]
    result = report(answers, *trials)
    assert len(result.top_gaps()) == 5
    assert result.top_gaps() + result.more_gaps == result.data_gaps
