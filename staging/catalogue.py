"""Agent catalogue: classes and minimum adequate doses (staging-models.md sections 8.1-8.4).

Plain data, so a Django data migration can load it. Every threshold cites its source with the
spec's status tag: [S] secondary source, [R] recalled, [I] this project's interpretation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class DrugClass(StrEnum):
    SSRI = "SSRI"
    SNRI = "SNRI"
    TCA = "TCA"
    MAOI = "MAOI"
    RIMA = "RIMA"
    NDRI = "NDRI"
    NASSA = "NaSSA"
    SARI = "SARI"
    MULTIMODAL = "multimodal"
    MELATONERGIC = "melatonergic"
    NRI = "NRI"
    OTHER = "other"
    LITHIUM = "lithium"
    THYROID = "thyroid"
    SGA = "SGA"


class Role(StrEnum):
    ANTIDEPRESSANT = "antidepressant"
    AUGMENTER = "augmenter"


class Unit(StrEnum):
    MG_PER_DAY = "mg/day"
    MMOL_PER_L = "mmol/L"


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    molecule: str
    drug_class: DrugClass
    role: Role
    minimum: float
    source: str
    unit: Unit = Unit.MG_PER_DAY
    min_weeks: float | None = None


ATRQ = "MGH-ATRQ (COMP006) [S]"
ATRQ_OTHER = "MGH-ATRQ (COMP006) [S]; class [I]"


def _ad(name: str, drug_class: DrugClass, dose: float, source: str = ATRQ) -> Agent:
    return Agent(name, name, drug_class, Role.ANTIDEPRESSANT, dose, source)


# 8.1: minimum adequate daily dose from the MGH-ATRQ form of the COMP006 trial [S].
ANTIDEPRESSANTS: tuple[Agent, ...] = (
    _ad("fluoxetine", DrugClass.SSRI, 20),
    _ad("sertraline", DrugClass.SSRI, 50),
    _ad("paroxetine", DrugClass.SSRI, 20),
    # 12.16: the CR formulation is the same molecule with its own minimum.
    Agent("paroxetine CR", "paroxetine", DrugClass.SSRI, Role.ANTIDEPRESSANT, 25, ATRQ),
    _ad("citalopram", DrugClass.SSRI, 20),
    _ad("escitalopram", DrugClass.SSRI, 10),
    _ad("fluvoxamine", DrugClass.SSRI, 50),
    _ad("venlafaxine", DrugClass.SNRI, 150),
    _ad("desvenlafaxine", DrugClass.SNRI, 50),
    _ad("duloxetine", DrugClass.SNRI, 60),
    _ad("levomilnacipran", DrugClass.SNRI, 40),
    _ad("milnacipran", DrugClass.SNRI, 100),
    _ad("bupropion", DrugClass.NDRI, 300),
    _ad("mirtazapine", DrugClass.NASSA, 15),
    _ad("trazodone", DrugClass.SARI, 300),
    _ad("nefazodone", DrugClass.SARI, 300),
    _ad("vilazodone", DrugClass.MULTIMODAL, 40),
    _ad("vortioxetine", DrugClass.MULTIMODAL, 10),
    _ad("agomelatine", DrugClass.MELATONERGIC, 25),
    _ad("amitriptyline", DrugClass.TCA, 150),
    _ad("nortriptyline", DrugClass.TCA, 75),
    _ad("imipramine", DrugClass.TCA, 150),
    _ad("desipramine", DrugClass.TCA, 150),
    _ad("clomipramine", DrugClass.TCA, 150),
    _ad("doxepin", DrugClass.TCA, 150),
    _ad("phenelzine", DrugClass.MAOI, 45),
    _ad("tranylcypromine", DrugClass.MAOI, 30),
    _ad("isocarboxazid", DrugClass.MAOI, 30),
    # 6 mg/24 h patch, recorded as mg/day.
    _ad("selegiline transdermal", DrugClass.MAOI, 6),
    # Reversible MAO-A inhibitor: not an MAOI for Thase-Rush stage IV [I].
    _ad("moclobemide", DrugClass.RIMA, 300),
    # "Other drugs on the same ATRQ form" [S], classed by this specification [I].
    _ad("amoxapine", DrugClass.TCA, 150, ATRQ_OTHER),
    _ad("maprotiline", DrugClass.TCA, 150, ATRQ_OTHER),
    _ad("trimipramine", DrugClass.TCA, 150, ATRQ_OTHER),
    _ad("protriptyline", DrugClass.TCA, 30, ATRQ_OTHER),
    _ad("reboxetine", DrugClass.NRI, 4, ATRQ_OTHER),
    _ad("mianserin", DrugClass.NASSA, 30, ATRQ_OTHER),
    _ad("pirlindole", DrugClass.RIMA, 200, ATRQ_OTHER),
    _ad("tianeptine", DrugClass.OTHER, 37.5, ATRQ_OTHER),
    _ad("opipramol", DrugClass.OTHER, 150, ATRQ_OTHER),
)

# 8.2: minimum for an adequate augmentation (quetiapine XR and IR share the 150 mg minimum).
AUGMENTERS: tuple[Agent, ...] = (
    # Judged on the serum level only; no level, no adequacy [I] (ATHF-LF lithium tiers [S]).
    Agent(
        "lithium",
        "lithium",
        DrugClass.LITHIUM,
        Role.AUGMENTER,
        0.5,
        "staging-models 8.2 [I]; ATHF-LF lithium tiers [S]",
        unit=Unit.MMOL_PER_L,
    ),
    # 25 micrograms = 0.025 mg (ATHF-LF thyroid tiers [S]).
    Agent(
        "liothyronine",
        "liothyronine",
        DrugClass.THYROID,
        Role.AUGMENTER,
        0.025,
        "ATHF-LF thyroid tiers [S]",
    ),
    Agent(
        "aripiprazole",
        "aripiprazole",
        DrugClass.SGA,
        Role.AUGMENTER,
        5,
        "label 2-15 mg [R]; 5 mg [I]",
    ),
    Agent(
        "brexpiprazole", "brexpiprazole", DrugClass.SGA, Role.AUGMENTER, 2, "label target 2 mg [R]"
    ),
    Agent("cariprazine", "cariprazine", DrugClass.SGA, Role.AUGMENTER, 1.5, "label 1.5-3 mg [R]"),
    Agent(
        "quetiapine",
        "quetiapine",
        DrugClass.SGA,
        Role.AUGMENTER,
        150,
        "label adjunct 150-300 mg [R]; COMP006 addendum [S]",
    ),
    # 12.10: 6 mg/day for at least max(aug_min_weeks, 6) weeks (olanzapine-fluoxetine label [R]).
    Agent(
        "olanzapine",
        "olanzapine",
        DrugClass.SGA,
        Role.AUGMENTER,
        6,
        "olanzapine-fluoxetine label [R]; 12.10 [I]",
        min_weeks=6,
    ),
)

AGENTS: dict[str, Agent] = {agent.name.lower(): agent for agent in ANTIDEPRESSANTS + AUGMENTERS}
ALIASES: dict[str, str] = {"t3": "liothyronine"}
# A release-formulation suffix names the same molecule (12.16: paroxetine CR counts as paroxetine).
FORMULATION_SUFFIXES = frozenset({"cr", "xr", "xl", "er", "sr"})

# 8.4: rapid-acting treatments, recorded but scored by no model.
ESKETAMINE_MIN_SESSIONS = 8  # label induction [R]
ESKETAMINE_MIN_MG_PER_SESSION = 56  # label induction [R]
ESKETAMINE_MIN_WEEKS = 4  # label induction [R]
KETAMINE_MIN_INFUSIONS = 4  # 0.5 mg/kg infusions [I]

# 8.5: the ATHF family rates a medication trial of under 4 weeks at level 1 [S].
ATHF_MIN_MEDICATION_WEEKS = 4

# 8.3 and 12.21: evidence-based psychotherapy types and their canonical school. ATHF-SF 2019 [C]
# names BT/BA, CBT, IPT, PST and STPP; CBASP and MBCT are accepted by this spec [I].
PSYCHOTHERAPY_SCHOOLS: dict[str, str] = {
    "CBT": "CBT",
    "IPT": "IPT",
    "BA": "BA/BT",
    "BT": "BA/BT",
    "BA/BT": "BA/BT",
    "PST": "PST",
    "STPP": "STPP",
    "CBASP": "CBASP",
    "MBCT": "MBCT",
}


@cache
def lookup_agent(name: str) -> Agent | None:
    """Return the catalogue entry for an agent name, normalising case and formulation."""
    key = " ".join(name.lower().split())
    key = ALIASES.get(key, key)
    agent = AGENTS.get(key)
    if agent is None:
        molecule, _, suffix = key.rpartition(" ")
        if suffix in FORMULATION_SUFFIXES:
            agent = AGENTS.get(ALIASES.get(molecule, molecule))
    return agent


def psychotherapy_school(therapy_type: str | None) -> str | None:
    """Return a therapy type's canonical evidence-based school, or None if not evidence-based."""
    if therapy_type is None:
        return None
    return PSYCHOTHERAPY_SCHOOLS.get(therapy_type.strip().upper())


def is_antipsychotic(agent: Agent | None) -> bool:
    """Return whether a catalogued augmenter is an antipsychotic (12.14)."""
    return agent is not None and agent.drug_class is DrugClass.SGA
