"""Rating scales: definitions, scoring, bands, remission, safety items and outcome categories.

Transcribed from the reference on rating scales (Part 1: 1.1-1.4, 1.9, 1.10, 5.2) and from the
staging specification (8.6 and clarification 18). Plain Python without Django, so it is tested
without a database. Every threshold is data that names its published source and keeps the
reference's provenance tag: CHECKED (✅ verified against the source), SIGN_OFF (🔶 well established,
not re-verified: clinical sign-off required) or LOCAL (⚠️ proposed by the reference: a local
convention, shown as such).

Licensing (1.10 and non-negotiable 0.2.5): item *values* are stored for every scale, because
the safety items, QIDS domain scoring and re-banding need them, and data entry without item text is
how CamCOPS handles the BDI-II. The module ships short topic labels only, never an instrument's item
wording or anchors; `item_text_allowed` is False where the licence is restricted (MADRS, BDI-II) or
unconfirmed (Q-LES-Q-SF, WSAS, WPAI), so no form may add item text for those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from staging.adequacy import (
    PARTIAL_RESPONSE_FROM,
    RESPONSE_FROM,
    OutcomeCategory,
)
from staging.adequacy import outcome_category as staging_outcome_category
from staging.history import SeverityCategory, severity_category

Items = Mapping[str, float | None]

TOTAL_OUT_OF_RANGE = "{scale} total must be between {low} and {high}"
TOTAL_NOT_WHOLE = "{scale} total must be a whole number"
TOTAL_NOT_ASSESSED = "{scale} {value} means not assessed: leave the score blank instead"
TOTAL_NOT_SINGLE = "{scale} has no single total: enter its items and the scores are calculated"
TOTAL_OR_ITEMS_MISSING = "Enter the {scale} total or score every item"
TOTAL_DISAGREES = "The {scale} items score {computed}, not {total}: correct the total or the items"
ITEM_UNKNOWN = "{scale} has no item {item}"
ITEM_ALTERNATIVE_FORMS = "Score {scale} item {item} as {forms}"
ITEM_OUT_OF_RANGE = "{scale} item {item} must be {low}–{high}"
ITEM_NOT_WHOLE = "{scale} item {item} must be a whole number"
ITEMS_BOTH_SCORED = "Item {first} and {second} cannot both be scored: keep the one that was rated"
WPAI_EMPLOYMENT_MISSING = "Answer WPAI item 1: is the patient currently employed?"
UNKNOWN_BAND_SET = "{scale} has no band set {name!r}; choose one of: {names}"
UNKNOWN_REMISSION_VARIANT = "{scale} has no remission variant {name!r}; choose one of: {names}"
NEGATIVE_SCORE = "A score cannot be negative"
SAFETY_ALERT_MESSAGE = (
    "{scale} item {item} ({topic}) is {score}: assess suicide risk with the patient (for example "
    "with the C-SSRS). This prompts a clinician assessment; it is not a risk score."
)
SAFETY_URGENT_MESSAGE = (
    "Urgent: {scale} item {item} ({topic}) is {score}: assess suicide risk with the patient now. "
    "This prompts a clinician assessment; it is not a risk score."
)
NOT_EVALUABLE_DIFFERENT_SCALES = (
    "Not evaluable: the baseline is a {baseline_scale} score and the current one a {current_scale} "
    "score; percent change is only valid on the same scale"
)
NOT_EVALUABLE_SCALE = (
    "Not evaluable: response by percent change is defined for depression symptom scales, "
    "not for {scale}"
)
NOT_EVALUABLE_BASELINE_ZERO = "Not evaluable: the baseline {scale} is 0 (not symptomatic)"
NOT_EVALUABLE_BASELINE_REMISSION = (
    "Not evaluable: the baseline {scale} of {score} is in the remission range ({rule}), "
    "so it was not symptomatic"
)


class ScaleCode(StrEnum):
    HAMD17 = "HAMD17"
    MADRS = "MADRS"
    QIDS_SR16 = "QIDS_SR16"
    PHQ9 = "PHQ9"
    BDI_II = "BDI_II"
    CGI_S = "CGI_S"
    WSAS = "WSAS"
    QLES_Q_SF = "QLES_Q_SF"
    WPAI = "WPAI"


class Rater(StrEnum):
    CLINICIAN = "clinician"
    SELF = "self"


class Provenance(StrEnum):
    CHECKED = "checked against source"
    SIGN_OFF = "clinical sign-off required"
    LOCAL = "local convention"


class LicenceStatus(StrEnum):
    PUBLIC_DOMAIN = "public domain"
    FREE = "free to reproduce"
    RESTRICTED = "restricted"
    UNCONFIRMED = "terms not confirmed"


class Comparison(StrEnum):
    AT_MOST = "≤"
    BELOW = "<"
    EQUAL = "="


# How a change between two scores reads; None: the scores cannot be compared.
OUTCOME_LABELS: Mapping[OutcomeCategory | None, str] = {
    OutcomeCategory.RESPONSE: "response",
    OutcomeCategory.PARTIAL_RESPONSE: "partial response",
    OutcomeCategory.NON_RESPONSE: "non-response",
    OutcomeCategory.NOT_RECORDED: "not recorded",
    None: "not evaluable",
}


class AlertLevel(StrEnum):
    ALERT = "alert"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    # A short topic, never the instrument's wording; empty where the reference names none.
    label: str
    minimum: float
    maximum: float
    in_total: bool = True
    whole: bool = True

    @property
    def number(self) -> int:
        return int(self.key.rstrip("AB"))

    @property
    def field_name(self) -> str:
        return f"item_{self.key}"


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    lower: float
    upper: float
    source: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class BandSet:
    name: str
    bands: tuple[Band, ...]


@dataclass(frozen=True, slots=True)
class RemissionRule:
    name: str
    comparison: Comparison
    threshold: float
    source: str
    provenance: Provenance

    @property
    def label(self) -> str:
        return f"{self.comparison}{_num(self.threshold)}"

    def met(self, score: float) -> bool:
        """Say whether the score is in remission under this rule."""
        if self.comparison is Comparison.AT_MOST:
            return score <= self.threshold
        if self.comparison is Comparison.BELOW:
            return score < self.threshold
        return score == self.threshold


@dataclass(frozen=True, slots=True)
class SafetyRule:
    item: str
    alert_at: int
    source: str
    provenance: Provenance
    urgent_at: int | None = None
    urgent_provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Licence:
    status: LicenceStatus
    source: str
    provenance: Provenance | None


@dataclass(frozen=True, slots=True)
class Threshold:
    percent: int
    source: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class ScaleDefinition:
    code: ScaleCode
    name: str
    source: str
    rater: Rater
    items: tuple[Item, ...]
    # None for the WPAI, which reports four percentages and no single total.
    total_range: tuple[float, float] | None
    whole_total: bool
    higher_is_worse: bool
    licence: Licence
    band_sets: tuple[BandSet, ...] = ()
    remission_rules: tuple[RemissionRule, ...] = ()
    safety: SafetyRule | None = None
    # Response, partial response and non-response (1.3) are defined for symptom scales only.
    percent_change_outcome: bool = False
    # Item values are entered and stored for every scale; see the module docstring.
    item_entry_allowed: bool = True
    not_assessed: float | None = None

    @property
    def item_count(self) -> int:
        return len({item.number for item in self.items})

    @property
    def item_text_allowed(self) -> bool:
        return self.licence.status in {LicenceStatus.PUBLIC_DOMAIN, LicenceStatus.FREE}

    @property
    def remission(self) -> RemissionRule | None:
        return self.remission_rules[0] if self.remission_rules else None

    def item(self, key: str) -> Item | None:
        """Return the item with this key, or None."""
        return next((item for item in self.items if item.key == key), None)

    def band_set(self, name: str | None = None) -> BandSet | None:
        """Return the named band set (default when no name), or None for a scale without."""
        if not self.band_sets:
            return None
        if name is None:
            return self.band_sets[0]
        for band_set in self.band_sets:
            if band_set.name == name:
                return band_set
        names = ", ".join(band_set.name for band_set in self.band_sets)
        raise ValueError(UNKNOWN_BAND_SET.format(scale=self.name, name=name, names=names))

    def remission_rule(self, variant: str | None = None) -> RemissionRule | None:
        """Return the named remission rule (default when no name), or None for a scale without."""
        if not self.remission_rules:
            return None
        if variant is None:
            return self.remission_rules[0]
        for rule in self.remission_rules:
            if rule.name == variant:
                return rule
        names = ", ".join(rule.name for rule in self.remission_rules)
        raise ValueError(
            UNKNOWN_REMISSION_VARIANT.format(scale=self.name, name=variant, names=names)
        )


@dataclass(frozen=True, slots=True)
class ScaleScore:
    # None when an item the total needs is missing, and always for the WPAI.
    total: float | None
    subscores: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScaleError:
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class SafetyAlert:
    code: ScaleCode
    item: str
    score: float
    level: AlertLevel
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    # staging's categories (one owner of the 25 % and 50 % thresholds); None: not evaluable.
    category: OutcomeCategory | None
    percent_change: float | None
    # Remission is a state of the current score, independent of the percent change (1.3).
    remission: bool | None
    worsening: bool
    insufficient_response: bool
    reason: str = ""

    @property
    def label(self) -> str:
        """Return the category as the clinic reads it."""
        return OUTCOME_LABELS[self.category]


def _uniform(low: float, high: float, *labels: str) -> tuple[Item, ...]:
    return tuple(Item(str(number), label, low, high) for number, label in enumerate(labels, 1))


def _bands(
    source: str, provenance: Provenance, *rows: tuple[str, float, float]
) -> tuple[Band, ...]:
    return tuple(Band(label, lower, upper, source, provenance) for label, lower, upper in rows)


CHECKED = Provenance.CHECKED
SIGN_OFF = Provenance.SIGN_OFF
LOCAL = Provenance.LOCAL

# The alert rules of 1.9 are the reference's proposals ⚠️, not published cut-offs.
SUGGESTED_ALERT = "Proposed alert rule (not a published cut-off)"

# Response, partial response and non-response by percent reduction from baseline (1.3).
# The numbers are staging's (staging.adequacy, 1.3.7): a score change and a trial judged alike.
RESPONSE = Threshold(RESPONSE_FROM, "Frank 1991; Rush 2006 ACNP; CANMAT 2023 Q7.a", CHECKED)
PARTIAL_RESPONSE = Threshold(
    PARTIAL_RESPONSE_FROM, "Sforzini 2022 (partially responsive depression)", SIGN_OFF
)
# Below 50 % is "insufficient response" in the broad sense of Rybak 2021, shown alongside.
INSUFFICIENT_RESPONSE = Threshold(50, "Rybak 2021 Canadian consensus", CHECKED)

# Hamilton 1960; structure per CDISC QRS HAMD-17: nine items 0-4, eight items 0-2, and item 16
# rated either by history (A) or by measured weight (B), never both.
HAMD17_ITEMS = (
    Item("1", "depressed mood", 0, 4),
    Item("2", "feelings of guilt", 0, 4),
    Item("3", "suicide", 0, 4),
    Item("4", "insomnia early", 0, 2),
    Item("5", "insomnia middle", 0, 2),
    Item("6", "insomnia late", 0, 2),
    Item("7", "work and activities", 0, 4),
    Item("8", "retardation", 0, 4),
    Item("9", "agitation", 0, 4),
    Item("10", "anxiety psychic", 0, 4),
    Item("11", "anxiety somatic", 0, 4),
    Item("12", "somatic symptoms gastrointestinal", 0, 2),
    Item("13", "general somatic symptoms", 0, 2),
    Item("14", "genital symptoms", 0, 2),
    Item("15", "hypochondriasis", 0, 4),
    Item("16A", "loss of weight, by history", 0, 2),
    Item("16B", "loss of weight, by measurement", 0, 2),
    Item("17", "insight", 0, 2),
)

# Montgomery & Åsberg 1979; topics only (licence restricted), each 0-6 🔶.
MADRS_ITEMS = _uniform(
    0,
    6,
    "apparent sadness",
    "reported sadness",
    "inner tension",
    "reduced sleep",
    "reduced appetite",
    "concentration difficulties",
    "lassitude",
    "inability to feel",
    "pessimistic thoughts",
    "suicidal thoughts",
)

# Rush 2003: 16 items, each 0-3, scored as 9 DSM domains.
QIDS_SR16_ITEMS = _uniform(
    0,
    3,
    "falling asleep",
    "sleep during the night",
    "waking up too early",
    "sleeping too much",
    "feeling sad",
    "decreased appetite",
    "increased appetite",
    "decreased weight",
    "increased weight",
    "concentration and decision-making",
    "view of myself",
    "thoughts of death or suicide",
    "general interest",
    "energy level",
    "feeling slowed down",
    "feeling restless",
)
QIDS_SR16_DOMAINS = (
    ("1", "2", "3", "4"),
    ("5",),
    ("6", "7", "8", "9"),
    ("10",),
    ("11",),
    ("12",),
    ("13",),
    ("14",),
    ("15", "16"),
)

# Kroenke 2001: items 1-9 scored 0-3; item 10 (functional difficulty) is never added to the total.
PHQ9_ITEMS = (
    *_uniform(
        0,
        3,
        "anhedonia",
        "depressed mood",
        "sleep",
        "fatigue",
        "appetite",
        "worthlessness or guilt",
        "concentration",
        "psychomotor change",
        "thoughts of being better off dead or of self-harm",
    ),
    Item("10", "difficulty at work, at home or with other people", 0, 3, in_total=False),
)

# Beck 1996: 21 items 0-3 (items 16 and 18 have lettered options scored 0-3 🔶). Topics are named
# only where the reference gives them: the licence is restricted.
BDI_II_TOPICS = {9: "suicidal thoughts or wishes", 16: "sleep", 18: "appetite"}
BDI_II_ITEMS = tuple(Item(str(n), BDI_II_TOPICS.get(n, ""), 0, 3) for n in range(1, 22))

# Guy 1976 (ECDEU): one rating 1-7; 0 means not assessed.
CGI_S_ITEMS = (Item("1", "severity of illness", 1, 7),)

# Mundt 2002: five items 0-8. Item 1 "not applicable (retired or not working for reasons
# unrelated to the problem)" is stored as missing 🔶.
WSAS_ITEMS = _uniform(
    0,
    8,
    "work",
    "home management",
    "social leisure activities",
    "private leisure activities",
    "close relationships",
)

# Endicott 1993: 16 items 1-5; items 15 and 16 are reported on their own, outside the total.
QLES_Q_SF_ITEMS = (
    *(Item(str(n), "", 1, 5) for n in range(1, 15)),
    Item("15", "medication satisfaction", 1, 5, in_total=False),
    Item("16", "overall life satisfaction", 1, 5, in_total=False),
)

# Reilly 1993: item 1 is 1 (employed) or 0; hours may be fractional, and 168 is every hour of the
# 7-day recall window; items 5 and 6 are 0-10.
HOURS_IN_RECALL_WINDOW = 168
WPAI_RATING_MAX = 10
WPAI_ITEMS = (
    Item("1", "currently employed (1 yes, 0 no)", 0, 1, in_total=False),
    Item("2", "hours missed because of health problems", 0, HOURS_IN_RECALL_WINDOW, whole=False),
    Item(
        "3",
        "hours missed for other reasons",
        0,
        HOURS_IN_RECALL_WINDOW,
        in_total=False,
        whole=False,
    ),
    Item("4", "hours actually worked", 0, HOURS_IN_RECALL_WINDOW, whole=False),
    Item("5", "effect of health problems on productivity while working", 0, WPAI_RATING_MAX),
    Item("6", "effect of health problems on regular activities", 0, WPAI_RATING_MAX),
)
WPAI_ABSENTEEISM = "absenteeism"
WPAI_PRESENTEEISM = "presenteeism"
WPAI_WORK_IMPAIRMENT = "overall_work_impairment"
WPAI_ACTIVITY_IMPAIRMENT = "activity_impairment"
QLES_Q_SF_RAW = "raw"

HAMD17 = ScaleDefinition(
    code=ScaleCode.HAMD17,
    name="HAM-D17",
    source="Hamilton 1960",
    rater=Rater.CLINICIAN,
    items=HAMD17_ITEMS,
    total_range=(0, 52),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(LicenceStatus.PUBLIC_DOMAIN, "CDISC QRS HAMD-17 supplement", CHECKED),
    band_sets=(
        BandSet(
            "Zimmerman 2013",
            _bands(
                "Zimmerman 2013",
                CHECKED,
                ("no depression", 0, 7),
                ("mild", 8, 16),
                ("moderate", 17, 23),
                ("severe", 24, 52),
            ),
        ),
        BandSet(
            "Rush IDS/QIDS crosswalk",
            _bands(
                "Rush, ids-qids.org interpretation",
                CHECKED,
                ("none", 0, 7),
                ("mild", 8, 13),
                ("moderate", 14, 19),
                ("severe", 20, 25),
                ("very severe", 26, 52),
            ),
        ),
    ),
    remission_rules=(
        RemissionRule("Frank 1991", Comparison.AT_MOST, 7, "Frank 1991; STAR*D", CHECKED),
        RemissionRule("Riedel 2010", Comparison.AT_MOST, 6, "Riedel 2010 (empirical)", CHECKED),
    ),
    # Alert at ≥1 is the reference's suggestion ⚠️ (≥3 = ideas or gestures 🔶).
    safety=SafetyRule("3", 1, SUGGESTED_ALERT, LOCAL),
    percent_change_outcome=True,
)

MADRS = ScaleDefinition(
    code=ScaleCode.MADRS,
    name="MADRS",
    source="Montgomery & Åsberg 1979",
    rater=Rater.CLINICIAN,
    items=MADRS_ITEMS,
    total_range=(0, 60),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(
        LicenceStatus.RESTRICTED,
        "Royal College of Psychiatrists; CamCOPS refused permission (2013)",
        CHECKED,
    ),
    band_sets=(
        BandSet(
            "Snaith 1986",
            _bands(
                "Snaith 1986",
                CHECKED,
                ("normal/absent", 0, 6),
                ("mild", 7, 19),
                ("moderate", 20, 34),
                ("severe", 35, 60),
            ),
        ),
        BandSet(
            "Snaith 1986 with Müller 2003 severe ≥31",
            (
                *_bands("Snaith 1986", CHECKED, ("normal/absent", 0, 6), ("mild", 7, 19)),
                Band("moderate", 20, 30, "Snaith 1986; Müller 2003", CHECKED),
                Band("severe", 31, 60, "Müller 2003 (CGI-anchored)", CHECKED),
            ),
        ),
    ),
    # Default <10: CGI-anchored (Hawley 2002) and the same cut as Zimmerman 2004's broad ≤9.
    remission_rules=(
        RemissionRule("Hawley 2002", Comparison.BELOW, 10, "Hawley 2002 (CGI-anchored)", CHECKED),
        RemissionRule(
            "Zimmerman 2004 broad", Comparison.AT_MOST, 9, "Zimmerman 2004 (broad)", CHECKED
        ),
        RemissionRule(
            "Zimmerman 2004 narrow", Comparison.AT_MOST, 4, "Zimmerman 2004 (narrow)", CHECKED
        ),
        RemissionRule("ESCAPE-TRD", Comparison.AT_MOST, 10, "Reif 2023 (ESCAPE-TRD)", CHECKED),
        RemissionRule("SAINT/SNT", Comparison.BELOW, 11, "Cole 2020; Cole 2022", CHECKED),
        RemissionRule(
            "TRANSFORM", Comparison.AT_MOST, 12, "Esketamine TRANSFORM programme", SIGN_OFF
        ),
        RemissionRule("Riedel 2010", Comparison.AT_MOST, 7, "Riedel 2010 (empirical)", CHECKED),
    ),
    # Alert at ≥2 is the reference's suggestion ⚠️ (≥4 = explicit suicidal thoughts 🔶).
    safety=SafetyRule("10", 2, SUGGESTED_ALERT, LOCAL),
    percent_change_outcome=True,
)

QIDS_SR16 = ScaleDefinition(
    code=ScaleCode.QIDS_SR16,
    name="QIDS-SR16",
    source="Rush 2003",
    rater=Rater.SELF,
    items=QIDS_SR16_ITEMS,
    total_range=(0, 27),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(LicenceStatus.FREE, "ids-qids.org: free for clinicians", CHECKED),
    band_sets=(
        BandSet(
            "Rush 2003",
            _bands(
                "Rush 2003",
                CHECKED,
                ("none", 0, 5),
                ("mild", 6, 10),
                ("moderate", 11, 15),
                ("severe", 16, 20),
                ("very severe", 21, 27),
            ),
        ),
    ),
    remission_rules=(
        RemissionRule("STAR*D", Comparison.AT_MOST, 5, "STAR*D, Rush 2006 (≈ HRSD17 ≤7)", CHECKED),
    ),
    # Alert at ≥1 is the reference's suggestion ⚠️ (≥2 = suicide thoughts several times a week 🔶).
    safety=SafetyRule("12", 1, SUGGESTED_ALERT, LOCAL),
    percent_change_outcome=True,
)

PHQ9 = ScaleDefinition(
    code=ScaleCode.PHQ9,
    name="PHQ-9",
    source="Kroenke 2001",
    rater=Rater.SELF,
    items=PHQ9_ITEMS,
    total_range=(0, 27),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(LicenceStatus.FREE, "Pfizer: no permission required", CHECKED),
    band_sets=(
        BandSet(
            "Kroenke 2001",
            _bands(
                "Kroenke 2001",
                CHECKED,
                ("none-minimal", 0, 4),
                ("mild", 5, 9),
                ("moderate", 10, 14),
                ("moderately severe", 15, 19),
                ("severe", 20, 27),
            ),
        ),
        BandSet(
            "NICE NG222",
            _bands("NICE NG222", CHECKED, ("less severe", 0, 15), ("more severe", 16, 27)),
        ),
    ),
    remission_rules=(RemissionRule("CMS159", Comparison.BELOW, 5, "CMS159 / NQF 0710", CHECKED),),
    # Alert at ≥1 is the reference's suggestion ⚠️.
    safety=SafetyRule("9", 1, SUGGESTED_ALERT, LOCAL),
    percent_change_outcome=True,
)

BDI_II = ScaleDefinition(
    code=ScaleCode.BDI_II,
    name="BDI-II",
    source="Beck 1996",
    rater=Rater.SELF,
    items=BDI_II_ITEMS,
    total_range=(0, 63),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(
        LicenceStatus.RESTRICTED, "Pearson; CamCOPS offers data entry without item text", CHECKED
    ),
    band_sets=(
        BandSet(
            "Beck 1996",
            _bands(
                "Beck 1996 (BDI-II manual)",
                CHECKED,
                ("minimal", 0, 13),
                ("mild", 14, 19),
                ("moderate", 20, 28),
                ("severe", 29, 63),
            ),
        ),
    ),
    # The manual defines no remission. Default ≤13 (top of the manual's minimal band, ⚠️); Riedel
    # 2010's ≤12 was derived with the BDI version of that cohort, ⚠️ for the BDI-II.
    remission_rules=(
        RemissionRule(
            "Minimal band", Comparison.AT_MOST, 13, "Beck 1996 minimal band (convention)", LOCAL
        ),
        RemissionRule("Riedel 2010", Comparison.AT_MOST, 12, "Riedel 2010 (empirical)", LOCAL),
    ),
    # Alert at ≥1 is the reference's suggestion ⚠️; 2 and 3 are urgent 🔶.
    safety=SafetyRule("9", 1, SUGGESTED_ALERT, LOCAL, urgent_at=2, urgent_provenance=SIGN_OFF),
    percent_change_outcome=True,
)

CGI_S = ScaleDefinition(
    code=ScaleCode.CGI_S,
    name="CGI-S",
    source="Guy 1976 (ECDEU)",
    rater=Rater.CLINICIAN,
    items=CGI_S_ITEMS,
    total_range=(1, 7),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(LicenceStatus.PUBLIC_DOMAIN, "ECDEU, Guy 1976", SIGN_OFF),
    band_sets=(
        BandSet(
            "Guy 1976",
            _bands(
                "Guy 1976",
                CHECKED,
                ("normal, not at all ill", 1, 1),
                ("borderline mentally ill", 2, 2),
                ("mildly ill", 3, 3),
                ("moderately ill", 4, 4),
                ("markedly ill", 5, 5),
                ("severely ill", 6, 6),
                ("among the most extremely ill", 7, 7),
            ),
        ),
    ),
    remission_rules=(
        RemissionRule(
            "Riedel 2010", Comparison.EQUAL, 1, "Riedel 2010 (remission anchor)", CHECKED
        ),
        RemissionRule("Some trials", Comparison.AT_MOST, 2, "Used by some trials", SIGN_OFF),
    ),
    # CGI response is judged with the CGI-I (1 or 2), not by percent change of the CGI-S.
    percent_change_outcome=False,
    not_assessed=0,
)

WSAS = ScaleDefinition(
    code=ScaleCode.WSAS,
    name="WSAS",
    source="Mundt 2002",
    rater=Rater.SELF,
    items=WSAS_ITEMS,
    total_range=(0, 40),
    whole_total=True,
    higher_is_worse=True,
    licence=Licence(LicenceStatus.UNCONFIRMED, "Widely reproduced free; terms not confirmed", None),
    band_sets=(
        BandSet(
            "Mundt 2002",
            _bands(
                "Mundt 2002",
                CHECKED,
                ("subclinical", 0, 9),
                ("significant functional impairment", 10, 20),
                ("moderately severe or worse", 21, 40),
            ),
        ),
    ),
)

QLES_Q_SF = ScaleDefinition(
    code=ScaleCode.QLES_Q_SF,
    name="Q-LES-Q-SF",
    source="Endicott 1993",
    rater=Rater.SELF,
    items=QLES_Q_SF_ITEMS,
    # Percent of maximum, where higher is better; no official severity bands.
    total_range=(0, 100),
    whole_total=False,
    higher_is_worse=False,
    licence=Licence(LicenceStatus.UNCONFIRMED, "Copyright J. Endicott; terms not confirmed", None),
)

WPAI = ScaleDefinition(
    code=ScaleCode.WPAI,
    name="WPAI",
    source="Reilly 1993",
    rater=Rater.SELF,
    items=WPAI_ITEMS,
    # Four percentages of impairment, no severity bands.
    total_range=None,
    whole_total=False,
    higher_is_worse=True,
    licence=Licence(
        LicenceStatus.UNCONFIRMED, "Reilly Associates; scoring public, licence not confirmed", None
    ),
)

SCALES: Mapping[ScaleCode, ScaleDefinition] = {
    scale.code: scale
    for scale in (HAMD17, MADRS, QIDS_SR16, PHQ9, BDI_II, CGI_S, WSAS, QLES_Q_SF, WPAI)
}

# Staging severity (8.6) is staging's table (staging.history.SEVERITY_LOWER_BOUNDS), not the
# display bands here; other scales have no staging mapping.

# Percent totals are entered to one decimal place, so half of that is the same score.
PERCENT_ROUNDING = 0.05


def _num(value: float) -> str:
    return f"{round(value, 1):g}"


def _answered(items: Items) -> dict[str, float]:
    return {key: value for key, value in items.items() if value is not None}


def _groups(scale: ScaleDefinition) -> dict[int, tuple[Item, ...]]:
    """Group items by number, so HAM-D17 16A and 16B are one item."""
    groups: dict[int, tuple[Item, ...]] = {}
    for item in scale.items:
        groups[item.number] = (*groups.get(item.number, ()), item)
    return groups


def _unknown_item_message(scale: ScaleDefinition, key: str) -> str:
    forms = _groups(scale).get(int(key), ()) if key.isdigit() else ()
    if len(forms) > 1:
        names = " or ".join(f"{form.key} ({form.label})" for form in forms)
        return ITEM_ALTERNATIVE_FORMS.format(scale=scale.name, item=key, forms=names)
    return ITEM_UNKNOWN.format(scale=scale.name, item=key)


def _item_errors(scale: ScaleDefinition, items: Items) -> list[ScaleError]:
    errors: list[ScaleError] = []
    for key, value in items.items():
        item = scale.item(key)
        if item is None:
            errors.append(ScaleError(f"item_{key}", _unknown_item_message(scale, key)))
        elif value is None:
            continue
        elif not item.minimum <= value <= item.maximum:
            low, high = _num(item.minimum), _num(item.maximum)
            message = ITEM_OUT_OF_RANGE.format(scale=scale.name, item=key, low=low, high=high)
            errors.append(ScaleError(item.field_name, message))
        elif item.whole and not float(value).is_integer():
            errors.append(
                ScaleError(item.field_name, ITEM_NOT_WHOLE.format(scale=scale.name, item=key))
            )
    for number, forms in _groups(scale).items():
        scored = [form.key for form in forms if items.get(form.key) is not None]
        if len(scored) > 1:
            message = ITEMS_BOTH_SCORED.format(first=scored[0], second=scored[1])
            errors.append(ScaleError(f"item_{number}", message))
    return errors


def _range_error(scale: ScaleDefinition, total: float) -> str | None:
    if scale.not_assessed is not None and total == scale.not_assessed:
        return TOTAL_NOT_ASSESSED.format(scale=scale.name, value=_num(total))
    if scale.total_range is None:
        return None
    low, high = scale.total_range
    if not low <= total <= high:
        return TOTAL_OUT_OF_RANGE.format(scale=scale.name, low=_num(low), high=_num(high))
    return None


def _require_score(scale: ScaleDefinition, score: float) -> None:
    message = _range_error(scale, score)
    if message is not None:
        raise ValueError(message)


def _sum_total(scale: ScaleDefinition, answered: dict[str, float]) -> ScaleScore:
    total = 0.0
    for forms in _groups(scale).values():
        if not forms[0].in_total:
            continue
        scored = [answered[form.key] for form in forms if form.key in answered]
        if not scored:
            return ScaleScore(None)
        total += scored[0]
    return ScaleScore(int(total))


def _qids_total(scale: ScaleDefinition, answered: dict[str, float]) -> ScaleScore:
    # Rush 2003: the highest item of the sleep, appetite/weight and psychomotor domains counts.
    if any(item.key not in answered for item in scale.items):
        return ScaleScore(None)
    return ScaleScore(
        int(sum(max(answered[key] for key in domain) for domain in QIDS_SR16_DOMAINS))
    )


def _percent_of_maximum(scale: ScaleDefinition, answered: dict[str, float]) -> ScaleScore:
    # Endicott 1993: % maximum = (raw − 14) / 56 × 100 over items 1-14.
    counted = [item for item in scale.items if item.in_total]
    if any(item.key not in answered for item in counted):
        return ScaleScore(None)
    raw = sum(answered[item.key] for item in counted)
    floor = sum(item.minimum for item in counted)
    span = sum(item.maximum - item.minimum for item in counted)
    return ScaleScore((raw - floor) / span * 100, {QLES_Q_SF_RAW: int(raw)})


def _wpai_scores(scale: ScaleDefinition, answered: dict[str, float]) -> ScaleScore:
    # Reilly 1993 (reillyassociates.net scoring): work scores only when employed, and no
    # absenteeism when no hours were missed or worked (Q2 + Q4 = 0).
    activity = answered.get("6")
    absenteeism = presenteeism = work_impairment = None
    if answered.get("1") == 1:
        missed, worked, effect = answered.get("2"), answered.get("4"), answered.get("5")
        if missed is not None and worked is not None and missed + worked > 0:
            absenteeism = missed / (missed + worked)
        if effect is not None:
            presenteeism = effect / WPAI_RATING_MAX
        if absenteeism is not None and presenteeism is not None:
            work_impairment = absenteeism + (1 - absenteeism) * presenteeism
    ratios = {
        WPAI_ABSENTEEISM: absenteeism,
        WPAI_PRESENTEEISM: presenteeism,
        WPAI_WORK_IMPAIRMENT: work_impairment,
        WPAI_ACTIVITY_IMPAIRMENT: None if activity is None else activity / WPAI_RATING_MAX,
    }
    return ScaleScore(
        None, {name: None if ratio is None else ratio * 100 for name, ratio in ratios.items()}
    )


_SCORERS: Mapping[ScaleCode, Callable[[ScaleDefinition, dict[str, float]], ScaleScore]] = {
    ScaleCode.QIDS_SR16: _qids_total,
    ScaleCode.QLES_Q_SF: _percent_of_maximum,
    ScaleCode.WPAI: _wpai_scores,
}


def total_from_items(code: ScaleCode, items: Items) -> ScaleScore:
    """Score the items; the total is None when an item it needs is missing."""
    scale = SCALES[code]
    errors = _item_errors(scale, items)
    if errors:
        raise ValueError(errors[0].message)
    return _SCORERS.get(code, _sum_total)(scale, _answered(items))


def validate(code: ScaleCode, total: float | None, items: Items) -> list[ScaleError]:
    """List what is wrong with an entered total and item values, in clinic words."""
    scale = SCALES[code]
    errors = _item_errors(scale, items)
    # The WPAI: four percentages and no total, and its work scores hinge on item 1 (employed).
    if scale.total_range is None:
        if total is not None:
            errors.append(ScaleError("total", TOTAL_NOT_SINGLE.format(scale=scale.name)))
        if items.get("1") is None:
            errors.append(ScaleError("item_1", WPAI_EMPLOYMENT_MISSING))
        return errors
    if total is not None:
        message = _range_error(scale, total)
        if message is None and scale.whole_total and not float(total).is_integer():
            message = TOTAL_NOT_WHOLE.format(scale=scale.name)
        if message is not None:
            errors.append(ScaleError("total", message))
    if errors:
        return errors
    computed = total_from_items(code, items).total
    tolerance = 0 if scale.whole_total else PERCENT_ROUNDING
    if computed is None:
        if total is None:
            errors.append(ScaleError("total", TOTAL_OR_ITEMS_MISSING.format(scale=scale.name)))
    elif total is not None and abs(computed - total) > tolerance:
        message = TOTAL_DISAGREES.format(
            scale=scale.name, computed=_num(computed), total=_num(total)
        )
        errors.append(ScaleError("total", message))
    return errors


def band(code: ScaleCode, total: float, band_set: str | None = None) -> str | None:
    """Name the band the total falls in, or None for a scale without bands."""
    scale = SCALES[code]
    bands = scale.band_set(band_set)
    if bands is None:
        return None
    _require_score(scale, total)
    # Compared with lower bounds, so a non-integer score still falls in one band.
    return [row.label for row in bands.bands if row.lower <= total][-1]


def is_remission(code: ScaleCode, total: float, variant: str | None = None) -> bool | None:
    """Say whether the total is in remission, or None for a scale without a remission cut-off."""
    scale = SCALES[code]
    rule = scale.remission_rule(variant)
    if rule is None:
        return None
    _require_score(scale, total)
    return rule.met(total)


def safety_alert(code: ScaleCode, items: Items) -> SafetyAlert | None:
    """Raise a clinician alert when the scale's suicide item reaches its threshold (1.9)."""
    scale = SCALES[code]
    rule = scale.safety
    if rule is None:
        return None
    score = items.get(rule.item)
    if score is None or score < rule.alert_at:
        return None
    urgent = rule.urgent_at is not None and score >= rule.urgent_at
    message = SAFETY_URGENT_MESSAGE if urgent else SAFETY_ALERT_MESSAGE
    topic = next(item.label for item in scale.items if item.key == rule.item)
    return SafetyAlert(
        code=code,
        item=rule.item,
        score=score,
        level=AlertLevel.URGENT if urgent else AlertLevel.ALERT,
        message=message.format(scale=scale.name, item=rule.item, topic=topic, score=_num(score)),
    )


