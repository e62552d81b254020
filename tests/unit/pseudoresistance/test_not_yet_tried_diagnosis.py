"""The not-yet-tried list in bipolar and psychotic depression (docs/clinical-rules.md)."""

import datetime

from pseudoresistance.not_yet_tried import DiagnosisContext, TriedTrial, not_yet_tried
from pseudoresistance.options_data import (
    NOT_WITHOUT_ANTIPSYCHOTIC,
    NOT_WITHOUT_MOOD_STABILISER,
    OptionGroup,
)

START = datetime.date(2026, 2, 1)
BIPOLAR = DiagnosisContext(bipolar=True)
PSYCHOTIC = DiagnosisContext(psychotic=True)


def augmentation(agent: str, drug_class: str) -> TriedTrial:
    return TriedTrial(
        code="T2",
        kind="augmentation",
        adequate=True,
        start=START,
        end=START + datetime.timedelta(weeks=8),
        drug_class=drug_class,
        agent=agent,
        molecule=agent,
    )


def cautions(groups: tuple) -> dict[int, str | None]:  # type: ignore[type-arg]
    return {row.number: row.caution for group in groups for row in group.rows}


def test_bipolar_depression_leads_with_its_first_line_options() -> None:
    groups = not_yet_tried([], BIPOLAR)
    assert groups[0].group is OptionGroup.BIPOLAR_DEPRESSION
    assert [row.option for row in groups[0].rows] == [
        "Lithium (mood stabiliser)",
        "Lamotrigine (mood stabiliser)",
        "Quetiapine",
        "Lurasidone",
    ]
    assert all("CANMAT/ISBD 2018" in (row.other_guideline or "") for row in groups[0].rows)


def test_antidepressant_only_rows_are_marked_in_bipolar_depression_and_nothing_else() -> None:
    marked = {n: c for n, c in cautions(not_yet_tried([], BIPOLAR)).items() if c}
    assert marked == dict.fromkeys({1, 2, 3, 4, 5, 9, 10}, NOT_WITHOUT_MOOD_STABILISER)
    assert not any(cautions(not_yet_tried([])).values())


def test_a_tried_mood_stabiliser_leaves_the_bipolar_group() -> None:
    groups = not_yet_tried([augmentation("lithium", "lithium")], BIPOLAR)
    assert "Lithium (mood stabiliser)" not in [row.option for row in groups[0].rows]


def test_psychotic_depression_leads_with_an_antipsychotic_added_and_ect() -> None:
    groups = not_yet_tried([], PSYCHOTIC)
    assert groups[0].group is OptionGroup.PSYCHOTIC_DEPRESSION
    assert [row.number for row in groups[0].rows] == [8, 13]
    later = [row.number for group in groups[1:] for row in group.rows]
    assert 8 not in later
    assert 13 not in later
    assert cautions(groups)[2] == NOT_WITHOUT_ANTIPSYCHOTIC


def test_both_lead_bipolar_first_and_cautions_add_up() -> None:
    groups = not_yet_tried([], DiagnosisContext(bipolar=True, psychotic=True))
    assert [group.group for group in groups[:2]] == [
        OptionGroup.BIPOLAR_DEPRESSION,
        OptionGroup.PSYCHOTIC_DEPRESSION,
    ]
    assert cautions(groups)[4] == f"{NOT_WITHOUT_MOOD_STABILISER}; {NOT_WITHOUT_ANTIPSYCHOTIC}"


def test_without_the_diagnosis_the_list_is_unchanged() -> None:
    assert next(g.group for g in not_yet_tried([])) is OptionGroup.PHARMACOLOGICAL_SWITCH
