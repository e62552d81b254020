"""The pseudo-resistance checklist data: complete, ordered, consistent and in impasse language."""

import ast
import dataclasses
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pseudoresistance import checklist_data, options_data
from pseudoresistance.checklist_data import (
    CASE_STATUS_TEXT,
    CHECKLIST_VERSION,
    CONTRIBUTORS_SUFFIX,
    DERIVED_RULES,
    DERIVED_RULES_BY_KEY,
    DOMAIN_TITLES,
    FLAG_LABELS,
    ITEMS,
    ITEMS_BY_CODE,
    PROCESS_BANNER_TEXT,
    PUTMAN_CAUSES,
    PUTMAN_STEPS,
    STATUS_CONFIRMATION_NOTE,
    Answer,
    CaseStatus,
    ConcernAnswer,
    Domain,
    FlagLevel,
    Provenance,
    Scope,
    case_status,
    case_status_text,
    item_for,
    items_in,
)

# Items transcribed per domain: scales-and-checklist.md Part 2, sections 2.1 (A) to 2.6 (F).
EXPECTED_COUNTS = {
    Domain.A: 17,  # 2.1 Treatment adequacy, A1-A17
    Domain.B: 13,  # 2.2 Diagnostic accuracy, B1-B13
    Domain.C: 18,  # 2.3 Medical mimics and contributors, C1-C18
    Domain.D: 6,  # 2.4 Substances, D1-D6
    Domain.E: 12,  # 2.5 Psychosocial context and therapeutic alliance, E1-E12
    Domain.F: 12,  # 2.6 Assessment process, F1-F12
}
# Unconditional 🔴 in the Flag column of sections 2.1-2.4.
RED_ITEMS = {"A1", "A4", "A5", "A14", "A17", "B1", "B3", "B9"}
# Conditional flags ("🟠 (🔴 if …)" or "🔴 if …; 🟠 …"): stored AMBER, escalation per 2.0.
CONDITIONAL_ITEMS = {
    *("A3", "A6", "A7", "A8", "A9", "A11", "B2", "B10"),
    *("C1", "C7", "C8", "C10", "C18", "D1", "D3"),
}
# The records rules and the items they pre-answer (design.md; the derived-rule contract).
DERIVED_ITEMS = {
    "dose_below_minimum": "A1",
    "duration_short": "A3",
    "adherence_poor": "A5",
    "previous_episode": "A14",
    "psychotherapy_too_few_sessions": "A15",
    "neuromodulation_course_short": "A17",
    "bipolarity_suspected": "B1",
    "psychotherapy_never_tried": "E8",
    "episode_psychotherapy_too_few_sessions": "E10",
    "no_scale_based_outcome": "F4",
    "stopped_for_adverse_effects": "A4",
    "psychotic_features_recorded": "B3",
    "personality_pathology_recorded": "B6",
    "stressors_recorded": "E1",
}
PATIENT_LABEL = re.compile(r"treatment[- ]resistant|\bTRD\b|resistant", re.IGNORECASE)


def test_checklist_version_is_a_dated_release() -> None:
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", CHECKLIST_VERSION)


@pytest.mark.parametrize(("domain", "count"), EXPECTED_COUNTS.items())
def test_items_in_domain_match_the_spec_count(domain: Domain, count: int) -> None:
    assert len(items_in(domain)) == count


def test_every_domain_has_a_title() -> None:
    assert set(DOMAIN_TITLES) == set(Domain)
    assert Domain.A.label == "Treatment adequacy"
    assert Domain.F.label == "Assessment process (Putman's steps)"


def test_codes_are_unique_and_in_domain_then_number_order() -> None:
    codes = [item.code for item in ITEMS]
    assert len(codes) == len(set(codes)) == sum(EXPECTED_COUNTS.values())
    expected = [
        f"{domain}{number}"
        for domain, count in EXPECTED_COUNTS.items()
        for number in range(1, count + 1)
    ]
    assert codes == expected
    assert all(item.code.startswith(item.domain) for item in ITEMS)


def test_every_item_has_question_source_and_flag() -> None:
    for item in ITEMS:
        assert "?" in item.question, item.code
        assert item.why_it_matters.strip(), item.code
        assert item.screen.strip(), item.code
        assert item.source.strip(), item.code
        assert item.flag_as_published.strip(), item.code
        assert isinstance(item.flag, FlagLevel), item.code


def test_domain_a_is_answered_per_trial_and_the_rest_per_episode() -> None:
    for item in ITEMS:
        expected = Scope.TRIAL if item.domain is Domain.A else Scope.EPISODE
        assert item.scope is expected, item.code


