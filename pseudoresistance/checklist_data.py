"""The pseudo-resistance checklist as versioned data (scales-and-checklist.md Part 2, 2026-11).

Plain Python, no Django: the pseudoresistance app loads these items, stores answers against
``ChecklistItem.code`` and ``CHECKLIST_VERSION``, and renders the wording below. Every item of
domains A-F is transcribed whole (question, "concern if", why it matters, screen, flag, source);
markdown emphasis is dropped, the spec's inline provenance marks (✅ 🔶 ⚠️) are kept.

Readings of the spec (section 2.0 unless stated):

- Domain A is answered per treatment trial (``Scope.TRIAL``), domains B-F per episode.
- A conditional flag ("🟠 (🔴 if …)", or "🔴 if …; 🟠 otherwise") is stored as AMBER; its RED
  condition is ``escalation_hint`` and a clinician escalates to RED with a recorded reason. The
  spec's flag cell is kept verbatim in ``flag_as_published``; other parenthetical flag text
  ("exclude", "safety", "B-items become Unknown") is ``flag_note``.
- "Yes / Unknown" (C1) and "Yes (below range) / Unknown when indicated" (A6) are
  ``ConcernAnswer.YES_OR_UNKNOWN``: Unknown is itself the concern there, not a data gap. A6 keeps
  its qualifier in ``concern_note``.
- ``provenance`` is the weakest tag in the item's source cell (⚠️ < 🔶 < ✅), so an item that
  leans on any source not re-verified is marked for clinical sign-off (section 0.1).

Records rules that can pre-answer an item from the trial data (design.md, pseudoresistance). A
rule that fires sets ``pre_answer`` and says so; ``pre_answer_otherwise`` is the answer when its
inputs are recorded and the condition does not hold (None: the clinician answers). Missing inputs
never fire a rule.

==============================================  =====  =======  ==================================
key                                             item   scope    fires when (records)
==============================================  =====  =======  ==================================
``dose_below_minimum``                          A1     trial    sustained dose (lithium: serum
                                                                level) below the catalogue minimum
``duration_short``                              A3     trial    weeks at adequate dose < 6;
                                                                < 4 proposes RED
``adherence_poor``                              A5     trial    adherence recorded "poor"
``stopped_for_adverse_effects``                 A4     trial    stopped for adverse effects and
                                                                not adequate; No when staging rates
                                                                it adequate or another reason
``previous_episode``                            A14    trial    trial is in a previous episode
``psychotherapy_too_few_sessions``              A15    trial    psychotherapy trial, < 8 sessions
``neuromodulation_course_short``                A17    trial    ECT/rTMS/esketamine/ketamine
                                                                course below its minimum sessions
``bipolarity_suspected``                        B1     episode  diagnosis "MDD with bipolarity
                                                                suspected" or bipolar, or a trial
                                                                ended in a switch to
                                                                hypomania/mania
``psychotic_features_recorded``                 B3     episode  the episode records psychotic
                                                                features
``personality_pathology_recorded``              B6     episode  personality traits or disorder
                                                                recorded (none: answers No)
``stressors_recorded``                          E1     episode  psychosocial stressors recorded
                                                                present (none: answers No)
``psychotherapy_never_tried``                   E8     episode  no psychotherapy trial in episode
``episode_psychotherapy_too_few_sessions``      E10    episode  a psychotherapy trial in the
                                                                episode had < 8 sessions
``no_scale_based_outcome``                      F4     episode  a trial's outcome has no
                                                                rating-scale result (answers No)
==============================================  =====  =======  ==================================

No domain A item asks whether a trial's outcome was measured on a scale; F4 (measurement-based
care, concern if No) is the item that such a gap answers, so ``no_scale_based_outcome`` targets
it. Both bipolarity signals (the recorded diagnosis and a switch to hypomania) pre-answer the same
item, B1, so they are one rule: an item names at most one rule.

Case status (section 2.0, ⚠️ display only; a clinician confirms) is ``case_status`` with the
wording in ``CASE_STATUS_TEXT``. The wording follows sections 0.2, 5.2 and 5.3: a patient is never
called "treatment-resistant" (nor "TRD"); where a status cites the definition, it is the
*treatments tried* that meet, or do not meet, a common definition of treatment resistance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from staging.history import TrialKind

CHECKLIST_VERSION = "2026.11-1"
CHECKLIST_SOURCE = (
    "TRD as impasse: reference material, Part 2 (pseudo-resistance checklist), research snapshot "
    "2026-11"
)


class Domain(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"

    @property
    def label(self) -> str:
        """Return the domain's title as the spec names it."""
        return DOMAIN_TITLES[self]


DOMAIN_TITLES: Mapping[Domain, str] = MappingProxyType(
    {
        Domain.A: "Treatment adequacy",
        Domain.B: "Diagnostic accuracy",
        Domain.C: "Medical mimics and contributors",
        Domain.D: "Substances",
        Domain.E: "Psychosocial context and therapeutic alliance",
        Domain.F: "Assessment process (Putman's steps)",
    }
)

# Section 2.3 preamble: CANMAT 2023 on laboratory tests in poor response, and the proposed panel.
DOMAIN_NOTES: Mapping[Domain, str] = MappingProxyType(
    {
        Domain.C: (
            'CANMAT 2023: labs "only when clinically indicated" (Table 5.1, Level 4) ✅, but in '
            'poor response "laboratory investigations should be considered to rule out potential '
            'medical factors" (Q7.c) ✅. Suggested default impasse panel ⚠️: CBC, ferritin, TSH '
            "(± free T4), B12 (± MMA/homocysteine), folate, glucose/HbA1c, electrolytes incl. "
            "calcium, creatinine/eGFR, liver tests; optional 25(OH)D, CRP, morning cortisol, "
            "testosterone (men), HIV/HCV/syphilis serology by risk."
        ),
    }
)


class Scope(StrEnum):
    TRIAL = "trial"
    EPISODE = "episode"


class FlagLevel(StrEnum):
    RED = "red"
    AMBER = "amber"
    PROCESS = "process"

    @property
    def label(self) -> str:
        """Return the flag's display name (section 2.0)."""
        return FLAG_LABELS[self]


FLAG_LABELS: Mapping[FlagLevel, str] = MappingProxyType(
    {
        FlagLevel.RED: "Pseudo-resistance likely",
        FlagLevel.AMBER: "Contributor",
        FlagLevel.PROCESS: "Assessment process",
    }
)
FLAG_MEANINGS: Mapping[FlagLevel, str] = MappingProxyType(
    {
        FlagLevel.RED: (
            "The concern, if confirmed, means a counted trial was not a valid failure or the "
            "working diagnosis is wrong/incomplete. Affected trial(s) are excluded from TRD/MSM "
            "counts until resolved."
        ),
        FlagLevel.AMBER: (
            "A potentially modifiable factor associated with poor response. It does not "
            "invalidate the trial count but belongs in the DTD/impasse formulation and plan."
        ),
        FlagLevel.PROCESS: (
            "Quality of the assessment itself (Putman's steps). A concern lowers confidence in "
            "the whole staging."
        ),
    }
)


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ConcernAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    YES_OR_UNKNOWN = "yes_or_unknown"


_CONCERN_ANSWERS: Mapping[ConcernAnswer, frozenset[Answer]] = MappingProxyType(
    {
        ConcernAnswer.YES: frozenset({Answer.YES}),
        ConcernAnswer.NO: frozenset({Answer.NO}),
        ConcernAnswer.YES_OR_UNKNOWN: frozenset({Answer.YES, Answer.UNKNOWN}),
    }
)


class Provenance(StrEnum):
    VERIFIED = "verified"
    ESTABLISHED = "established"
    PROPOSED = "proposed"

    @property
    def symbol(self) -> str:
        """Return the spec's tag for this provenance (section 0.1)."""
        return PROVENANCE_SYMBOLS[self]

    @property
    def label(self) -> str:
        """Return what the tag means for a clinical user ("About this rule")."""
        return PROVENANCE_LABELS[self]


