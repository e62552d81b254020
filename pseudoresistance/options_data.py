"""Treatment classes for the "not yet adequately tried" list (scales-and-checklist.md Part 3).

Plain Python, no Django. Each ``OptionRow`` is one row of the Part 3 table, its cells transcribed
whole (markdown emphasis dropped, a bare "—" stored as None, provenance marks kept). The app
compares the episode's documented trials, with their adequacy, against each listed row's
``matches`` rule and shows the rows without an adequate matching trial under ``LIST_HEADING``.

The list is informational (section 0.2 item 1, section 5.3): it never ranks, doses or recommends.
So rows keep the table's order, and the CANMAT line and level stay the guideline's own words in
``canmat_2023`` rather than a sortable field (row 8 mixes first to third line by agent); dose
figures in the cells are the guideline's adjunct ranges, there only so that adequacy can be
judged after the fact.

Readings of the spec:

- Rows 28 (investigational) and 29 (not recommended) are kept as data but are not on the list
  (``exclusion``); every other row is, and has a ``MatchRule``.
- ``adequacy_test`` is the spec's ⚠️ "suggested adequately tried test", configurable per clinic.
- ``provenance`` is the weakest tag of the "Prov." cell ("✅/🔶" is 🔶); the cell is kept
  verbatim in ``provenance_as_published``.
- Trial codes are the records' trial kinds, antidepressant classes and therapy types, as plain
  strings, so an enum from elsewhere with the same values compares equal.
- A trial matches a rule when its kind is one of ``kinds`` and, if the rule names classes, agents
  or therapy types, its class, agent or therapy type is one of them (case-insensitive; a trailing
  release-formulation suffix such as XR is ignored). ``requirement`` then says what set of
  matching, adequate trials in this episode marks the row as tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from pseudoresistance.checklist_data import Provenance
from staging.catalogue import FORMULATION_SUFFIXES, DrugClass
from staging.history import TrialKind

OPTIONS_VERSION = "2026.11-1"
OPTIONS_SOURCE = (
    'TRD as impasse: reference material, Part 3 ("not yet adequately tried" reference table), '
    "research snapshot 2026-11"
)

# Section 5.3: the list's heading, word for word. No dosing, no ranking, no "recommended".
LIST_HEADING = "Classes without a documented adequate trial in this episode (for clinician review)"
LIST_NOTE = (
    "An informational prompt for the clinician's own review of the documented history. It does "
    "not rank options, suggest doses or give advice to the patient; sequencing is decided "
    "together with the patient, from history, evidence, adverse-event potential and preference "
    "(CANMAT 2023, Level 4)."
)
USE_NOTE = (
    "The app compares the documented treatment history (with adequacy from domain A) against "
    "these classes and lists classes without an adequate documented trial. It is an informational "
    "prompt for the clinician's own review. It must not rank options for an individual, suggest "
    "doses, or be phrased as advice to the patient. Dose ranges below are the guideline's own "
    "adjunct ranges, included only so adequacy can be judged retrospectively."
)
ADEQUACY_TEST_PROVENANCE = Provenance.PROPOSED

# CANMAT 2023 Table A (levels of evidence) and Table B (lines of treatment) ✅.
CANMAT_EVIDENCE_LEVELS: Mapping[str, str] = MappingProxyType(
    {
        "L1": (
            "High-quality meta-analysis with narrow CIs and/or ≥2 adequately sized RCTs "
            "(≥30/arm), preferably placebo-controlled"
        ),
        "L2": "Lower-quality meta-analysis and/or ≥1 adequately sized RCT",
        "L3": "Small RCTs or non-randomised controlled/high-quality retrospective studies",
        "L4": "Expert opinion",
    }
)
CANMAT_LINES: Mapping[str, str] = MappingProxyType(
    {
        "first line": "Level 1 or 2 evidence plus clinical support",
        "second line": "Level 3 or higher evidence plus clinical support",
        "third line": "Level 4 or higher evidence plus clinical support",
    }
)
CANMAT_SEQUENCING_NOTE = (
    "CANMAT sequencing principles ✅: assess comorbidity, adherence and PK first; optimise dose; "
    "consider psychological treatment early (L2); switch especially with no response or "
    "intolerance; add an adjunct especially with partial response and good tolerability; "
    "neuromodulation generally after a switch or adjunct strategy has failed; switching is not "
    "superior to continuing the same antidepressant (L2), with diminishing monotherapy response "
    "beyond the first switch."
)
APA_NOTE = (
    "APA (American Psychiatric Association) Practice Guideline for MDD, 3rd ed. (Gelenberg et "
    "al., 2010) 🔶: recommends, for inadequate response, dose optimisation, switching (including "
    "to MAOI after other failures), augmentation (non-MAOI AD, lithium, thyroid hormone, SGA), "
    "adding or switching to psychotherapy, and ECT — not re-verified line by line; cite as "
    "supporting, not as source of levels."
)

# "Where the guidelines disagree (show in UI as a note)".
_ESKETAMINE_DISAGREEMENT = "Esketamine: CANMAT second line (L1) vs NICE TA854 not recommended ✅"
_IV_KETAMINE_DISAGREEMENT = "IV ketamine: CANMAT second line vs not covered by NICE"
_SWITCHING_DISAGREEMENT = (
    "Switching: NICE lists switching within/between classes; CANMAT notes switching is not "
    "superior to continuing (L2)"
)
GUIDELINE_DISAGREEMENTS: tuple[str, ...] = (
    _ESKETAMINE_DISAGREEMENT,
    _IV_KETAMINE_DISAGREEMENT,
    _SWITCHING_DISAGREEMENT,
)

# The records' codes a rule may name (staging-models.md 1.2 and 8.1-8.3), from the engines' own.
KIND_ANTIDEPRESSANT = TrialKind.ANTIDEPRESSANT
KIND_COMBINATION = TrialKind.COMBINATION
KIND_AUGMENTATION = TrialKind.AUGMENTATION
KIND_PSYCHOTHERAPY = TrialKind.PSYCHOTHERAPY
KIND_ECT = TrialKind.ECT
KIND_RTMS = TrialKind.RTMS
KIND_ESKETAMINE = TrialKind.ESKETAMINE
KIND_KETAMINE = TrialKind.KETAMINE
KIND_INPATIENT_ADMISSION = TrialKind.INPATIENT_ADMISSION
KIND_DAY_TREATMENT = TrialKind.DAY_TREATMENT
TRIAL_KINDS: tuple[str, ...] = tuple(TrialKind)
_AUGMENTER_CLASSES = (DrugClass.LITHIUM, DrugClass.THYROID, DrugClass.SGA)
ANTIDEPRESSANT_CLASSES: tuple[str, ...] = tuple(
    drug_class for drug_class in DrugClass if drug_class not in _AUGMENTER_CLASSES
)
AUGMENTER_CLASSES: tuple[str, ...] = _AUGMENTER_CLASSES
# The evidence-based types (ATHF-SF: BT/BA, CBT, IPT, PST, STPP; CBASP and MBCT accepted).
EVIDENCE_BASED_PSYCHOTHERAPY_TYPES: tuple[str, ...] = (
    "CBT",
    "IPT",
    "BA",
    "BT",
    "BA/BT",
    "PST",
    "STPP",
    "CBASP",
    "MBCT",
)
# Further types Part 3 names (rows 22-24 and 27).
PSYCHOTHERAPY_TYPES: tuple[str, ...] = (
    *EVIDENCE_BASED_PSYCHOTHERAPY_TYPES,
    "ACT",
    "DBT",
    "RO-DBT",
    "psychodynamic",
    "CBT-I",
)


class OptionGroup(StrEnum):
    # Lead the list when the diagnosis asks for them (not_yet_tried.DiagnosisContext).
    BIPOLAR_DEPRESSION = "bipolar_depression"
    PSYCHOTIC_DEPRESSION = "psychotic_depression"
    PHARMACOLOGICAL_SWITCH = "pharmacological_switch"
    AUGMENTATION = "augmentation"
    COMBINATION = "combination"
    NEUROMODULATION = "neuromodulation"
    RAPID_ACTING = "rapid_acting"
    PSYCHOTHERAPY = "psychotherapy"
    OTHER = "other"
    LIFESTYLE = "lifestyle"

    @property
    def label(self) -> str:
        """Return the group's display name."""
        return GROUP_LABELS[self]


