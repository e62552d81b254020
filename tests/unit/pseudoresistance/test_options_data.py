"""Part 3 as data: the rows, which are listed, how recorded trials match them, the wording."""

import re

import pytest

from pseudoresistance.options_data import (
    ANTIDEPRESSANT_CLASSES,
    AUGMENTER_CLASSES,
    GUIDELINE_DISAGREEMENTS,
    KIND_AUGMENTATION,
    KIND_ECT,
    KIND_ESKETAMINE,
    KIND_KETAMINE,
    KIND_PSYCHOTHERAPY,
    KIND_RTMS,
    LIST_HEADING,
    LIST_NOTE,
    LISTED_OPTIONS,
    OPTIONS,
    OPTIONS_BY_NUMBER,
    OPTIONS_VERSION,
    PSYCHOTHERAPY_TYPES,
    TRIAL_KINDS,
    ExclusionReason,
    MatchRequirement,
    MatchRule,
    OptionGroup,
    OptionRow,
)

# Part 3 has 29 rows; rows 28 (investigational) and 29 (not recommended) are not listed.
ROW_COUNT = 29
EXCLUDED = {28: ExclusionReason.INVESTIGATIONAL, 29: ExclusionReason.NOT_RECOMMENDED}
# The trial kinds each group may be matched by; anything else would mark the wrong class tried.
GROUP_KINDS = {
    OptionGroup.PSYCHOTHERAPY: {KIND_PSYCHOTHERAPY},
    OptionGroup.NEUROMODULATION: {KIND_ECT, KIND_RTMS},
    OptionGroup.RAPID_ACTING: {KIND_ESKETAMINE, KIND_KETAMINE},
    OptionGroup.PHARMACOLOGICAL_SWITCH: {"antidepressant", "combination"},
    OptionGroup.COMBINATION: {"combination"},
    OptionGroup.AUGMENTATION: {KIND_AUGMENTATION, "combination"},
    OptionGroup.LIFESTYLE: {KIND_PSYCHOTHERAPY},
    OptionGroup.OTHER: {"antidepressant"},
}


def row_named(fragment: str) -> OptionRow:
    [row] = [row for row in OPTIONS if fragment.casefold() in row.option.casefold()]
    return row


def rule_of(number: int) -> MatchRule:
    rule = OPTIONS_BY_NUMBER[number].matches
    assert rule is not None, number
    return rule


def test_options_version_is_a_dated_release() -> None:
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", OPTIONS_VERSION)


def test_rows_are_unique_and_numbered_in_table_order() -> None:
    assert [row.number for row in OPTIONS] == list(range(1, ROW_COUNT + 1))
    assert len({row.option for row in OPTIONS}) == ROW_COUNT
    assert set(OPTIONS_BY_NUMBER) == set(range(1, ROW_COUNT + 1))


def test_excluded_rows_are_investigational_and_not_recommended_and_unlisted() -> None:
    assert {row.number: row.exclusion for row in OPTIONS if row.exclusion} == EXCLUDED
    listed = {row.number for row in LISTED_OPTIONS}
    assert listed == set(range(1, ROW_COUNT + 1)) - set(EXCLUDED)
    assert len(LISTED_OPTIONS) == 27
    assert "Psilocybin" in OPTIONS_BY_NUMBER[28].examples
    assert OPTIONS_BY_NUMBER[29].examples == "Cannabis"


def test_excluded_rows_carry_no_matching_rule() -> None:
    for number in EXCLUDED:
        assert OPTIONS_BY_NUMBER[number].matches is None


def test_every_listed_row_has_a_matching_rule() -> None:
    for row in LISTED_OPTIONS:
        rule = row.matches
        assert rule is not None, row.number
        if rule.requirement is MatchRequirement.NOT_RECORDABLE:
            assert rule.note, row.number
            assert not rule.kinds, row.number
        else:
            assert rule.kinds, row.number


def test_only_other_neuromodulation_is_not_recordable() -> None:
    unrecordable = [
        row.number
        for row in LISTED_OPTIONS
        if row.matches and row.matches.requirement is MatchRequirement.NOT_RECORDABLE
    ]
    assert unrecordable == [16]


def test_rules_use_only_known_codes() -> None:
    classes = set(ANTIDEPRESSANT_CLASSES) | set(AUGMENTER_CLASSES)
    for row in LISTED_OPTIONS:
        rule = row.matches
        assert rule is not None
        assert set(rule.kinds) <= set(TRIAL_KINDS), row.number
        assert set(rule.classes) <= classes, row.number
        assert set(rule.therapy_types) <= set(PSYCHOTHERAPY_TYPES), row.number