PROVENANCE_SYMBOLS: Mapping[Provenance, str] = MappingProxyType(
    {Provenance.VERIFIED: "✅", Provenance.ESTABLISHED: "🔶", Provenance.PROPOSED: "⚠️"}
)
PROVENANCE_LABELS: Mapping[Provenance, str] = MappingProxyType(
    {
        Provenance.VERIFIED: "Checked against the primary or an authoritative source",
        Provenance.ESTABLISHED: "Well established, not re-verified: clinical sign-off required",
        Provenance.PROPOSED: "Local convention: proposed by the reference material, not published",
    }
)
# The spec's symbols in words: some browsers draw 🔶 as an empty box (issue 17).
SYMBOL_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "✅": "(verified)",
        "🔶": "(established, not re-verified)",
        "⚠️": "(proposed locally)",
        "🔴": "RED",
        "🟠": "AMBER",
        "⚪": "process",
    }
)


def in_words(text: str) -> str:
    """Return a text of the checklist with its symbols written as words."""
    for symbol, words in SYMBOL_WORDS.items():
        text = text.replace(symbol, words)
    return text


# Section 2.0 marks both the escalation mechanism and the case-status logic ⚠️.
ESCALATION_PROVENANCE = Provenance.PROPOSED
STATUS_LOGIC_PROVENANCE = Provenance.PROPOSED

SCREENS_NOTE = "Screens suggest, they do not diagnose."
ESCALATION_NOTE = (
    "Stored as AMBER; a clinician may escalate to RED with a recorded reason when the condition "
    "holds."
)


class DerivedRuleKey(StrEnum):
    DOSE_BELOW_MINIMUM = "dose_below_minimum"
    DURATION_SHORT = "duration_short"
    ADHERENCE_POOR = "adherence_poor"
    PREVIOUS_EPISODE = "previous_episode"
    PSYCHOTHERAPY_TOO_FEW_SESSIONS = "psychotherapy_too_few_sessions"
    NEUROMODULATION_COURSE_SHORT = "neuromodulation_course_short"
    BIPOLARITY_SUSPECTED = "bipolarity_suspected"
    PSYCHOTHERAPY_NEVER_TRIED = "psychotherapy_never_tried"
    EPISODE_PSYCHOTHERAPY_TOO_FEW_SESSIONS = "episode_psychotherapy_too_few_sessions"
    NO_SCALE_BASED_OUTCOME = "no_scale_based_outcome"
    STOPPED_FOR_ADVERSE_EFFECTS = "stopped_for_adverse_effects"
    PSYCHOTIC_FEATURES_RECORDED = "psychotic_features_recorded"
    PERSONALITY_PATHOLOGY_RECORDED = "personality_pathology_recorded"
    STRESSORS_RECORDED = "stressors_recorded"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str
    domain: Domain
    scope: Scope
    question: str
    concern_answer: ConcernAnswer
    flag: FlagLevel
    flag_as_published: str
    why_it_matters: str
    screen: str
    source: str
    provenance: Provenance
    escalation_hint: str | None = None
    flag_note: str | None = None
    concern_note: str | None = None
    derived_from: DerivedRuleKey | None = None

    @property
    def can_escalate(self) -> bool:
        """Return whether a clinician may raise this AMBER item to RED (conditional flag)."""
        return self.escalation_hint is not None

    def raises_concern(self, answer: Answer) -> bool:
        """Return whether an answer is the one that raises this item's flag."""
        return answer in _CONCERN_ANSWERS[self.concern_answer]

    def is_data_gap(self, answer: Answer, *, escalated: bool = False) -> bool:
        """Return whether an answer is a data gap: Unknown on a RED item that is not a concern."""
        red = self.flag is FlagLevel.RED or (escalated and self.can_escalate)
        return red and answer == Answer.UNKNOWN and not self.raises_concern(answer)