GROUP_LABELS: Mapping[OptionGroup, str] = MappingProxyType(
    {
        OptionGroup.BIPOLAR_DEPRESSION: (
            "Bipolar depression (bipolar disorder recorded or suspected): first-line options"
        ),
        OptionGroup.PSYCHOTIC_DEPRESSION: (
            "Psychotic depression: an antidepressant with an antipsychotic, or ECT"
        ),
        OptionGroup.PHARMACOLOGICAL_SWITCH: "Pharmacological switch",
        OptionGroup.AUGMENTATION: "Augmentation",
        OptionGroup.COMBINATION: "Combination",
        OptionGroup.NEUROMODULATION: "Neuromodulation",
        OptionGroup.RAPID_ACTING: "Rapid-acting",
        OptionGroup.PSYCHOTHERAPY: "Psychotherapy",
        OptionGroup.OTHER: "Other",
        OptionGroup.LIFESTYLE: "Lifestyle",
    }
)


class ExclusionReason(StrEnum):
    INVESTIGATIONAL = "investigational"
    NOT_RECOMMENDED = "not_recommended"


class MatchRequirement(StrEnum):
    # One adequate matching trial in this episode.
    ANY_MATCHING_TRIAL = "any_matching_trial"
    # A matching trial recorded as dose-optimised (upper usual or maximum tolerated dose).
    DOSE_OPTIMISED = "dose_optimised"
    # Adequate matching trials of two different agents of one class.
    SECOND_AGENT_SAME_CLASS = "second_agent_same_class"
    # Adequate matching trials spanning two classes.
    SECOND_CLASS = "second_class"
    # An adequate matching trial overlapping in time an adequate antidepressant trial.
    CONCURRENT_WITH_ANTIDEPRESSANT = "concurrent_with_antidepressant"
    # No trial kind can record the row's treatments: it stays on the list.
    NOT_RECORDABLE = "not_recordable"