def test_domain_f_items_are_process_and_no_other_item_is() -> None:
    for item in ITEMS:
        assert (item.flag is FlagLevel.PROCESS) == (item.domain is Domain.F), item.code


def test_red_items_are_the_unconditional_red_rows() -> None:
    assert {item.code for item in ITEMS if item.flag is FlagLevel.RED} == RED_ITEMS
    for code in RED_ITEMS:
        assert item_for(code).flag_as_published.startswith("🔴")
        assert item_for(code).escalation_hint is None


def test_conditional_flags_are_amber_with_an_escalation_hint_from_the_spec() -> None:
    conditional = {
        item.code
        for item in ITEMS
        if "🔴" in item.flag_as_published
        and ("🟠" in item.flag_as_published or " if " in item.flag_as_published)
    }
    assert conditional == CONDITIONAL_ITEMS
    for code in CONDITIONAL_ITEMS:
        item = item_for(code)
        assert item.flag is FlagLevel.AMBER
        assert item.can_escalate
        assert item.escalation_hint
        assert item.escalation_hint in item.flag_as_published


def test_only_conditional_items_can_escalate() -> None:
    assert {item.code for item in ITEMS if item.can_escalate} == CONDITIONAL_ITEMS


def test_concern_is_no_for_process_items_and_a16() -> None:
    no_items = {item.code for item in ITEMS if item.concern_answer is ConcernAnswer.NO}
    assert no_items == {"A16"} | {item.code for item in items_in(Domain.F)}


def test_yes_or_unknown_items_are_the_spec_ones() -> None:
    either = {item.code for item in ITEMS if item.concern_answer is ConcernAnswer.YES_OR_UNKNOWN}
    assert either == {"A6", "C1"}
    assert item_for("A6").concern_note == "Yes (below range) / Unknown when indicated"


@pytest.mark.parametrize(
    ("code", "answer", "concern"),
    [
        ("A1", Answer.YES, True),
        ("A1", Answer.NO, False),
        ("A1", Answer.UNKNOWN, False),
        ("F1", Answer.NO, True),
        ("F1", Answer.YES, False),
        ("C1", Answer.UNKNOWN, True),
        ("C1", Answer.NO, False),
        ("A16", Answer.NO, True),
    ],
)
def test_raises_concern_follows_the_concern_answer(
    code: str, answer: Answer, concern: bool
) -> None:
    assert item_for(code).raises_concern(answer) is concern


@pytest.mark.parametrize(
    ("code", "answer", "escalated", "gap"),
    [
        ("A1", Answer.UNKNOWN, False, True),  # RED + Unknown is a data gap (2.0)
        ("A1", Answer.YES, False, False),
        ("A2", Answer.UNKNOWN, False, False),  # AMBER: not a gap
        ("A2", Answer.UNKNOWN, True, False),  # A2 has no escalation, so stays AMBER
        ("A9", Answer.UNKNOWN, False, False),
        ("A9", Answer.UNKNOWN, True, True),  # escalated to RED by the clinician
        ("C1", Answer.UNKNOWN, True, False),  # Unknown is C1's concern, not a gap
    ],
)
def test_data_gap_is_unknown_on_a_red_item(
    code: str, answer: Answer, escalated: bool, gap: bool
) -> None:
    assert item_for(code).is_data_gap(answer, escalated=escalated) is gap


def test_items_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        item_for("A1").flag = FlagLevel.AMBER  # type: ignore[misc]


def test_provenance_is_the_weakest_tag_in_the_source() -> None:
    for item in ITEMS:
        if "⚠️" in item.source:
            expected = Provenance.PROPOSED
        elif "🔶" in item.source:
            expected = Provenance.ESTABLISHED
        else:
            expected = Provenance.VERIFIED
        assert item.provenance is expected, item.code
    assert {i.code for i in ITEMS if i.provenance is Provenance.PROPOSED} == {"D4", "E11"}


def test_derived_rules_are_the_records_contract() -> None:
    assert {rule.key: rule.item_code for rule in DERIVED_RULES} == DERIVED_ITEMS
    assert {item.derived_from: item.code for item in ITEMS if item.derived_from} == DERIVED_ITEMS


def test_derived_rules_reference_existing_items_of_the_same_scope() -> None:
    for rule in DERIVED_RULES:
        item = ITEMS_BY_CODE[rule.item_code]
        assert item.derived_from is rule.key
        assert rule.scope is item.scope
        assert DERIVED_RULES_BY_KEY[rule.key] is rule


def test_a_fired_rule_raises_the_concern_and_its_otherwise_answer_does_not() -> None:
    for rule in DERIVED_RULES:
        item = item_for(rule.item_code)
        assert item.raises_concern(rule.pre_answer), rule.key
        if rule.pre_answer_otherwise is not None:
            assert not item.raises_concern(rule.pre_answer_otherwise), rule.key


