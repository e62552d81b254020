"""The agent catalogue: every row of spec 8.1 and 8.2, names normalised to molecules."""

import pytest

from staging.catalogue import (
    AGENTS,
    ANTIDEPRESSANTS,
    AUGMENTERS,
    DrugClass,
    Role,
    Unit,
    is_antipsychotic,
    lookup_agent,
    psychotherapy_school,
)

SPEC_81 = {
    "fluoxetine": 20, "sertraline": 50, "paroxetine": 20, "paroxetine CR": 25, "citalopram": 20,
    "escitalopram": 10, "fluvoxamine": 50, "venlafaxine": 150, "desvenlafaxine": 50,
    "duloxetine": 60, "levomilnacipran": 40, "milnacipran": 100, "bupropion": 300,
    "mirtazapine": 15, "trazodone": 300, "nefazodone": 300, "vilazodone": 40, "vortioxetine": 10,
    "agomelatine": 25, "amitriptyline": 150, "nortriptyline": 75, "imipramine": 150,
    "desipramine": 150, "clomipramine": 150, "doxepin": 150, "phenelzine": 45,
    "tranylcypromine": 30, "isocarboxazid": 30, "selegiline transdermal": 6, "moclobemide": 300,
    "amoxapine": 150, "maprotiline": 150, "trimipramine": 150, "protriptyline": 30,
    "reboxetine": 4, "mianserin": 30, "pirlindole": 200, "tianeptine": 37.5, "opipramol": 150,
}  # fmt: skip
SPEC_82 = {
    "lithium": 0.5, "liothyronine": 0.025, "aripiprazole": 5, "brexpiprazole": 2,
    "cariprazine": 1.5, "quetiapine": 150, "olanzapine": 6,
}  # fmt: skip


def test_every_antidepressant_of_spec_8_1_with_its_minimum():
    assert {agent.name: agent.minimum for agent in ANTIDEPRESSANTS} == SPEC_81
    assert all(agent.role is Role.ANTIDEPRESSANT for agent in ANTIDEPRESSANTS)
    assert all(agent.source.startswith("MGH-ATRQ (COMP006) [S]") for agent in ANTIDEPRESSANTS)


def test_every_augmenter_of_spec_8_2_with_its_minimum():
    assert {agent.name: agent.minimum for agent in AUGMENTERS} == SPEC_82
    assert AGENTS["lithium"].unit is Unit.MMOL_PER_L
    assert AGENTS["olanzapine"].min_weeks == 6
    assert all(agent.source for agent in AUGMENTERS)


@pytest.mark.parametrize(
    ("name", "drug_class"),
    [
        ("moclobemide", DrugClass.RIMA),
        ("pirlindole", DrugClass.RIMA),
        ("tranylcypromine", DrugClass.MAOI),
        ("maprotiline", DrugClass.TCA),
        ("mirtazapine", DrugClass.NASSA),
        ("tianeptine", DrugClass.OTHER),
    ],
)
def test_classes_of_this_specification(name: str, drug_class: DrugClass):
    agent = lookup_agent(name)
    assert agent is not None
    assert agent.drug_class is drug_class


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sertraline", "sertraline"),
        ("paroxetine CR", "paroxetine CR"),
        ("quetiapine XR", "quetiapine"),
        ("bupropion xl", "bupropion"),
        ("T3", "liothyronine"),
        ("zuranolone", None),
        ("zuranolone XR", None),
    ],
)
def test_lookup_normalises_case_formulation_and_aliases(name: str, expected: str | None):
    agent = lookup_agent(name)
    assert (agent.name if agent else None) == expected


@pytest.mark.parametrize(
    ("therapy", "school"),
    [("CBT", "CBT"), ("ba", "BA/BT"), ("BT", "BA/BT"), (" ipt ", "IPT"), ("MBCT", "MBCT"),
     ("supportive", None), (None, None)],
)  # fmt: skip
def test_psychotherapy_schools(therapy: str | None, school: str | None):
    assert psychotherapy_school(therapy) == school


def test_antipsychotics_are_the_second_generation_augmenters():
    assert is_antipsychotic(lookup_agent("cariprazine"))
    assert not is_antipsychotic(lookup_agent("lithium"))
    assert not is_antipsychotic(None)