def _normalise(name: str) -> str:
    words = name.casefold().replace("-", " ").split()
    if len(words) > 1 and words[-1] in FORMULATION_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class MatchRule:
    kinds: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    therapy_types: tuple[str, ...] = ()
    requirement: MatchRequirement = MatchRequirement.ANY_MATCHING_TRIAL
    note: str | None = None

    def matches_trial(
        self,
        *,
        kind: str,
        drug_class: str | None = None,
        agent: str | None = None,
        therapy_type: str | None = None,
    ) -> bool:
        """Return whether one recorded trial is of this row's class (adequacy aside)."""
        if self.requirement is MatchRequirement.NOT_RECORDABLE or kind not in self.kinds:
            return False
        if not (self.classes or self.agents or self.therapy_types):
            return True
        if drug_class is not None and _normalise(drug_class) in {
            _normalise(value) for value in self.classes
        }:
            return True
        if agent is not None and _normalise(agent) in {_normalise(value) for value in self.agents}:
            return True
        return therapy_type is not None and therapy_type.strip().casefold() in {
            value.casefold() for value in self.therapy_types
        }


@dataclass(frozen=True, slots=True)
class OptionRow:
    number: int
    option: str
    group: OptionGroup
    examples: str
    adequacy_test: str | None
    canmat_2023: str | None
    nice: str | None
    evidence: str | None
    provenance: Provenance
    provenance_as_published: str
    matches: MatchRule | None = None
    exclusion: ExclusionReason | None = None
    guideline_disagreement: str | None = None
    # A guideline other than CANMAT 2023 for MDD and NICE (the bipolar-depression rows).
    other_guideline: str | None = None
    # Why the row does not stand alone for this patient (set by not_yet_tried, never stored).
    caution: str | None = None

    @property
    def listed(self) -> bool:
        """Return whether the row belongs on the "not yet adequately tried" list."""
        return self.exclusion is None