def percent_change(baseline: float, current: float) -> float | None:
    """Return the percent reduction from baseline (positive = better), or None for baseline 0."""
    if baseline < 0 or current < 0:
        raise ValueError(NEGATIVE_SCORE)
    if baseline == 0:
        return None
    return (baseline - current) / baseline * 100


def outcome_category(
    code: ScaleCode,
    baseline: float,
    current: float,
    *,
    current_code: ScaleCode | None = None,
    variant: str | None = None,
) -> Outcome:
    """Classify the change from baseline: response, partial response, non-response (1.3)."""
    current_code = current_code or code
    scale, current_scale = SCALES[code], SCALES[current_code]
    _require_score(scale, baseline)
    _require_score(current_scale, current)
    remission = is_remission(current_code, current, variant)
    if current_code != code:
        reason = NOT_EVALUABLE_DIFFERENT_SCALES.format(
            baseline_scale=scale.name, current_scale=current_scale.name
        )
        return Outcome(None, None, remission, False, False, reason)
    worse = current > baseline if scale.higher_is_worse else current < baseline
    rule = scale.remission_rule(variant)
    reason = ""
    if not scale.percent_change_outcome:
        reason = NOT_EVALUABLE_SCALE.format(scale=scale.name)
    elif baseline == 0:
        reason = NOT_EVALUABLE_BASELINE_ZERO.format(scale=scale.name)
    elif rule is not None and rule.met(baseline):
        reason = NOT_EVALUABLE_BASELINE_REMISSION.format(
            scale=scale.name, score=_num(baseline), rule=rule.label
        )
    if reason:
        return Outcome(None, None, remission, worse, False, reason)
    change = (baseline - current) / baseline * 100
    return Outcome(
        category=staging_outcome_category(change),
        percent_change=change,
        remission=remission,
        worsening=change < 0,
        insufficient_response=change < INSUFFICIENT_RESPONSE.percent,
    )


def severity_for_staging(code: ScaleCode, score: float) -> SeverityCategory | None:
    """Map a score to the staging severity of 8.6 (staging's table), or None for another scale."""
    _require_score(SCALES[code], score)
    return severity_category(SCALES[code].name, score)