def test_rules_match_only_the_trial_kinds_of_their_group() -> None:
    for row in LISTED_OPTIONS:
        assert row.matches is not None
        assert set(row.matches.kinds) <= GROUP_KINDS[row.group], row.number


def test_every_recordable_rule_can_match_a_trial() -> None:
    for row in LISTED_OPTIONS:
        rule = row.matches
        assert rule is not None
        if rule.requirement is MatchRequirement.NOT_RECORDABLE:
            continue
        assert rule.matches_trial(
            kind=rule.kinds[0],
            drug_class=rule.classes[0] if rule.classes else None,
            agent=rule.agents[0] if rule.agents else None,
            therapy_type=rule.therapy_types[0] if rule.therapy_types else None,
        ), row.number


@pytest.mark.parametrize(
    ("number", "trial", "matches"),
    [
        (5, {"kind": "antidepressant", "drug_class": "MAOI"}, True),
        (5, {"kind": "antidepressant", "drug_class": "RIMA"}, False),
        (4, {"kind": "combination", "drug_class": "TCA"}, True),
        (4, {"kind": "augmentation", "drug_class": "TCA"}, False),
        (6, {"kind": "augmentation", "agent": "Lithium"}, True),
        (7, {"kind": "augmentation", "agent": "t3"}, True),
        (7, {"kind": "augmentation", "agent": "lithium"}, False),
        (8, {"kind": "augmentation", "agent": "Quetiapine XR"}, True),
        (8, {"kind": "augmentation", "agent": "quetiapine-xr"}, True),
        (8, {"kind": "antidepressant", "agent": "quetiapine"}, False),
        (9, {"kind": "combination", "agent": "bupropion XL"}, True),
        (9, {"kind": "antidepressant", "agent": "bupropion"}, False),
        (10, {"kind": "combination", "agent": "mirtazapine"}, True),
        (10, {"kind": "combination", "drug_class": "SSRI", "agent": "sertraline"}, False),
        (11, {"kind": "esketamine"}, True),
        (12, {"kind": "esketamine"}, False),
        (13, {"kind": "ECT"}, True),
        (14, {"kind": "rTMS", "agent": "10 Hz left DLPFC"}, True),
        (15, {"kind": "rTMS", "agent": "10 Hz left DLPFC"}, False),
        (15, {"kind": "rTMS", "agent": "SNT"}, True),
        (16, {"kind": "rTMS", "agent": "VNS"}, False),
        (17, {"kind": "psychotherapy", "therapy_type": "cbt"}, True),
        (17, {"kind": "psychotherapy", "therapy_type": "CBT-I"}, False),
        (19, {"kind": "psychotherapy", "therapy_type": "BA"}, True),
        (25, {"kind": "psychotherapy", "therapy_type": "IPT"}, True),
        (25, {"kind": "psychotherapy", "therapy_type": "supportive"}, False),
        (26, {"kind": "augmentation", "agent": "modafinil"}, True),
        (27, {"kind": "psychotherapy", "therapy_type": "CBT-I"}, True),
    ],
)
def test_matches_trial(number: int, trial: dict[str, str], matches: bool) -> None:
    assert rule_of(number).matches_trial(**trial) is matches


def test_switch_and_combined_rows_state_their_set_requirement() -> None:
    assert rule_of(1).requirement is MatchRequirement.DOSE_OPTIMISED
    assert rule_of(2).requirement is MatchRequirement.SECOND_AGENT_SAME_CLASS
    assert rule_of(3).requirement is MatchRequirement.SECOND_CLASS
    assert rule_of(25).requirement is MatchRequirement.CONCURRENT_WITH_ANTIDEPRESSANT


def test_esketamine_row_carries_the_canmat_nice_disagreement() -> None:
    row = row_named("esketamine")
    assert row.guideline_disagreement is not None
    assert "CANMAT" in row.guideline_disagreement
    assert "NICE TA854 not recommended" in row.guideline_disagreement
    assert row.listed


def test_iv_ketamine_row_carries_its_disagreement() -> None:
    row = row_named("IV racemic ketamine")
    assert row.guideline_disagreement is not None
    assert "not covered by NICE" in row.guideline_disagreement


def test_disagreement_notes_come_from_the_spec_list() -> None:
    notes = {row.guideline_disagreement for row in OPTIONS if row.guideline_disagreement}
    assert notes == set(GUIDELINE_DISAGREEMENTS)


def test_heading_is_the_guardrail_wording_and_never_recommends() -> None:
    assert LIST_HEADING == (
        "Classes without a documented adequate trial in this episode (for clinician review)"
    )
    assert "recommend" not in LIST_HEADING.casefold()
    assert "recommend" not in LIST_NOTE.casefold()