# Part 3, in the table's order.
OPTIONS: tuple[OptionRow, ...] = (
    OptionRow(
        number=1,
        option="Dose optimisation of current antidepressant",
        group=OptionGroup.OTHER,
        examples="Titrate within licensed range",
        adequacy_test="Reached upper usual dose or max tolerated for ≥4 wk",
        canmat_2023='Figure 7.1 "Optimize dose" ✅',
        nice="1.9: consider increasing dose ✅",
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            requirement=MatchRequirement.DOSE_OPTIMISED,
            kinds=(KIND_ANTIDEPRESSANT,),
        ),
    ),
    OptionRow(
        number=2,
        option="Switch within class",
        group=OptionGroup.PHARMACOLOGICAL_SWITCH,
        examples="SSRI → another SSRI",
        adequacy_test="≥1 other drug of same class, ATHF ≥3, ≥4 wk",
        canmat_2023=(
            "Switch first-line when non-response/intolerance; prefer distinct mechanism or drug "
            "with superior efficacy (Table 3.5) ✅"
        ),
        nice="1.9: switch to another drug in same class ✅",
        evidence=(
            "STAR*D level 2: sertraline 27 %, bupropion-SR 26 %, venlafaxine-XR 25 % remission — "
            "no significant difference ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            requirement=MatchRequirement.SECOND_AGENT_SAME_CLASS,
            kinds=(KIND_ANTIDEPRESSANT,),
            classes=ANTIDEPRESSANT_CLASSES,
        ),
        guideline_disagreement=_SWITCHING_DISAGREEMENT,
    ),
    OptionRow(
        number=3,
        option="Switch between classes",
        group=OptionGroup.PHARMACOLOGICAL_SWITCH,
        examples="SNRI, bupropion, mirtazapine, vortioxetine, agomelatine, etc.",
        adequacy_test="≥1 drug of a different mechanism, adequate",
        canmat_2023="As above ✅",
        nice="1.9: switch to different class ✅; vortioxetine only after ≥2 ADs (1.9.7) ✅",
        evidence=(
            "STAR*D (above); Rush 2006 AJP 163:1905–17: remission 36.8 %, 30.6 %, 13.7 %, 13.0 % "
            "at steps 1–4, cumulative 67 % ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            requirement=MatchRequirement.SECOND_CLASS,
            kinds=(KIND_ANTIDEPRESSANT,),
            classes=ANTIDEPRESSANT_CLASSES,
        ),
        guideline_disagreement=_SWITCHING_DISAGREEMENT,
    ),
    OptionRow(
        number=4,
        option="TCA",
        group=OptionGroup.PHARMACOLOGICAL_SWITCH,
        examples="Nortriptyline, amitriptyline, clomipramine, imipramine",
        adequacy_test="Therapeutic dose or plasma level in AGNP range, ≥4 wk",
        canmat_2023=(
            'Adjunct: "other antidepressants incl. TCAs" third line (L3) ✅; monotherapy line in '
            "Table 3.3 not re-read"
        ),
        nice="Switch to TCA as an option, specialist context ✅ (wording 🔶)",
        evidence=(
            "STAR*D level 3: nortriptyline 19.8 % vs mirtazapine 12.3 % (HAM-D remission; n.s.) ✅ "
            "(Fava 2006 AJP 163:1161–72 🔶); CPIC TCA guideline (Hicks 2017) 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_ANTIDEPRESSANT, KIND_COMBINATION), classes=("TCA",)),
    ),
    OptionRow(
        number=5,
        option="MAOI",
        group=OptionGroup.PHARMACOLOGICAL_SWITCH,
        examples="Phenelzine, tranylcypromine, transdermal selegiline",
        adequacy_test="Adequate dose ≥4–6 wk with dietary/interaction safeguards",
        canmat_2023=(
            "MAOIs appear in Figure 7.1 next to the third-line adjunct options (transcription "
            "garbled — confirm line against the original figure) 🔶"
        ),
        nice="Option in specialist care; never combine with SSRI/SNRI/TCA ✅",
        evidence="STAR*D level 4: tranylcypromine 6.9 % remission (McGrath 2006 🔶)",
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(
            kinds=(KIND_ANTIDEPRESSANT, KIND_COMBINATION),
            classes=("MAOI",),
            note="RIMA (moclobemide) is a class of its own and does not count as an MAOI trial.",
        ),
    ),
    OptionRow(
        number=6,
        option="Lithium augmentation",
        group=OptionGroup.AUGMENTATION,
        examples="Lithium carbonate",
        adequacy_test="Serum 0.5–0.8 mmol/L for ≥2–4 wk 🔶",
        canmat_2023="Second line (L1); 600–1200 mg/d, serum 0.5–0.8 mmol/L ✅",
        nice="1.9.9: lithium augmentation (specialist) ✅",
        evidence=(
            "STAR*D level 3: lithium 15.9 % vs T3 24.7 % remission (n.s.; more AE dropouts on "
            "lithium 23.2 % vs 9.6 %) — Nierenberg 2006 AJP 163:1519–30 ✅; Crossley & Bauer 2007 "
            "meta-analysis 🔶"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_AUGMENTATION,),
            classes=("lithium",),
            agents=("lithium", "lithium carbonate"),
        ),
    ),
    OptionRow(
        number=7,
        option="T3 (liothyronine) augmentation",
        group=OptionGroup.AUGMENTATION,
        examples="Liothyronine",
        adequacy_test="25–50 µg/d for ≥2–4 wk 🔶",
        canmat_2023="Second line (L2); 25–50 µg ✅",
        nice="1.9.9: augmentation with liothyronine (specialist) ✅",
        evidence="Nierenberg 2006 (above) ✅",
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_AUGMENTATION,), agents=("liothyronine", "T3")),
    ),
    OptionRow(
        number=8,
        option="Second-generation antipsychotic augmentation",
        group=OptionGroup.AUGMENTATION,
        examples=(
            "Aripiprazole, brexpiprazole, quetiapine-XR, olanzapine, risperidone, cariprazine, "
            "ziprasidone"
        ),
        adequacy_test="Within CANMAT adjunct dose range for ≥4–6 wk 🔶",
        canmat_2023=(
            "First line: aripiprazole 2–10 mg (L1), brexpiprazole 0.5–2 mg (L1). Second line: "
            "olanzapine 2.5–10 mg, quetiapine-XR 150–300 mg, risperidone 1–3 mg (all L1); "
            "cariprazine 1.5–3 mg (L2). Third line: ziprasidone 20–80 mg bid (L3) ✅"
        ),
        nice="1.9.9: add aripiprazole, olanzapine, quetiapine or risperidone (specialist) ✅",
        evidence=(
            "VAST-D (Mohamed 2017 JAMA 318:132–45; n = 1522 veterans): remission "
            "augment-aripiprazole 28.9 % vs augment-bupropion 26.9 % vs switch-bupropion 22.3 % ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_AUGMENTATION,),
            classes=("SGA",),
            agents=(
                "aripiprazole",
                "brexpiprazole",
                "quetiapine",
                "olanzapine",
                "risperidone",
                "cariprazine",
                "ziprasidone",
            ),
        ),
    ),
    OptionRow(
        number=9,
        option="Bupropion augmentation",
        group=OptionGroup.AUGMENTATION,
        examples="Bupropion SR/XL added",
        adequacy_test="150–450 mg ≥4 wk",
        canmat_2023="Second line (L1) ✅",
        nice="— (not specifically named in retrieved text)",
        evidence=(
            "VAST-D (above) ✅; STAR*D level 2 augmentation: bupropion 39 % vs buspirone 33 % "
            "(n.s.) ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_AUGMENTATION, KIND_COMBINATION),
            agents=("bupropion",),
            note="Bupropion added to a running antidepressant is recorded as a combination trial.",
        ),
    ),
    OptionRow(
        number=10,
        option="Mirtazapine/mianserin combination (and bupropion + mirtazapine)",
        group=OptionGroup.COMBINATION,
        examples="Mirtazapine 30–60 mg added to SSRI/SNRI",
        adequacy_test="≥4 wk at ≥30 mg 🔶",
        canmat_2023=(
            'Second line (L2); α2-antagonist combinations "superior to other combinations" in '
            "meta-analyses ✅"
        ),
        nice="1.9.8: add mirtazapine or trazodone to SSRI (specialist) ✅",
        evidence=(
            "MIR trial (Kessler 2018 BMJ; no clinically important benefit) 🔶; Blier 2010 AJP "
            "(combinations from treatment initiation) 🔶; CO-MED (Rush 2011 AJP; no advantage of "
            "combinations) 🔶. No specific trial of bupropion + mirtazapine as TRD step was "
            "verified"
        ),
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(
            kinds=(KIND_COMBINATION,),
            classes=("NaSSA",),
            agents=("mirtazapine", "mianserin"),
        ),
    ),
    OptionRow(
        number=11,
        option="Intranasal esketamine",
        group=OptionGroup.RAPID_ACTING,
        examples="Esketamine 56–84 mg",
        adequacy_test="Completed induction (4 weeks twice-weekly 🔶) with response assessed",
        canmat_2023=(
            "Second line (L1) ✅; approved as add-on to SSRI/SNRI for failure of ≥2 adequate "
            "trials ✅"
        ),
        nice="TA854 (Dec 2022): not recommended for TRD ✅",
        evidence=(
            "ESCAPE-TRD (Reif 2023 NEJM 389:1298–1309): remission MADRS ≤10 at wk 8 27.1 % vs "
            "quetiapine-XR 17.6 %; relapse-free at wk 32 21.7 % vs 14.1 % ✅; FDA approval 2019 "
            "(with oral AD), monotherapy approval Jan 2025 ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_ESKETAMINE,)),
        guideline_disagreement=_ESKETAMINE_DISAGREEMENT,
    ),
    OptionRow(
        number=12,
        option="IV racemic ketamine",
        group=OptionGroup.RAPID_ACTING,
        examples="0.5 mg/kg over 40 min, repeated",
        adequacy_test="≥6 infusions (ELEKT-D schedule: twice weekly × 3 wk) ⚠️",
        canmat_2023=(
            "Second line: single dose (L1), repeated infusions (L2); 0.5–1.0 mg/kg ✅. Non-IV "
            "ketamine third line (L3) ✅"
        ),
        nice="No positive recommendation found in NG222 (not verified)",
        evidence=(
            "ELEKT-D (Anand 2023 NEJM 388:2315–25; n = 403, non-psychotic TRD): response (QIDS-SR "
            "≥50 %) 55.4 % ketamine vs 41.2 % ECT — ketamine non-inferior ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_KETAMINE,)),
        guideline_disagreement=_IV_KETAMINE_DISAGREEMENT,
    ),
    OptionRow(
        number=13,
        option="ECT",
        group=OptionGroup.NEUROMODULATION,
        examples="Right-unilateral ultrabrief, bitemporal, bifrontal",
        adequacy_test=(
            "Protocol-complete course (e.g., ≥8–12 sessions 🔶; ATHF/ATHF-SF2 ECT criteria 🔶)"
        ),
        canmat_2023=(
            "First line for severe MDE; second line for DTD; response 65–75 % (L1); relapse 60–80 "
            "% at 6 months; continuation ECT better than pharmacotherapy for relapse prevention "
            "(L2); lithium + nortriptyline/venlafaxine post-ECT (L2); hold "
            "benzodiazepines/anticonvulsants; lithium and cannabis may worsen cognition ✅. Very "
            "severe/life-threatening: first choice (L3) ✅"
        ),
        nice=(
            "ECT for severe, life-threatening depression or after multiple failed treatments 🔶 "
            "(wording not verified); 1.9.9 lists ECT among specialist augmentation/combination "
            "options ✅"
        ),
        evidence="ELEKT-D (ECT 3×/wk for 3 wk) ✅; UK ECT Review Group 2003 Lancet 361:799–808 🔶",
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_ECT,)),
    ),
    OptionRow(
        number=14,
        option="rTMS (standard)",
        group=OptionGroup.NEUROMODULATION,
        examples="HF left DLPFC, LF right DLPFC, iTBS",
        adequacy_test="Protocol-complete course (≈20–36 sessions 🔶)",
        canmat_2023="First line for TRD (neuromodulation) ✅; detailed Table 8.3 not retrieved",
        nice=(
            "IPG542 (2015): rTMS for depression may be used with normal arrangements for clinical "
            "governance, consent and audit ✅"
        ),
        evidence=(
            "THREE-D (Blumberger 2018 Lancet 391:1683–92): iTBS non-inferior to 10 Hz 🔶; FDA "
            "clearance 2008 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_RTMS,)),
    ),
    OptionRow(
        number=15,
        option="Accelerated rTMS (SAINT/SNT)",
        group=OptionGroup.NEUROMODULATION,
        examples="fcMRI-targeted iTBS, 10 sessions/day × 5 days (50 sessions)",
        adequacy_test="Completed 5-day protocol",
        canmat_2023="Not identified in retrieved CANMAT text",
        nice="Not covered",
        evidence=(
            "Cole 2020 AJP 177:716–26 (open-label, 19/21 remission, MADRS <11) ✅; Cole 2022 AJP "
            "179:132–41 (sham-controlled; 52.5 % vs 11.1 % mean MADRS reduction) ✅; FDA 510(k) "
            "clearance 6 Sep 2022 (secondary source) ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_RTMS,),
            agents=("SNT", "SAINT", "accelerated iTBS", "accelerated rTMS"),
            note=(
                "Trials hold no rTMS protocol field: an accelerated course counts only when its "
                "procedure name records the protocol."
            ),
        ),
    ),
    OptionRow(
        number=16,
        option="Other neuromodulation",
        group=OptionGroup.NEUROMODULATION,
        examples="tDCS (adjunct), VNS, DBS",
        adequacy_test=None,
        canmat_2023=(
            "tDCS third line adjunct; VNS third line for DTD ✅ (Figure 7.1 transcription); DBS "
            "investigational 🔶"
        ),
        nice=None,
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(
            requirement=MatchRequirement.NOT_RECORDABLE,
            agents=("tDCS", "VNS", "DBS"),
            note=(
                "No trial kind records tDCS, VNS or DBS, so this row stays on the list for the "
                "clinician to review."
            ),
        ),
    ),
    OptionRow(
        number=17,
        option="CBT (incl. CBT adjunct to medication)",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Individual CBT",
        adequacy_test="≥8 (typically 12–20) weekly sessions with trained therapist ⚠️",
        canmat_2023=(
            "Second-line adjunct for DTD (L2; Cochrane evidence, mainly 1 large trial) ✅; "
            "combination > either alone; sequential CBT/MBCT after AD (L1) ✅; twice-weekly > "
            "weekly (L2) ✅"
        ),
        nice=(
            "1.9: combine medication with CBT, IPT or STPP ✅; 1.10: CBT focused on chronic "
            "symptoms for chronic depression ✅"
        ),
        evidence=(
            "Ijaz 2018 Cochrane CD010558.pub2 ✅; CoBalT (Wiles 2013 Lancet 381:375–84; 12–18 "
            "sessions) 🔶"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("CBT",)),
    ),
    OptionRow(
        number=18,
        option="IPT",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Individual IPT",
        adequacy_test="≥8 (typically 12–16) weekly sessions",
        canmat_2023=(
            "Acute-phase psychotherapy (Table 3.2 line not retrieved) 🔶; twice-weekly > weekly "
            "(L2) ✅"
        ),
        nice="1.9 (combination option) ✅",
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("IPT",)),
    ),
    OptionRow(
        number=19,
        option="Behavioural activation (BA)",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Individual BA",
        adequacy_test="≥8 sessions",
        canmat_2023="Table 3.2 line not retrieved 🔶; iBA listed among DHIs ✅",
        nice="Listed among NG222 first-line options (Table 1) 🔶",
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("BA", "BT", "BA/BT")),
    ),
    OptionRow(
        number=20,
        option="CBASP (chronic depression)",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="McCullough CBASP",
        adequacy_test="16–20 sessions (Arnow 2013 J Consult Clin Psychol ✅)",
        canmat_2023="Table 3.2 not retrieved 🔶",
        nice="1.10 chronic depression options (CBT focused on chronic symptoms) ✅",
        evidence=(
            "Keller 2000 NEJM 342:1462–70 (combination > either) 🔶; REVAMP (Kocsis 2009 Arch Gen "
            "Psychiatry; no added benefit in non-responders) 🔶; Schramm 2017 JAMA Psychiatry 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("CBASP",)),
    ),
    OptionRow(
        number=21,
        option="MBCT",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="8-week group",
        adequacy_test="Completed 8-week course",
        canmat_2023="Sequential CBT/MBCT after AD (L1) ✅",
        nice="Relapse prevention (🔶)",
        evidence=(
            "Eisendrath 2016 Psychother Psychosom 85:99–110 (TRD; response 30.3 % vs 15.3 % vs "
            "health-enhancement programme; remission n.s.) ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("MBCT",)),
    ),
    OptionRow(
        number=22,
        option="ACT",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Individual/group ACT",
        adequacy_test="≥8 sessions",
        canmat_2023="In CANMAT abbreviations list; line not retrieved 🔶",
        nice="Not in NG222 recommendations (🔶)",
        evidence="TRD-specific evidence limited 🔶",
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("ACT",)),
    ),
    OptionRow(
        number=23,
        option="DBT / RO-DBT",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="RO-DBT for refractory depression; standard DBT with BPD features",
        adequacy_test="RO-DBT: ~29 individual sessions + 27 skills classes ✅",
        canmat_2023=None,
        nice="NG222 1.11: personality-disorder comorbidity → combined treatment ✅",
        evidence=(
            "REFRAMED (Lynch 2020 Br J Psychiatry 216:204–12): benefit at 7 months, not "
            "significant at 12 months (primary) ✅"
        ),
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("DBT", "RO-DBT")),
    ),
    OptionRow(
        number=24,
        option="STPP / psychodynamic",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Short-term psychodynamic",
        adequacy_test="≥16 sessions 🔶",
        canmat_2023="Adding psychodynamic therapy to AD (L3) ✅",
        nice="1.9 combination option (STPP) ✅",
        evidence=(
            "Tavistock Adult Depression Study (Fonagy 2015 World Psychiatry; long-term "
            "psychoanalytic therapy in TRD) 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="✅/🔶",
        matches=MatchRule(kinds=(KIND_PSYCHOTHERAPY,), therapy_types=("STPP", "psychodynamic")),
    ),
    OptionRow(
        number=25,
        option="Combined psychotherapy + medication",
        group=OptionGroup.PSYCHOTHERAPY,
        examples="Any evidence-based psychotherapy with AD",
        adequacy_test="Both components adequate concurrently",
        canmat_2023=(
            "Combination more effective than either alone; severe MDE without psychosis → "
            "combination (L2) ✅"
        ),
        nice="1.9 and 1.10 ✅",
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            requirement=MatchRequirement.CONCURRENT_WITH_ANTIDEPRESSANT,
            kinds=(KIND_PSYCHOTHERAPY,),
            therapy_types=EVIDENCE_BASED_PSYCHOTHERAPY_TYPES,
        ),
    ),
    OptionRow(
        number=26,
        option="Other adjuncts",
        group=OptionGroup.AUGMENTATION,
        examples="Modafinil, stimulants, lamotrigine, pramipexole, L-methylfolate",
        adequacy_test="Guideline dose ≥4 wk ⚠️",
        canmat_2023=(
            "Modafinil 100–400 mg second line (L2); stimulants third (L2 evidence, downgraded); "
            "lamotrigine 100–300 mg third (L3); pramipexole 1–2 mg bid third (L3); L-methylfolate "
            "second-line adjunct (Table 3.7) ✅"
        ),
        nice="1.9.9: lamotrigine augmentation (specialist) ✅",
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_AUGMENTATION,),
            agents=(
                "modafinil",
                "methylphenidate",
                "dexamfetamine",
                "lisdexamfetamine",
                "amphetamine",
                "lamotrigine",
                "pramipexole",
                "L-methylfolate",
            ),
            note="Stimulants are matched by agent: methylphenidate and the amfetamines.",
        ),
    ),
    OptionRow(
        number=27,
        option="Lifestyle / chronotherapy",
        group=OptionGroup.LIFESTYLE,
        examples="Supervised exercise, bright light, CBT-I",
        adequacy_test="Structured programme ≥8 wk ⚠️",
        canmat_2023=(
            "Exercise first line for mild (L1) and adjunct; light therapy seasonal (L1); sleep "
            "interventions adjunct (L3) ✅"
        ),
        nice=None,
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        matches=MatchRule(
            kinds=(KIND_PSYCHOTHERAPY,),
            therapy_types=("CBT-I",),
            note=(
                "Supervised exercise and bright-light therapy are not a recorded trial kind; only "
                "CBT-I, recorded as psychotherapy, marks this row as tried."
            ),
        ),
    ),
    OptionRow(
        number=28,
        option='Investigational — not for the "not yet tried" list',
        group=OptionGroup.OTHER,
        examples="Psilocybin/psychedelic-assisted therapy",
        adequacy_test=None,
        canmat_2023="Investigational (RCTs L2 but methodological issues) ✅",
        nice=None,
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        exclusion=ExclusionReason.INVESTIGATIONAL,
    ),
    OptionRow(
        number=29,
        option="Not recommended",
        group=OptionGroup.OTHER,
        examples="Cannabis",
        adequacy_test=None,
        canmat_2023="Not recommended ✅",
        nice=None,
        evidence=None,
        provenance=Provenance.VERIFIED,
        provenance_as_published="✅",
        exclusion=ExclusionReason.NOT_RECOMMENDED,
    ),
)

