"""Part 3 matching: which classes have an adequate trial in this episode, grouped, unranked."""

import datetime

from pseudoresistance.not_yet_tried import TriedTrial, is_tried, not_yet_tried
from pseudoresistance.options_data import (
    LISTED_OPTIONS,
    OPTIONS_BY_NUMBER,
    OptionGroup,
)

START = datetime.date(2026, 2, 1)
DOSE_OPTIMISATION, WITHIN_CLASS, BETWEEN_CLASSES, TCA, LITHIUM = 1, 2, 3, 4, 6
ECT, CBT, COMBINED, OTHER_NEUROMODULATION = 13, 17, 25, 16


def antidepressant(
    code: str, agent: str, drug_class: str, *, adequate: bool = True, **fields: object
) -> TriedTrial:
    values: dict[str, object] = {
        "code": code,
        "kind": "antidepressant",
        "adequate": adequate,
        "start": START,
        "end": START + datetime.timedelta(weeks=8),
        "drug_class": drug_class,
        "agent": agent,
        "molecule": agent,
    }
    return TriedTrial(**{**values, **fields})  # type: ignore[arg-type]


def listed(trials: list[TriedTrial]) -> set[int]:
    return {row.number for group in not_yet_tried(trials) for row in group.rows}


def test_with_no_trials_every_listed_class_is_not_yet_tried() -> None:
    assert listed([]) == {row.number for row in LISTED_OPTIONS}


def test_investigational_and_not_recommended_rows_are_never_listed() -> None:
    assert not {28, 29} & listed([])


def test_one_adequate_ssri_is_neither_a_switch_within_nor_between_classes() -> None:
    remaining = listed([antidepressant("T1", "sertraline", "SSRI")])
    assert {WITHIN_CLASS, BETWEEN_CLASSES} <= remaining


def test_two_adequate_ssris_are_a_switch_within_class() -> None:
    trials = [
        antidepressant("T1", "sertraline", "SSRI"),
        antidepressant("T2", "citalopram", "SSRI"),
    ]
    remaining = listed(trials)
    assert WITHIN_CLASS not in remaining
    assert BETWEEN_CLASSES in remaining


def test_the_same_molecule_twice_is_not_a_switch_within_class() -> None:
    trials = [
        antidepressant("T1", "paroxetine", "SSRI"),
        antidepressant("T2", "paroxetine CR", "SSRI", molecule="paroxetine"),
    ]
    assert WITHIN_CLASS in listed(trials)


def test_an_ssri_then_an_snri_are_a_switch_between_classes() -> None:
    trials = [
        antidepressant("T1", "sertraline", "SSRI"),
        antidepressant("T2", "venlafaxine", "SNRI"),
    ]
    assert BETWEEN_CLASSES not in listed(trials)


def test_an_inadequate_trial_does_not_mark_its_class_tried() -> None:
    trials = [antidepressant("T1", "nortriptyline", "TCA", adequate=False)]
    assert TCA in listed(trials)
    assert TCA not in listed([antidepressant("T1", "nortriptyline", "TCA")])


def test_dose_optimisation_needs_an_adequate_optimised_antidepressant_trial() -> None:
    plain = antidepressant("T1", "sertraline", "SSRI")
    assert DOSE_OPTIMISATION in listed([plain])
    optimised = antidepressant("T1", "sertraline", "SSRI", dose_optimised=True)
    assert DOSE_OPTIMISATION not in listed([optimised])


def test_lithium_augmentation_matches_by_agent_or_class() -> None:
    lithium = TriedTrial(
        code="T2", kind="augmentation", adequate=True, start=START, agent="lithium"
    )
    assert LITHIUM not in listed([lithium])


def test_ect_course_marks_ect_tried() -> None:
    course = TriedTrial(code="T3", kind="ECT", adequate=True, start=START)
    assert ECT not in listed([course])


def cbt(start: datetime.date, end: datetime.date | None) -> TriedTrial:
    return TriedTrial(
        code="T4", kind="psychotherapy", adequate=True, start=start, end=end, therapy_type="CBT"
    )


def test_cbt_alongside_an_adequate_antidepressant_is_combined_treatment() -> None:
    drug = antidepressant("T1", "sertraline", "SSRI")
    alongside = cbt(START + datetime.timedelta(weeks=2), START + datetime.timedelta(weeks=14))
    remaining = listed([drug, alongside])
    assert CBT not in remaining
    assert COMBINED not in remaining


def test_cbt_after_the_antidepressant_ended_is_not_combined_treatment() -> None:
    drug = antidepressant("T1", "sertraline", "SSRI")
    later = cbt(START + datetime.timedelta(weeks=20), None)
    remaining = listed([drug, later])
    assert CBT not in remaining
    assert COMBINED in remaining


def test_a_row_no_trial_kind_records_stays_on_the_list() -> None:
    row = OPTIONS_BY_NUMBER[OTHER_NEUROMODULATION]
    anything = [TriedTrial(code="T1", kind="rTMS", adequate=True, start=START, agent="VNS")]
    assert not is_tried(row, anything)


def test_rows_are_grouped_in_group_order_and_keep_the_tables_order_inside() -> None:
    groups = not_yet_tried([])
    assert [group.group for group in groups] == [
        group for group in OptionGroup if any(row.group is group for row in LISTED_OPTIONS)
    ]
    for group in groups:
        numbers = [row.number for row in group.rows]
        assert numbers == sorted(numbers)