def test_only_duration_short_proposes_escalation_and_to_an_item_that_can_escalate() -> None:
    proposing = [rule for rule in DERIVED_RULES if rule.proposes_escalation_when]
    assert [rule.key for rule in proposing] == ["duration_short"]
    assert item_for(proposing[0].item_code).can_escalate


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (
            {"case_red_yes": True, "case_red_unknown": False, "n_claimed": 3, "n_valid": 3},
            CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR,
        ),
        (
            {"case_red_yes": False, "case_red_unknown": False, "n_claimed": 2, "n_valid": 2},
            CaseStatus.MEETS_COMMON_DEFINITION,
        ),
        (
            {"case_red_yes": False, "case_red_unknown": True, "n_claimed": 2, "n_valid": 2},
            CaseStatus.UNVERIFIED_DATA_GAPS,
        ),
        (
            {"case_red_yes": False, "case_red_unknown": False, "n_claimed": 2, "n_valid": 1},
            CaseStatus.PSEUDO_RESISTANCE_INADEQUATE_TRIALS,
        ),
        (
            {"case_red_yes": False, "case_red_unknown": True, "n_claimed": 0, "n_valid": 0},
            CaseStatus.UNVERIFIED_DATA_GAPS,
        ),
        (
            {"case_red_yes": False, "case_red_unknown": False, "n_claimed": 1, "n_valid": 1},
            CaseStatus.DOES_NOT_MEET_DEFINITION,
        ),
    ],
)
def test_case_status_follows_the_section_2_0_order(
    counts: dict[str, Any], expected: CaseStatus
) -> None:
    assert case_status(n_unverified=0, **counts) is expected


def test_unverified_trials_make_the_case_unverified_not_met() -> None:
    status = case_status(
        case_red_yes=False, case_red_unknown=False, n_claimed=2, n_valid=1, n_unverified=1
    )
    assert status is CaseStatus.UNVERIFIED_DATA_GAPS


def test_status_text_adds_contributors_only_to_a_met_definition() -> None:
    met = case_status_text(CaseStatus.MEETS_COMMON_DEFINITION, contributors_present=True)
    assert met.endswith(CONTRIBUTORS_SUFFIX)
    other = case_status_text(CaseStatus.DOES_NOT_MEET_DEFINITION, contributors_present=True)
    assert CONTRIBUTORS_SUFFIX not in other


def test_status_text_counts_data_gaps() -> None:
    assert case_status_text(CaseStatus.UNVERIFIED_DATA_GAPS, data_gaps=3) == (
        "Unverified: data gaps (3)"
    )


def test_every_status_has_wording() -> None:
    assert set(CASE_STATUS_TEXT) == set(CaseStatus)


def test_no_status_wording_calls_a_patient_resistant() -> None:
    texts = [
        *CASE_STATUS_TEXT.values(),
        *(
            case_status_text(status, contributors_present=True, data_gaps=2)
            for status in CaseStatus
        ),
        CONTRIBUTORS_SUFFIX,
        STATUS_CONFIRMATION_NOTE,
        PROCESS_BANNER_TEXT,
        *FLAG_LABELS.values(),
        *DOMAIN_TITLES.values(),
    ]
    for text in texts:
        assert not PATIENT_LABEL.search(text), text


def test_definition_statuses_say_the_treatments_tried_meet_it() -> None:
    for status in (CaseStatus.MEETS_COMMON_DEFINITION, CaseStatus.DOES_NOT_MEET_DEFINITION):
        assert CASE_STATUS_TEXT[status].startswith("The treatments tried ")


def test_no_item_question_labels_the_patient_treatment_resistant() -> None:
    for item in ITEMS:
        assert not re.search(r"treatment[- ]resistant", item.question, re.IGNORECASE), item.code


def test_putman_mapping_references_existing_items() -> None:
    for link in (*PUTMAN_CAUSES, *PUTMAN_STEPS):
        assert link.items, link.label
        for code in link.items:
            assert code in ITEMS_BY_CODE, (link.label, code)


def test_putman_has_nine_causes_and_nine_numbered_steps() -> None:
    assert len(PUTMAN_CAUSES) == 9
    assert [link.step for link in PUTMAN_STEPS] == list(range(1, 10))
    assert len(PUTMAN_STEPS[0].items) == 14  # F1 and B1-B13


def imported_modules(module: ModuleType) -> set[str]:
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return names


@pytest.mark.parametrize("module", [checklist_data, options_data])
def test_data_modules_import_no_django(module: ModuleType) -> None:
    imported = imported_modules(module)
    assert "dataclasses" in imported
    assert not {name for name in imported if name.split(".")[0] == "django"}