LISTED_OPTIONS: tuple[OptionRow, ...] = tuple(row for row in OPTIONS if row.listed)
OPTIONS_BY_NUMBER: Mapping[int, OptionRow] = MappingProxyType({row.number: row for row in OPTIONS})


# Bipolar depression: the first-line options of CANMAT/ISBD 2018 (Yatham 2018, Bipolar Disord
# 20:97-170, doi:10.1111/bdi.12609; docs/clinical-rules.md). Not Part 3 rows: numbered from 101.
# The mood stabilisers first; the guideline does not rank its first-line options.
CANMAT_ISBD_2018 = "CANMAT/ISBD 2018 (Yatham 2018), bipolar I depression: first line"
BIPOLAR_OPTIONS: tuple[OptionRow, ...] = (
    OptionRow(
        number=101,
        option="Lithium (mood stabiliser)",
        group=OptionGroup.BIPOLAR_DEPRESSION,
        examples="Lithium carbonate",
        adequacy_test=None,
        canmat_2023=None,
        nice=None,
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_AUGMENTATION,), classes=(DrugClass.LITHIUM,)),
        other_guideline=CANMAT_ISBD_2018,
    ),
    OptionRow(
        number=102,
        option="Lamotrigine (mood stabiliser)",
        group=OptionGroup.BIPOLAR_DEPRESSION,
        examples="Lamotrigine alone or added to a mood stabiliser",
        adequacy_test=None,
        canmat_2023=None,
        nice=None,
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_AUGMENTATION,), agents=("lamotrigine",)),
        other_guideline=CANMAT_ISBD_2018,
    ),
    OptionRow(
        number=103,
        option="Quetiapine",
        group=OptionGroup.BIPOLAR_DEPRESSION,
        examples="Quetiapine monotherapy",
        adequacy_test=None,
        canmat_2023=None,
        nice=None,
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_AUGMENTATION,), agents=("quetiapine",)),
        other_guideline=CANMAT_ISBD_2018,
    ),
    OptionRow(
        number=104,
        option="Lurasidone",
        group=OptionGroup.BIPOLAR_DEPRESSION,
        examples="Lurasidone alone or with lithium or divalproex",
        adequacy_test=None,
        canmat_2023=None,
        nice=None,
        evidence=None,
        provenance=Provenance.ESTABLISHED,
        provenance_as_published="🔶",
        matches=MatchRule(kinds=(KIND_AUGMENTATION,), agents=("lurasidone",)),
        other_guideline=CANMAT_ISBD_2018,
    ),
)
# The Part 3 rows that are an antidepressant without a mood stabiliser or an antipsychotic:
# dose optimisation (1), the switches (2-5), bupropion augmentation (9), AD combination (10).
ANTIDEPRESSANT_ONLY_ROWS = frozenset({1, 2, 3, 4, 5, 9, 10})
# CANMAT/ISBD 2018: antidepressant monotherapy is not recommended in bipolar I depression.
NOT_WITHOUT_MOOD_STABILISER = "not without a mood stabiliser"
# Spec B3 (CANMAT 2023 Table 3.1): antidepressant monotherapy is inadequate in psychotic
# depression, which needs an antidepressant with an antipsychotic, or ECT.
NOT_WITHOUT_ANTIPSYCHOTIC = "not without an antipsychotic"
# Psychotic depression leads with second-generation antipsychotic augmentation (8) and ECT (13).
PSYCHOTIC_LEADING_ROWS = (8, 13)