# Sections 2.1-2.6, in the spec's order.
ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        code="A1",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was the dose below the minimum effective / therapeutic dose for most of the trial "
            "(ATHF rating <3 for that drug)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴",
        why_it_matters=(
            'Sub-therapeutic dosing is a frequent cause of "failed" trials; ATHF counts only ≥3 as '
            "adequate"
        ),
        screen="Dose history from pharmacy records; ATHF/ATHF-SF2 drug-specific dose tables",
        source=(
            "Sackeim 2001 J Clin Psychiatry 62 Suppl 16:10–17; Sackeim 2019 J Psychiatr Res "
            '113:125–36; CANMAT 2023 Table 7.1 ("inadequate dose") ✅'
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.DOSE_BELOW_MINIMUM,
    ),
    ChecklistItem(
        code="A2",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was a tolerated, partially effective dose left un-optimised (not increased within the "
            "licensed range) before the drug was declared a failure?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters='CANMAT algorithm: "optimize dose" precedes switch/adjunct',
        screen="Dose timeline vs licensed range",
        source="CANMAT 2023 Figure 7.1 ✅; NICE NG222 1.9 (increase dose) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A3",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was the trial at adequate dose shorter than 4 weeks? (and: shorter than 6–8 weeks?)"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🔴 if <4 wk; 🟠 if 4 to <6 wk (threshold configurable)",
        escalation_hint="if <4 wk",
        flag_note="AMBER if 4 to <6 wk (threshold configurable)",
        why_it_matters=(
            "<4 weeks cannot be scored as failure (ATHF, Sforzini); 4–<6 weeks is a short trial by "
            "common convention"
        ),
        screen="Start/stop dates; dose-reached date",
        source=(
            "Sackeim 2001 (ATHF: >4 weeks); Sforzini 2022 Mol Psychiatry; Rybak 2021 (4–6 weeks) ✅"
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.DURATION_SHORT,
    ),
    ChecklistItem(
        code="A4",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was the drug stopped because of adverse effects before reaching adequate dose and "
            "duration?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published='🔴 (reclassify as "intolerance")',
        flag_note='reclassify as "intolerance"',
        why_it_matters="That is intolerance, not resistance; count separately",
        screen="Reason-for-stop field; side-effect history",
        source="Sforzini 2022; ATHF (adequacy reduced if stopped for intolerance/non-adherence) ✅",
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.STOPPED_FOR_ADVERSE_EFFECTS,
    ),
    ChecklistItem(
        code="A5",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Is there evidence of poor adherence (self-report, pill counts, refill gaps, "
            "collateral; proportion of days covered <80 % 🔶)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴",
        why_it_matters=(
            "Non-adherence is a core cause of pseudo-resistance and pseudo-tachyphylaxis"
        ),
        screen="Pharmacy refill data; brief adherence questions; collateral",
        source='CANMAT 2023 Table 7.1 ("poor adherence"), Figure 7.1 ✅; Hiemke 2018 ✅',
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.ADHERENCE_POOR,
    ),
    ChecklistItem(
        code="A6",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "If measured, was the antidepressant plasma level below the therapeutic reference "
            "range at steady state (or was a level indicated but never measured)?"
        ),
        concern_answer=ConcernAnswer.YES_OR_UNKNOWN,
        concern_note="Yes (below range) / Unknown when indicated",
        flag=FlagLevel.AMBER,
        flag_as_published="🔴 if below range; 🟠 if indicated but not done",
        escalation_hint="if below range",
        flag_note="AMBER if indicated but not done",
        why_it_matters="TDM distinguishes non-adherence, rapid metabolism and true non-response",
        screen="Trough plasma level at steady state; AGNP reference ranges",
        source=(
            "Hiemke 2018 Pharmacopsychiatry 51:9–62 (TDM indications: non-response at therapeutic "
            "dose, uncertain adherence, tolerability problems, PK interactions) ✅; CANMAT 2023 "
            "Q3.k (plasma levels useful with poor response, Level 3) ✅"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A7",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Is the patient a known or likely CYP2D6 or CYP2C19 ultrarapid metabolizer for the "
            "drug tried (or poor metabolizer with early intolerance)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published=(
            "🔴 for that trial if UM with non-response at standard dose; 🟠 otherwise"
        ),
        escalation_hint="for that trial if UM with non-response at standard dose",
        flag_note="AMBER otherwise",
        why_it_matters=(
            "UM → low exposure at standard dose (apparent non-response); PM → high exposure → side "
            "effects → early stop (links to A4)"
        ),
        screen=(
            "Pharmacogenetic test (CYP2D6, CYP2C19, CYP2B6) interpreted with CPIC; relevant drugs: "
            "CYP2D6 — paroxetine, fluvoxamine, venlafaxine, vortioxetine, TCAs; CYP2C19 — "
            "citalopram, escitalopram, sertraline (+CYP2B6), TCAs (tertiary amines)"
        ),
        source=(
            "Bousman 2023 Clin Pharmacol Ther 114:51–68 (CPIC SSRIs/SNRIs etc.) ✅; Hicks 2017 CPT "
            "102:37–44 (TCAs) 🔶; CANMAT 2023 Q3.k, Level 3; Sequence2Script tool ✅. CPIC does "
            "not recommend SLC6A4/HTR2A for prescribing ✅"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="A8",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was a co-prescribed enzyme inducer present (e.g., carbamazepine, phenytoin, "
            "rifampicin, St John's wort) or an inhibitor that produced toxicity and early stop?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published='🔴 if inducer during "failed" trial; 🟠 otherwise',
        escalation_hint='if inducer during "failed" trial',
        flag_note="AMBER otherwise",
        why_it_matters=(
            "Inducers lower levels (pseudo-non-response); inhibitors raise levels (intolerance)"
        ),
        screen="Medication reconciliation; interaction checker; TDM",
        source="Hiemke 2018 ✅ (PK interaction as TDM indication); specific inducer list 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="A9",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Does the patient smoke (tobacco or combusted cannabis), or did smoking status change "
            "during a trial of a CYP1A2 substrate (fluvoxamine, duloxetine, mirtazapine, "
            "trazodone, agomelatine, several TCAs)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if level subtherapeutic)",
        escalation_hint="if level subtherapeutic",
        why_it_matters=(
            "Polycyclic aromatic hydrocarbons in smoke induce CYP1A2 (nicotine itself does not); "
            "smokers have lower levels; stopping smoking raises them"
        ),
        screen="Smoking history with dates; TDM",
        source=(
            "Oliveira 2017 Ann Gen Psychiatry 16:17 ✅; Zevin & Benowitz 1999 Clin Pharmacokinet "
            "36:425–38 ✅"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A10",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Did loss of or lack of response coincide with a change of manufacturer, generic "
            "product or formulation (IR ↔ SR/XL)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Bioequivalence failures occur: FDA withdrew approval of a generic bupropion XL 300 mg "
            "(Budeprion XL 300) in Oct 2012 after it failed bioequivalence"
        ),
        screen="Pharmacy dispensing history (manufacturer/NDC)",
        source=(
            'FDA 2012 (Budeprion XL 300 mg withdrawal) ✅; Putman 2024 ("polypharmacy and '
            'bioavailability") ✅ (Putman 2024 full text)'
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A11",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Is absorption likely impaired (Roux-en-Y gastric bypass or other bariatric surgery, "
            "short bowel, malabsorption, persistent vomiting/diarrhoea)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 with subtherapeutic level)",
        escalation_hint="with subtherapeutic level",
        why_it_matters="After RYGB, SRI exposure fell to ~54 % of pre-surgery AUC at 1 month",
        screen="Surgical history; TDM",
        source="Hamad 2012 Am J Psychiatry 169:256–63 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A12",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Is there polypharmacy that could blunt response or mimic depression (≥5 drugs, "
            "duplicate psychotropic classes, sedative load, anticholinergic load)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Sedation, apathy, fatigue and cognitive slowing from co-medication are mistaken for "
            "residual depression; interactions"
        ),
        screen="Medication reconciliation; deprescribing review",
        source="Putman 2024 ✅ (Putman 2024 full text); Qato 2018 JAMA 319:2289–98 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A13",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            'Could residual "symptoms" be adverse effects (emotional blunting/apathy, fatigue, '
            "insomnia, sexual dysfunction, akathisia)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters='CANMAT lists "side effects masking as symptoms"',
        screen="Symptom-by-symptom review against drug AE profile; item-level scale trends",
        source="CANMAT 2023 Table 7.1 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A14",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "Was the counted trial from a previous episode, or given at a low dose for another "
            "indication (e.g., sleep, pain, anxiety)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴 (exclude from current-episode count)",
        flag_note="exclude from current-episode count",
        why_it_matters="TRD staging counts adequate trials in the current episode",
        screen="Episode dates vs trial dates; indication field",
        source="ATHF (episode-specific ratings) 🔶; MSM (current episode) 🔶",
        provenance=Provenance.ESTABLISHED,
        derived_from=DerivedRuleKey.PREVIOUS_EPISODE,
    ),
    ChecklistItem(
        code="A15",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            'If psychotherapy is counted as "failed", was it <8 sessions, less than weekly, or a '
            "non-evidence-based/unstructured modality?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (do not count as failed psychotherapy)",
        flag_note="do not count as failed psychotherapy",
        why_it_matters=(
            "Psychotherapy dose–response: ~50 % improved by 8 sessions, ~75 % by 26; structured "
            "CBT/IPT usually 8–16+ weekly sessions"
        ),
        screen="Session count, frequency, modality, therapist training",
        source=(
            "Howard 1986 Am Psychol 41:159–64 ✅; Hansen 2002 Clin Psychol Sci Pract 9:329–43 ✅; "
            "CANMAT 2023 Q3.d ✅; Sackeim 2019 ATHF-SF psychotherapy criteria ✅"
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.PSYCHOTHERAPY_TOO_FEW_SESSIONS,
    ),
    ChecklistItem(
        code="A16",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "For a previous responder who relapsed on the same drug and dose: were "
            "pseudo-tachyphylaxis causes checked (adherence, new stressor, substance use, medical "
            "illness, interaction, generic switch)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="True tachyphylaxis should be a diagnosis of exclusion",
        screen="Items A5, A8–A10, C*, D*, E1",
        source="Targum 2014 Innov Clin Neurosci ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="A17",
        domain=Domain.A,
        scope=Scope.TRIAL,
        question=(
            "If an ECT/rTMS/ketamine course is counted as failed, was it shorter or "
            "lower-intensity than protocol (e.g., too few sessions, only low-dose unilateral ECT)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴 (exclude)",
        flag_note="exclude",
        why_it_matters="Neuromodulation has its own adequacy criteria",
        screen="Procedure records; ATHF-SF2 criteria",
        source=(
            "ATHF/ATHF-SF2 include ECT adequacy 🔶 (Sackeim 2024 J Psychiatr Res 176:325–37 ✅ "
            "exists; criteria not re-read)"
        ),
        provenance=Provenance.ESTABLISHED,
        derived_from=DerivedRuleKey.NEUROMODULATION_COURSE_SHORT,
    ),
    ChecklistItem(
        code="B1",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Is there evidence of bipolar disorder/bipolar spectrum (past hypomania/mania incl. "
            "antidepressant-induced; MDQ or HCL-32 positive; family history of bipolar disorder; "
            "very early onset, many brief recurrent episodes)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴",
        why_it_matters=(
            'Bipolar depression has different treatment; TRD definitions exclude it; "incorrect '
            "diagnosis (e.g., bipolar disorder)\" is CANMAT's first poor-response factor"
        ),
        screen=(
            "MDQ positive = ≥7 of 13 items + co-occurrence + moderate/serious problems (sens .73, "
            "spec .90; Hirschfeld 2000 ✅); HCL-32 ≥14 🔶 (Angst 2005); collateral; mood chart"
        ),
        source=(
            "CANMAT 2023 Table 7.1, Q7.c ✅; Sforzini 2022 ✅; IMPROVE study: 57.4 % of "
            "TRD-labelled MDD patients HCL-32 positive (Moro 2014 Clin Pract Epidemiol Ment Health "
            "10:42–7) ✅; unrecognised bipolar 3.3–21.6 % in primary-care depression (Smith 2011 "
            "BJP 199:49–56) ✅. Caution: over-diagnosis also occurs; confirm by interview "
            "(Zimmerman 2008 J Clin Psychiatry 69:935–40) ✅"
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.BIPOLARITY_SUSPECTED,
    ),
    ChecklistItem(
        code="B2",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            'Are DSM-5 "with mixed features" criteria met (≥3 hypomanic symptoms during the MDE)?'
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if meets bipolar criteria)",
        escalation_hint="if meets bipolar criteria",
        why_it_matters="Mixed features predict poor antidepressant response and bipolar conversion",
        screen="Clinical interview; item review",
        source="DSM-5-TR 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="B3",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Are psychotic features present or possibly missed (mood-congruent delusions of guilt, "
            "poverty, nihilism, somatic; hallucinations)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴",
        why_it_matters=(
            "Psychotic depression needs AD + antipsychotic or ECT; AD monotherapy is inadequate "
            "treatment; >¼ of psychotic depression is misdiagnosed, especially in emergency "
            "settings"
        ),
        screen="Clinical interview; collateral",
        source=(
            "Rothschild 2008 J Clin Psychiatry 69:1293–6 ✅; CANMAT 2023 Table 3.1 (AD + AP, Level "
            "1; ECT for very severe) ✅"
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.PSYCHOTIC_FEATURES_RECORDED,
    ),
    ChecklistItem(
        code="B4",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Does the patient screen positive for adult ADHD?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="CANMAT lists ADHD among comorbidities associated with poor response",
        screen="ASRS v1.1 Part A: ≥4 of 6 in shaded boxes 🔶 (Kessler 2005); developmental history",
        source="CANMAT 2023 Table 7.1 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B5",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Is there PTSD or significant trauma exposure (incl. childhood maltreatment)?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "PTSD comorbidity and childhood maltreatment predict non-response (maltreatment OR "
            "≈1.43 for non-response)"
        ),
        screen=(
            "PC-PTSD-5: original cut 3 (Prins 2016 ✅); 4 best balanced in VA validation, 3 for "
            "women (Bovin 2021 JAMA Netw Open ✅); PCL-5 31–33 🔶; CTQ-SF"
        ),
        source=(
            "CANMAT 2023 Q7.a ✅; Nanni 2012 Am J Psychiatry 169:141–51 ✅; van Dijk 2019 (DM-TRD) "
            "✅"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B6",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Is there a personality disorder or prominent personality pathology?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Associated with poor response; NICE: do not withhold treatment; offer combined "
            "medication + psychological therapy"
        ),
        screen="MSI-BPD ≥7 🔶 (Zanarini 2003); SAPAS ≥3 🔶 (Moran 2003)",
        source="CANMAT 2023 Table 7.1 ✅; NICE NG222 1.11 ✅; Peeters 2016 (DM-TRD) ✅",
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.PERSONALITY_PATHOLOGY_RECORDED,
    ),
    ChecklistItem(
        code="B7",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Is a primary anxiety disorder (GAD, panic, social anxiety) present, with depression "
            "secondary to it?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "The primary disorder may need its own treatment (dose, duration, psychotherapy)"
        ),
        screen="GAD-7 ≥10 🔶; Mini-SPIN ≥6 🔶",
        source="CANMAT 2023 Table 7.1 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B8",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Is OCD present with depression secondary to it?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="OCD often needs higher SRI doses, longer trials and ERP",
        screen="OCI-R ≥21 🔶; Y-BOCS",
        source="CANMAT 2023 Table 7.1 (anxiety-spectrum comorbidity) ✅; OCI-R cut 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="B9",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Are depressive symptoms substance-induced (onset/persistence within intoxication or "
            "withdrawal)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.RED,
        flag_as_published="🔴",
        why_it_matters="Substance-induced depressive disorder is not an antidepressant-failure",
        screen="Timeline follow-back; domain D",
        source="DSM-5-TR 🔶; CANMAT Table 7.1 (SUD) ✅",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="B10",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Is there cognitive impairment/dementia, or late-onset depression with executive "
            "dysfunction or vascular risk?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if a neurocognitive disorder is the primary diagnosis)",
        escalation_hint="if a neurocognitive disorder is the primary diagnosis",
        why_it_matters=(
            "Neurocognitive disorder mimics/coexists; older age predicts poorer response"
        ),
        screen="MoCA <26 🔶 (Nasreddine 2005); neuroimaging when indicated",
        source="CANMAT 2023 Table 7.1 (older age) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B11",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question=(
            "Is the presentation better explained by grief, adjustment disorder or demoralisation "
            "in response to an ongoing situation?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Diagnostic validity is Putman's first check",
        screen="Clinical interview; timeline; PG-13-R for prolonged grief 🔶",
        source='Putman 2024 PRCP ("confirm diagnostic validity") ✅',
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B12",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Is there a seasonal pattern not yet addressed?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Bright-light therapy is first-line for seasonal depression",
        screen="History; mood chart",
        source="CANMAT 2023 Table 2.4 (light therapy, Level 1) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="B13",
        domain=Domain.B,
        scope=Scope.EPISODE,
        question="Is there an eating disorder or low weight?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Affects response and PK; changes treatment priorities",
        screen="SCOFF 🔶; BMI",
        source="🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C1",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is thyroid dysfunction present or untested in the last 12 months?",
        concern_answer=ConcernAnswer.YES_OR_UNKNOWN,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if overt and untreated)",
        escalation_hint="if overt and untreated",
        why_it_matters="Hypothyroidism (incl. subclinical) causes fatigue, low mood, slowing",
        screen="TSH ± free T4",
        source='CANMAT 2023 Table 7.1 ("thyroid disease") ✅',
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="C2",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is obstructive sleep apnoea likely or untreated?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            '"Undiagnosed sleep apnea may be an important contributor to persistent residual '
            'symptoms of insomnia, fatigue, and low motivation"'
        ),
        screen=(
            "STOP-Bang: 0–2 low, 3–4 intermediate, 5–8 high risk ✅; polysomnography or home sleep "
            "test"
        ),
        source="CANMAT 2023 Q7.a ✅; STOP-Bang (Chung 2008/2016) ✅ scoring",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="C3",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is there anaemia or iron deficiency?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="CANMAT lists anaemia; fatigue and poor concentration mimic depression",
        screen="CBC (WHO anaemia: Hb <130 g/L men, <120 g/L non-pregnant women 🔶), ferritin",
        source="CANMAT 2023 Table 7.1 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="C4",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is B12 or folate deficiency present?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Low folate is associated with poorer antidepressant response; B12 deficiency causes "
            "neuropsychiatric symptoms"
        ),
        screen=(
            "B12 (<148 pmol/L ≈ <200 pg/mL deficient 🔶; MMA/homocysteine if borderline), "
            "serum/red-cell folate"
        ),
        source=(
            "Papakostas 2004 J Clin Psychiatry 🔶; CANMAT 2023 Table 3.7 (L-methylfolate adjunct, "
            "second line) ✅"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C5",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is vitamin D deficient?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (low weight)",
        flag_note="low weight",
        why_it_matters=(
            "Common; replace for general health, but supplementation did not prevent depression in "
            "VITAL-DEP — do not present as an antidepressant"
        ),
        screen="25(OH)D (<20 ng/mL ≈ <50 nmol/L 🔶)",
        source="Okereke 2020 JAMA 324:471–80 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C6",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Is diabetes present or poorly controlled?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Depression roughly doubled in diabetes; hyper/hypoglycaemia mimic symptoms",
        screen="HbA1c / fasting glucose",
        source="Anderson 2001 Diabetes Care 24:1069–78 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C7",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Are there features of adrenal insufficiency (fatigue, weight loss, hyponatraemia, "
            "hyperkalaemia, hyperpigmentation, recent steroid withdrawal)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🔴 if untreated",
        escalation_hint="if untreated",
        why_it_matters="Treatable mimic",
        screen="Early-morning cortisol; ACTH stimulation test if indicated",
        source="Bornstein 2016 J Clin Endocrinol Metab 101:364–89 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C8",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Are there features of Cushing's syndrome/hypercortisolism, or current/recent systemic "
            "corticosteroids?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🔴 if untreated endogenous; 🟠 exogenous (link C18)",
        escalation_hint="if untreated endogenous",
        flag_note="AMBER if exogenous (link C18)",
        why_it_matters=(
            "Hypercortisolism causes depression; exogenous steroids are the commonest cause"
        ),
        screen=(
            "Late-night salivary cortisol, 1-mg overnight dexamethasone suppression test, 24-h "
            "urinary free cortisol (any one as first test)"
        ),
        source="Nieman 2008 J Clin Endocrinol Metab 93:1526–40 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C9",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Other endocrine: hypogonadism (men), perimenopause, "
            "hyperparathyroidism/hypercalcaemia, hyperprolactinaemia?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Each can produce depressive symptoms",
        screen="Testosterone (morning), FSH/LH/oestradiol as indicated, calcium ± PTH, prolactin",
        source="🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C10",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "History of head injury with loss of consciousness or post-traumatic amnesia "
            "(including mild–moderate TBI)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if untreated hypopituitarism)",
        escalation_hint="if untreated hypopituitarism",
        why_it_matters=(
            "Post-TBI depression is common; >25 % of TBI survivors have some hypopituitarism (GH, "
            "gonadal, ACTH, TSH deficits)"
        ),
        screen=(
            "Structured TBI history (e.g., OSU TBI-ID 🔶); pituitary screen: morning cortisol, "
            "TSH/free T4, IGF-1, LH/FSH with testosterone/oestradiol, prolactin"
        ),
        source=(
            'Schneider 2007 JAMA 298:1429–38 ✅; Putman 2024 ("mild-moderate head trauma") ✅ '
            "(Putman 2024 full text)"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="C11",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Chronic or recent infection (HIV, hepatitis C, syphilis, Lyme, post-infectious "
            "syndromes) or current interferon therapy?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Inflammation-mediated and direct CNS effects; interferon-α induces depression"
        ),
        screen="HIV, HCV, syphilis serology by risk; CRP",
        source=(
            'Putman 2024 ("infectious diseases") ✅ (Putman 2024 full text); Musselman 2001 NEJM '
            "344:961–6 (interferon) 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C12",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Respiratory disease (COPD, asthma, hypoxaemia, frequent steroid bursts)?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Dyspnoea, hypoxia, steroid exposure and disability maintain depression",
        screen="Oximetry, spirometry as indicated",
        source='Putman 2024 ("respiratory disorders") ✅ (Putman 2024 full text) 🔶',
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C13",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Gastrointestinal disease (IBD, coeliac disease, IBS, liver disease) — also affects "
            "absorption (A11)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Inflammation, malabsorption, pain and fatigue",
        screen="tTG-IgA for coeliac 🔶; LFTs; faecal calprotectin as indicated",
        source='Putman 2024 ("GI disorders") ✅ (Putman 2024 full text) 🔶',
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C14",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Chronic pain?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Pain and depression co-occur (~65 % of depressed patients report pain 🔶) and worsen "
            "each other's outcomes"
        ),
        screen="PEG 3-item pain scale 🔶 / BPI",
        source="Bair 2003 Arch Intern Med 163:2433–45 🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C15",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Neurological disease (Parkinson's, MS, stroke, epilepsy)?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Neurological depression has different course; some AEDs are depressogenic",
        screen="Neurological history/exam",
        source="🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C16",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question="Obesity, malignancy, or systemic inflammatory disease?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Obesity is a CANMAT poor-response factor; occult cancer (e.g., pancreatic) can "
            "present with depression"
        ),
        screen="BMI; CRP; age-appropriate cancer screening",
        source='CANMAT 2023 Table 7.1 ("obesity") ✅; cancer 🔶',
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="C17",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Poor sleep hygiene/circadian disruption (shift work, irregular schedule) or insomnia "
            "disorder?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="CBT-I is an effective adjunct",
        screen="Insomnia Severity Index 🔶; sleep diary",
        source="CANMAT 2023 Table 2.4 (sleep interventions, Level 3) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="C18",
        domain=Domain.C,
        scope=Scope.EPISODE,
        question=(
            "Is the patient taking a medication with depression as a possible adverse effect — "
            "e.g., systemic corticosteroids, isotretinoin, interferon-α, efavirenz, GnRH agonists, "
            "hormonal contraceptives (esp. progestogen-only and in adolescents), montelukast, "
            "levetiracetam, finasteride; sedatives/opioids/gabapentinoids?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if temporal onset fits and drug continues)",
        escalation_hint="if temporal onset fits and drug continues",
        why_it_matters=(
            "37.2 % of US adults use ≥1 medication listing depression as an AE; depression "
            "prevalence 15 % with ≥3 such drugs vs 4.7 % with none. β-blockers: meta-analysis "
            "found no significant increase in depressive symptoms (small increases in fatigue and "
            "sexual dysfunction) — treat as a debated item"
        ),
        screen="Medication reconciliation against AE lists (e.g., label AE sections)",
        source=(
            "Qato 2018 JAMA 319:2289–98 ✅; Ko 2002 JAMA 288:351–7 ✅; Skovlund 2016 JAMA "
            "Psychiatry 73:1154–62 (combined OC RR 1.23, progestogen-only pill 1.34, higher in "
            "adolescents) ✅; Fardet 2012 Am J Psychiatry 169:491–7 (steroids) 🔶; Musselman 2001 "
            "(interferon) 🔶; montelukast FDA boxed warning 2020 🔶; isotretinoin label warning 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="D1",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question="Hazardous alcohol use or alcohol use disorder?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (🔴 if depression confined to heavy-use periods → B9)",
        escalation_hint="if depression confined to heavy-use periods → B9",
        why_it_matters=(
            "Alcohol is depressogenic, worsens adherence and sleep; SUD is a CANMAT poor-response "
            "factor"
        ),
        screen=(
            "AUDIT-C (0–12): positive ≥4 men, ≥3 women ✅; full AUDIT ≥8 🔶; GGT/MCV/PEth as "
            "indicated"
        ),
        source=(
            "CANMAT 2023 Table 7.1 ✅; Bush 1998 Arch Intern Med 158:1789–95 ✅; Bradley 2003/2007 "
            "✅"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="D2",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question=(
            "Regular cannabis use (incl. edibles, high-THC concentrates, vaping), especially daily?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Associated with depression (adolescent use OR ≈1.37 for later depression 🔶); "
            'cannabis worsens ECT-related cognition; cannabis is "not recommended" as a treatment'
        ),
        screen="CUDIT-R ≥8 hazardous, ≥12 possible CUD 🔶 (Adamson 2010); urine drug screen",
        source=(
            "CANMAT 2023 Table 7.2 (cannabis not recommended) and Q8 (cannabis worsens ECT "
            "cognition) ✅; Gobbi 2019 JAMA Psychiatry 76:426–34 🔶"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="D3",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question=(
            "Stimulant use (cocaine, methamphetamine, non-prescribed prescription stimulants)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🔴 if symptoms track use/withdrawal; 🟠 otherwise",
        escalation_hint="if symptoms track use/withdrawal",
        flag_note="AMBER otherwise",
        why_it_matters="Crash/withdrawal produces depressive syndromes; interactions",
        screen="DAST-10 🔶; urine drug screen",
        source="CANMAT 2023 Table 7.1 (SUD) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="D4",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question=(
            'OTC/dietary stimulants or high caffeine (pre-workout, "fat burners", energy drinks, '
            "kratom, etc.)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Insomnia, anxiety, rebound fatigue; undisclosed ingredients",
        screen="Structured supplement/OTC question",
        source="⚠️ clinical rationale (no specific TRD source found)",
        provenance=Provenance.PROPOSED,
    ),
    ChecklistItem(
        code="D5",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question="Tobacco/nicotine use?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "CYP1A2 induction (A9); smoking cessation is associated with improved "
            "depression/anxiety"
        ),
        screen="Pack-years; cessation dates",
        source="Taylor 2014 BMJ 348:g1151 🔶; Oliveira 2017 ✅",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="D6",
        domain=Domain.D,
        scope=Scope.EPISODE,
        question="Benzodiazepine, opioid, gabapentinoid or other sedative use (prescribed or not)?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Sedation/apathy mimic depression; benzodiazepines and anticonvulsants interfere with "
            "ECT efficacy"
        ),
        screen="Medication reconciliation; PDMP where available",
        source="CANMAT 2023 Q8 (ECT interference) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="E1",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Are there ongoing major stressors (financial, housing, legal, work, caregiving, "
            "discrimination)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            '"Acute or chronic stressors" are a CANMAT poor-response factor and a DM-TRD dimension'
        ),
        screen="Structured stressor checklist; social-needs screen",
        source="CANMAT 2023 Table 7.1 ✅; Peeters 2016 ✅",
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.STRESSORS_RECORDED,
    ),
    ChecklistItem(
        code="E2",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question="Ongoing interpersonal conflict, or intimate-partner violence/unsafe home?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠 (safety)",
        flag_note="safety",
        why_it_matters="Maintains depression; safety issue",
        screen="IPV screen (e.g., HITS 🔶)",
        source="🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="E3",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question="Recent bereavement or prolonged grief?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Grief-focused therapy may be needed",
        screen="PG-13-R 🔶",
        source="🔶",
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="E4",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question="Childhood adversity/maltreatment not addressed in formulation?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Predicts non-response and chronicity",
        screen="CTQ-SF 🔶",
        source="Nanni 2012 ✅; van Dijk 2019 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="E5",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Is there evidence of a therapeutic-alliance rupture (with prescriber or therapist)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Alliance predicts outcome in psychotherapy and in pharmacotherapy/placebo arms (NIMH "
            "TDCRP)"
        ),
        screen="WAI-SR (Hatcher & Gillaspy 2006) 🔶; Session Rating Scale 🔶",
        source=(
            'Krupnick 1996 J Consult Clin Psychol 64:532–9 ✅; Putman 2024 ("alliance ruptures"; '
            '"monitor alliances") ✅'
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="E6",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Does the patient not understand the rationale, expected time to benefit, duration to "
            "continue, and how side effects will be managed (poor provider communication)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Explicit instructions about duration and side effects are associated with lower early "
            "discontinuation"
        ),
        screen="Teach-back; brief knowledge questions",
        source=(
            'Mitchell & Selmes 2007 Adv Psychiatr Treat 13:336–46 ✅; Putman 2024 ("poor provider '
            'communication"; "clarity of therapeutic guidance") ✅'
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="E7",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Were the patient's treatment preferences (e.g., psychotherapy vs medication) ignored?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Preference-matched care reduces dropout",
        screen="Preference elicitation",
        source=(
            "Swift & Callahan 2009 J Clin Psychol 65:368–81 🔶; CANMAT 2023 Q2.d (patient "
            "preference) ✅"
        ),
        provenance=Provenance.ESTABLISHED,
    ),
    ChecklistItem(
        code="E8",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question="Has an evidence-based psychotherapy never been offered or tried in this episode?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published='🟠 (adds to Part 3 "not yet tried")',
        flag_note='adds to Part 3 "not yet tried"',
        why_it_matters=(
            'Not a "failure" — it is an untried option; CANMAT: consider psychological treatment '
            "early (Level 2)"
        ),
        screen="Treatment history",
        source="CANMAT 2023 Q7.c, Figure 7.1 ✅; NICE NG222 1.9 ✅",
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.PSYCHOTHERAPY_NEVER_TRIED,
    ),
    ChecklistItem(
        code="E9",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Was psychotherapy a mismatch (unstructured supportive counselling only; modality not "
            "matched to problem, e.g., chronic depression without CBASP/chronic-focused CBT, PTSD "
            "without trauma-focused therapy)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Modality matters; NICE recommends CBT focused on chronic symptoms for chronic "
            "depression"
        ),
        screen="Modality, manual, therapist training",
        source="NICE NG222 1.10 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="E10",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            'Was psychotherapy "dose" inadequate (<8 sessions, or <9–16 structured sessions, or '
            "less than weekly)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters=(
            "Dose–response; little support for less-than-weekly; twice-weekly CBT/IPT better than "
            "weekly"
        ),
        screen="Session log",
        source=(
            "Howard 1986 ✅; Hansen 2002 ✅; CANMAT 2023 Q3.d ✅; Warnick 2021 (Michigan Medicine "
            "guideline, NBK572297: CBT/IPT 8–16 weekly sessions) ✅"
        ),
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.EPISODE_PSYCHOTHERAPY_TOO_FEW_SESSIONS,
    ),
    ChecklistItem(
        code="E11",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question=(
            "Practical barriers (cost, transport, time off work, childcare, language, digital "
            "access)?"
        ),
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Cause missed sessions and non-adherence",
        screen="Ask directly",
        source="⚠️",
        provenance=Provenance.PROPOSED,
    ),
    ChecklistItem(
        code="E12",
        domain=Domain.E,
        scope=Scope.EPISODE,
        question="Lifestyle factors unaddressed (physical inactivity, diet, social isolation)?",
        concern_answer=ConcernAnswer.YES,
        flag=FlagLevel.AMBER,
        flag_as_published="🟠",
        why_it_matters="Exercise is first-line for mild MDE and an adjunct",
        screen="Activity/diet questions",
        source=(
            'CANMAT 2023 Table 2.4 (exercise Level 1 for mild) ✅; Putman 2024 ("lifestyle '
            'factors") ✅ (Putman 2024 full text)'
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F1",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Was the diagnosis confirmed with a semi-structured or structured interview (e.g., "
            "SCID-5-CV, MINI)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published='⚪ (B-items become "Unknown")',
        flag_note='B-items become "Unknown"',
        why_it_matters="Unstructured assessment misses bipolarity, psychosis, comorbidity",
        screen="Interview record",
        source="Putman step 1 ✅ (Putman 2024 full text)",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F2",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Were all prior records obtained and reviewed (pharmacy dispensing, prior "
            "psychiatrists, hospital, therapy notes) and each trial reconstructed (dose, duration, "
            "adherence, reason stopped)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪ → treat domain A as data gaps (🔴 Unknown)",
        flag_note="treat domain A as data gaps (RED Unknown)",
        why_it_matters="Self-report under-reports; MGH-ATRQ vs record review concordance 76.3 %",
        screen="Record-review log; ATHF-SF2 or MGH-ATRQ completed",
        source=(
            "Putman step 2 ✅ (Putman 2024 full text); Chandler 2010 CNS Neurosci Ther 16:322–5 ✅"
        ),
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F3",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Was collateral history obtained (family/partner) — esp. for hypomania, substance use, "
            "adherence?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Patients under-report hypomania and substance use",
        screen="Collateral note",
        source="Singh & Rajput 2006 (collateral history, PMC2945875) ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F4",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Is measurement-based care in place (validated scale at baseline and at each visit, "
            "same instrument)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters=(
            "Required to compute response/remission; MBC improves outcomes (response 86.9 % vs "
            "62.7 %; remission 73.8 % vs 28.8 %)"
        ),
        screen="Scale history in app",
        source="CANMAT 2023 Table 5.1 (Level 2) ✅; Guo 2015 Am J Psychiatry 172:1004–13 ✅",
        provenance=Provenance.VERIFIED,
        derived_from=DerivedRuleKey.NO_SCALE_BASED_OUTCOME,
    ),
    ChecklistItem(
        code="F5",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Were comorbidities outside psychiatry searched for (physical exam, primary-care "
            "liaison, labs in 2.3)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Putman: search for comorbidities including outside psychiatry",
        screen="Domain C completion",
        source="Putman step 3 ✅ (PN alert)",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F6",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Has the clinical reasoning been re-examined (anchoring, premature closure, diagnostic "
            "momentum; alternative formulations)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Errors in cognition are a named source of impasse",
        screen="Documented differential/reformulation",
        source='Putman 2024 ("re-examine clinical reasoning", "errors in cognition") ✅',
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F7",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Is there a documented long-term plan (goals incl. function/QoL, sequence of next "
            "options, maintenance and relapse plan)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="DTD goals shift to symptom control, function and QoL",
        screen="Plan note; WSAS/Q-LES-Q goals",
        source="Putman step 5 ✅ (Putman 2024 full text); McAllister-Williams 2020 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F8",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Has feedback been sought (second opinion, consultation, peer review, patient "
            "feedback)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Second opinions find new options in >2/3 of TR-labelled cases (per Putman)",
        screen="Consultation record",
        source="Putman 2024 Psychiatric News ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F9",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question="Has the clinician self-assessed the case (own biases, knowledge gaps)?",
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Putman step 7",
        screen="Reflection note",
        source="Putman ✅ (Putman 2024 full text)",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F10",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question=(
            "Have evidence-based treatments been checked against Part 3 (what remains untried)?"
        ),
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Putman step 8",
        screen="Part 3 table",
        source="Putman ✅ (Putman 2024 full text); CANMAT 2023 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F11",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question="Is the alliance monitored routinely (not only when a rupture is obvious)?",
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪",
        why_it_matters="Putman step 9",
        screen="Alliance measure (E5)",
        source="Putman 2024 ✅",
        provenance=Provenance.VERIFIED,
    ),
    ChecklistItem(
        code="F12",
        domain=Domain.F,
        scope=Scope.EPISODE,
        question="Was suicide risk assessed at this review?",
        concern_answer=ConcernAnswer.NO,
        flag=FlagLevel.PROCESS,
        flag_as_published="⚪ (safety)",
        flag_note="safety",
        why_it_matters="Safety",
        screen="C-SSRS or local tool 🔶",
        source="CANMAT 2023 Q2.c ✅",
        provenance=Provenance.VERIFIED,
    ),
)

ITEMS_BY_CODE: Mapping[str, ChecklistItem] = MappingProxyType({item.code: item for item in ITEMS})


def items_in(domain: Domain) -> tuple[ChecklistItem, ...]:
    """Return a domain's items in the spec's order."""
    return tuple(item for item in ITEMS if item.domain == domain)


# Trial-level items that ask about one kind of treatment only (their own wording: "If
# psychotherapy is counted as failed...", "If an ECT/rTMS/ketamine course..."); they are neither
# asked nor counted as gaps of other trials. Every other trial-level item concerns every trial.
NEUROMODULATION_KINDS = frozenset(
    {TrialKind.ECT, TrialKind.RTMS, TrialKind.ESKETAMINE, TrialKind.KETAMINE}
)
TRIAL_KINDS_BY_ITEM: Mapping[str, frozenset[TrialKind]] = MappingProxyType(
    {"A15": frozenset({TrialKind.PSYCHOTHERAPY}), "A17": NEUROMODULATION_KINDS}
)


def item_applies(code: str, kind: str | None) -> bool:
    """Return whether a trial-level item concerns a trial of this kind (unknown kind: yes)."""
    kinds = TRIAL_KINDS_BY_ITEM.get(code)
    return kinds is None or kind is None or kind in kinds


def item_for(code: str) -> ChecklistItem:
    """Return the item with this code; raise KeyError for an unknown code."""
    return ITEMS_BY_CODE[code]


# The checklist's own thresholds behind the derived rules (section 2.1), configurable by a clinic.
SHORT_TRIAL_WEEKS = 6  # A3: "4 to <6 wk" is a short trial (Rybak 2021; threshold configurable)
NOT_A_FAILURE_WEEKS = 4  # A3: "<4 weeks cannot be scored as failure" (ATHF, Sforzini 2022)
PSYCHOTHERAPY_MIN_SESSIONS = 8  # A15, E10: "<8 sessions" (Howard 1986; Hansen 2002)


@dataclass(frozen=True, slots=True)
class DerivedRule:
    key: DerivedRuleKey
    item_code: str
    scope: Scope
    pre_answer: Answer
    fires_when: str
    reads: str
    pre_answer_otherwise: Answer | None = None
    proposes_escalation_when: str | None = None


DERIVED_RULES: tuple[DerivedRule, ...] = (
    DerivedRule(
        key=DerivedRuleKey.DOSE_BELOW_MINIMUM,
        item_code="A1",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=(
            "The trial's sustained daily dose is below the agent's minimum adequate dose in the "
            "agent catalogue (for lithium: the serum level is below the catalogue minimum)."
        ),
        reads="trial kind, agent, dose per day or serum level; agent catalogue",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.DURATION_SHORT,
        item_code="A3",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=f"The trial lasted under {SHORT_TRIAL_WEEKS} weeks at its adequate dose.",
        reads="weeks at dose",
        pre_answer_otherwise=Answer.NO,
        proposes_escalation_when=(
            f"under {NOT_A_FAILURE_WEEKS} weeks at adequate dose (cannot be scored as a failure)"
        ),
    ),
    DerivedRule(
        key=DerivedRuleKey.ADHERENCE_POOR,
        item_code="A5",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when="Adherence is recorded as poor (under 80 % of doses or sessions).",
        reads="adherence",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.PREVIOUS_EPISODE,
        item_code="A14",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=(
            "The trial belongs to a previous episode (recorded as such, or started before the "
            "current episode's onset)."
        ),
        reads="trial episode, start date; episode onset",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.STOPPED_FOR_ADVERSE_EFFECTS,
        item_code="A4",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=(
            "The trial's recorded reason for stopping is adverse effects and staging does not "
            "rate it adequate (stopped before adequate dose and duration); No when staging rates "
            "it adequate or another reason is recorded."
        ),
        reads="reason stopped; staging's adequacy of the trial",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.PSYCHOTHERAPY_TOO_FEW_SESSIONS,
        item_code="A15",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=(
            f"A psychotherapy trial had fewer than {PSYCHOTHERAPY_MIN_SESSIONS} attended sessions."
        ),
        reads="trial kind, sessions",
    ),
    DerivedRule(
        key=DerivedRuleKey.NEUROMODULATION_COURSE_SHORT,
        item_code="A17",
        scope=Scope.TRIAL,
        pre_answer=Answer.YES,
        fires_when=(
            "An ECT, rTMS, esketamine or ketamine course had fewer sessions than the clinic's "
            "minimum for that treatment (staging parameters and agent catalogue)."
        ),
        reads="trial kind, sessions; minimum sessions per treatment",
    ),
    DerivedRule(
        key=DerivedRuleKey.BIPOLARITY_SUSPECTED,
        item_code="B1",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when=(
            "The diagnosis is recorded as MDD with bipolarity suspected or as bipolar, or a "
            "trial ended with a switch to hypomania or mania."
        ),
        reads="patient diagnosis; trial outcomes",
    ),
    DerivedRule(
        key=DerivedRuleKey.PSYCHOTHERAPY_NEVER_TRIED,
        item_code="E8",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when="No psychotherapy trial is recorded in this episode.",
        reads="trial kinds and episodes",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.EPISODE_PSYCHOTHERAPY_TOO_FEW_SESSIONS,
        item_code="E10",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when=(
            f"A psychotherapy trial in this episode had fewer than {PSYCHOTHERAPY_MIN_SESSIONS} "
            "attended sessions."
        ),
        reads="trial kind, sessions, episode",
    ),
    DerivedRule(
        key=DerivedRuleKey.NO_SCALE_BASED_OUTCOME,
        item_code="F4",
        scope=Scope.EPISODE,
        pre_answer=Answer.NO,
        fires_when=(
            "A trial in this episode has no outcome measured on a rating scale (no percent "
            "reduction, no baseline and end scores)."
        ),
        reads="trial outcome: percent reduction or baseline and end scale scores",
    ),
    DerivedRule(
        key=DerivedRuleKey.PSYCHOTIC_FEATURES_RECORDED,
        item_code="B3",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when="The episode records psychotic features.",
        reads="episode psychotic features",
    ),
    DerivedRule(
        key=DerivedRuleKey.PERSONALITY_PATHOLOGY_RECORDED,
        item_code="B6",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when="The episode records personality traits or a personality disorder.",
        reads="episode personality disorder (none, traits, disorder)",
        pre_answer_otherwise=Answer.NO,
    ),
    DerivedRule(
        key=DerivedRuleKey.STRESSORS_RECORDED,
        item_code="E1",
        scope=Scope.EPISODE,
        pre_answer=Answer.YES,
        fires_when="The episode records psychosocial stressors as present.",
        reads="episode psychosocial stressors (none, present)",
        pre_answer_otherwise=Answer.NO,
    ),
)

DERIVED_RULES_BY_KEY: Mapping[DerivedRuleKey, DerivedRule] = MappingProxyType(
    {rule.key: rule for rule in DERIVED_RULES}
)

PRE_ANSWERED_NOTE = "Pre-answered from the treatment records; the clinician may change it."


# Section 2.0, suggested case-level status logic (⚠️ display only; a clinician confirms).
MIN_FAILED_TRIALS = 2  # "≥ 2 adequate failed trials", the common definition the spec uses


class CaseStatus(StrEnum):
    PSEUDO_RESISTANCE_CASE_FACTOR = "pseudo_resistance_case_factor"
    MEETS_COMMON_DEFINITION = "meets_common_definition"
    UNVERIFIED_DATA_GAPS = "unverified_data_gaps"
    PSEUDO_RESISTANCE_INADEQUATE_TRIALS = "pseudo_resistance_inadequate_trials"
    DOES_NOT_MEET_DEFINITION = "does_not_meet_definition"


# The spec's wording, reworded so the definition is met by the treatments tried, never by the
# patient (sections 0.2 item 4, 5.2, 5.3; style.md "Naming").
CASE_STATUS_TEXT: Mapping[CaseStatus, str] = MappingProxyType(
    {
        CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR: (
            "Pseudo-resistance likely: a diagnostic, medical or substance factor is flagged"
        ),
        CaseStatus.MEETS_COMMON_DEFINITION: (
            "The treatments tried meet a common definition of treatment resistance "
            "(≥ 2 adequate trials without response in this episode)"
        ),
        CaseStatus.UNVERIFIED_DATA_GAPS: "Unverified: data gaps",
        CaseStatus.PSEUDO_RESISTANCE_INADEQUATE_TRIALS: (
            "Pseudo-resistance likely: the trials counted as failures were not adequate trials"
        ),
        CaseStatus.DOES_NOT_MEET_DEFINITION: (
            "The treatments tried do not meet a common definition of treatment resistance "
            "(fewer than 2 adequate trials without response in this episode)"
        ),
    }
)
CONTRIBUTORS_SUFFIX = "; contributors present (difficult-to-treat depression lens)"
DATA_GAPS_SUFFIX = " ({count})"
STATUS_CONFIRMATION_NOTE = "Display only: the status stands once a clinician confirms it."
PROCESS_BANNER_TEXT = (
    "Assessment process: {count} open item(s) lower confidence in this review; they do not "
    "change the status."
)


def case_status(
    *,
    case_red_yes: bool,
    case_red_unknown: bool,
    n_claimed: int,
    n_valid: int,
    n_unverified: int,
) -> CaseStatus:
    """Return the case status from the section 2.0 counts, first matching rule wins."""
    if case_red_yes:
        return CaseStatus.PSEUDO_RESISTANCE_CASE_FACTOR
    if n_valid >= MIN_FAILED_TRIALS and not case_red_unknown:
        return CaseStatus.MEETS_COMMON_DEFINITION
    if n_valid + n_unverified >= MIN_FAILED_TRIALS or case_red_unknown:
        return CaseStatus.UNVERIFIED_DATA_GAPS
    if n_claimed >= MIN_FAILED_TRIALS:
        return CaseStatus.PSEUDO_RESISTANCE_INADEQUATE_TRIALS
    return CaseStatus.DOES_NOT_MEET_DEFINITION


def case_status_text(
    status: CaseStatus, *, contributors_present: bool = False, data_gaps: int = 0
) -> str:
    """Return the display wording of a case status, with contributors or the data-gap count."""
    text = CASE_STATUS_TEXT[status]
    if status is CaseStatus.MEETS_COMMON_DEFINITION and contributors_present:
        text += CONTRIBUTORS_SUFFIX
    if status is CaseStatus.UNVERIFIED_DATA_GAPS and data_gaps:
        text += DATA_GAPS_SUFFIX.format(count=data_gaps)
    return text


# Section 2.7: Putman's impasse framework mapped to checklist items; label "after Putman 2024".
PUTMAN_LABEL = "after Putman 2024"


@dataclass(frozen=True, slots=True)
class PutmanLink:
    label: str
    items: tuple[str, ...]
    domains: tuple[Domain, ...] = ()
    also: str | None = None
    step: int | None = None


def _codes(domain: Domain, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{domain}{number}" for number in range(first, last + 1))


PUTMAN_CAUSES: tuple[PutmanLink, ...] = (
    PutmanLink("Mild–moderate head trauma", ("C10",)),
    PutmanLink("Endocrine disorders", ("C1", "C6", "C7", "C8", "C9")),
    PutmanLink("Lifestyle factors", ("C17", "E12", *_codes(Domain.D, 1, 6))),
    PutmanLink("Infectious diseases", ("C11",)),
    PutmanLink("Alliance ruptures", ("E5", "F11")),
    PutmanLink("Poor provider communication", ("E6",)),
    PutmanLink("Polypharmacy and bioavailability", ("A8", "A10", "A11", "A12")),
    PutmanLink("Respiratory disorders", ("C12", "C2")),
    PutmanLink("GI disorders", ("C13", "A11")),
)

PUTMAN_STEPS: tuple[PutmanLink, ...] = (
    PutmanLink("Semi-structured interviews", ("F1", *_codes(Domain.B, 1, 13)), step=1),
    PutmanLink("Record and review all data", ("F2",), domains=(Domain.A,), step=2),
    PutmanLink(
        "Search for comorbidities, including outside psychiatry",
        ("F5", *_codes(Domain.B, 4, 8)),
        domains=(Domain.C,),
        step=3,
    ),
    PutmanLink("Examine clinical reasoning", ("F6",), step=4),
    PutmanLink("Plan long term", ("F7",), step=5),
    PutmanLink("Seek feedback", ("F8",), step=6),
    PutmanLink("Self-assess", ("F9",), step=7),
    PutmanLink("Evidence-based treatments", ("F10",), also="Part 3", step=8),
    PutmanLink("Monitor alliances", ("F11", "E5"), step=9),
)
