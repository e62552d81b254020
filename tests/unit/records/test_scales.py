"""Scale definitions and scoring: plain functions, no database.

Numbers are transcribed from scales-and-checklist.md Part 1 (cited as "1.1" etc.) and from
staging-models.md 8.6 and clarification 18.
"""

import itertools
import math

import pytest

from records.scales import (
    SCALES,
    AlertLevel,
    LicenceStatus,
    Provenance,
    Rater,
    ScaleCode,
    ScaleError,
    band,
    is_remission,
    outcome_category,
    percent_change,
    safety_alert,
    severity_for_staging,
    total_from_items,
    validate,
)
from staging.adequacy import OutcomeCategory
from staging.history import SeverityCategory

H, M, Q, P, B = (
    ScaleCode.HAMD17,
    ScaleCode.MADRS,
    ScaleCode.QIDS_SR16,
    ScaleCode.PHQ9,
    ScaleCode.BDI_II,
)
CGI, WSAS, QLES, WPAI = ScaleCode.CGI_S, ScaleCode.WSAS, ScaleCode.QLES_Q_SF, ScaleCode.WPAI


def all_items(code: ScaleCode, value: float) -> dict[str, float | None]:
    """Score every item of a scale with one value (HAM-D17 item 16 as 16A)."""
    return {item.key: value for item in SCALES[code].items if item.key != "16B"}


def hamd(**scores: int) -> dict[str, float | None]:
    """HAM-D17 items all 0, with the given items (keyword i3=2 sets item 3) overridden."""
    items = all_items(H, 0)
    items.update({key[1:]: value for key, value in scores.items()})
    return items


# --- registry -----------------------------------------------------------------------------------


def test_scales_registry_holds_every_code():
    assert set(SCALES) == set(ScaleCode)
    assert all(code is scale.code for code, scale in SCALES.items())


def test_scale_code_values_are_the_stored_codes():
    assert [code.value for code in ScaleCode] == [
        "HAMD17",
        "MADRS",
        "QIDS_SR16",
        "PHQ9",
        "BDI_II",
        "CGI_S",
        "WSAS",
        "QLES_Q_SF",
        "WPAI",
    ]


@pytest.mark.parametrize(
    ("code", "name", "rater", "item_count", "total_range"),
    [
        # 1.1 summary tables: items and total ranges.
        (H, "HAM-D17", Rater.CLINICIAN, 17, (0, 52)),
        (M, "MADRS", Rater.CLINICIAN, 10, (0, 60)),
        (Q, "QIDS-SR16", Rater.SELF, 16, (0, 27)),
        (P, "PHQ-9", Rater.SELF, 10, (0, 27)),  # 9 scored + 1 unscored
        (B, "BDI-II", Rater.SELF, 21, (0, 63)),
        (CGI, "CGI-S", Rater.CLINICIAN, 1, (1, 7)),
        (WSAS, "WSAS", Rater.SELF, 5, (0, 40)),
        (QLES, "Q-LES-Q-SF", Rater.SELF, 16, (0, 100)),  # % of maximum
        (WPAI, "WPAI", Rater.SELF, 6, None),  # four percentages, no single total
    ],
)
def test_scale_definition_matches_summary_table(code, name, rater, item_count, total_range):
    scale = SCALES[code]
    assert (scale.name, scale.rater, scale.item_count) == (name, rater, item_count)
    assert scale.total_range == total_range


def test_hamd17_items_mix_0_4_and_0_2_ranges():
    # 1.2: items 1,2,3,7,8,9,10,11,15 are 0-4; 4,5,6,12,13,14,16,17 are 0-2; 9×4 + 8×2 = 52.
    maxima = {item.key: item.maximum for item in SCALES[H].items}
    wide = {"1", "2", "3", "7", "8", "9", "10", "11", "15"}
    assert {key for key, high in maxima.items() if high == 4} == wide
    assert {key for key, high in maxima.items() if high == 2} == {
        "4", "5", "6", "12", "13", "14", "16A", "16B", "17"
    }  # fmt: skip
    assert total_from_items(H, {key: maxima[key] for key in maxima if key != "16B"}).total == 52


@pytest.mark.parametrize(
    ("code", "low", "high"),
    [(M, 0, 6), (Q, 0, 3), (P, 0, 3), (B, 0, 3), (CGI, 1, 7), (WSAS, 0, 8), (QLES, 1, 5)],
)
def test_scale_items_share_one_range(code, low, high):
    # 1.1 item scoring column.
    assert {(item.minimum, item.maximum) for item in SCALES[code].items} == {(low, high)}


@pytest.mark.parametrize("code", [code for code in ScaleCode if SCALES[code].band_sets])
def test_band_sets_cover_the_total_range_without_gaps(code):
    scale = SCALES[code]
    for band_set in scale.band_sets:
        bands = band_set.bands
        assert (bands[0].lower, bands[-1].upper) == scale.total_range
        assert all(nxt.lower == prev.upper + 1 for prev, nxt in itertools.pairwise(bands))


@pytest.mark.parametrize(
    ("code", "higher_is_worse"),
    [(H, True), (M, True), (P, True), (WSAS, True), (WPAI, True), (QLES, False)],
)
def test_scale_direction_marks_qlesq_as_higher_is_better(code, higher_is_worse):
    # 1.1: Q-LES-Q-SF is % of maximum satisfaction; WPAI is % impairment.
    assert SCALES[code].higher_is_worse is higher_is_worse


@pytest.mark.parametrize(
    ("code", "status", "text_allowed"),
    [
        # 1.10 licensing snapshot.
        (H, LicenceStatus.PUBLIC_DOMAIN, True),
        (M, LicenceStatus.RESTRICTED, False),
        (Q, LicenceStatus.FREE, True),
        (P, LicenceStatus.FREE, True),
        (B, LicenceStatus.RESTRICTED, False),
        (CGI, LicenceStatus.PUBLIC_DOMAIN, True),
        (QLES, LicenceStatus.UNCONFIRMED, False),
        (WSAS, LicenceStatus.UNCONFIRMED, False),
        (WPAI, LicenceStatus.UNCONFIRMED, False),
    ],
)
def test_licence_restricts_item_text_not_item_entry(code, status, text_allowed):
    # 0.2.3 item responses are always stored; 0.2.5 no item text for restricted instruments.
    scale = SCALES[code]
    assert scale.licence.status is status
    assert scale.item_text_allowed is text_allowed
    assert scale.item_entry_allowed is True


def test_provenance_tags_are_kept_in_the_data():
    # 1.1: BDI-II remission ⚠️, MADRS ≤12 🔶, CGI-S ≤2 🔶; 1.9: alert rules ⚠️, BDI-II urgent 🔶.
    assert {rule.provenance for rule in SCALES[B].remission_rules} == {Provenance.LOCAL}
    assert SCALES[M].remission_rule("TRANSFORM").provenance is Provenance.SIGN_OFF
    assert SCALES[CGI].remission_rule("Some trials").provenance is Provenance.SIGN_OFF
    assert SCALES[H].remission.provenance is Provenance.CHECKED
    safety_rules = [scale.safety for scale in SCALES.values() if scale.safety is not None]
    assert {rule.provenance for rule in safety_rules} == {Provenance.LOCAL}
    assert SCALES[B].safety.urgent_provenance is Provenance.SIGN_OFF


# --- bands --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "total", "label"),
    [
        # HAM-D17, Zimmerman 2013 (default).
        (H, 0, "no depression"),
        (H, 7, "no depression"),
        (H, 8, "mild"),
        (H, 16, "mild"),
        (H, 17, "moderate"),
        (H, 23, "moderate"),
        (H, 24, "severe"),
        (H, 52, "severe"),
        # MADRS, Snaith 1986.
        (M, 6, "normal/absent"),
        (M, 7, "mild"),
        (M, 19, "mild"),
        (M, 20, "moderate"),
        (M, 34, "moderate"),
        (M, 35, "severe"),
        (M, 60, "severe"),
        # QIDS-SR16, Rush 2003.
        (Q, 5, "none"),
        (Q, 6, "mild"),
        (Q, 10, "mild"),
        (Q, 11, "moderate"),
        (Q, 15, "moderate"),
        (Q, 16, "severe"),
        (Q, 20, "severe"),
        (Q, 21, "very severe"),
        (Q, 27, "very severe"),
        # PHQ-9, Kroenke 2001.
        (P, 4, "none-minimal"),
        (P, 5, "mild"),
        (P, 9, "mild"),
        (P, 10, "moderate"),
        (P, 14, "moderate"),
        (P, 15, "moderately severe"),
        (P, 19, "moderately severe"),
        (P, 20, "severe"),
        (P, 27, "severe"),
        # BDI-II, Beck 1996.
        (B, 13, "minimal"),
        (B, 14, "mild"),
        (B, 19, "mild"),
        (B, 20, "moderate"),
        (B, 28, "moderate"),
        (B, 29, "severe"),
        (B, 63, "severe"),
        # CGI-S anchors, Guy 1976.
        (CGI, 1, "normal, not at all ill"),
        (CGI, 2, "borderline mentally ill"),
        (CGI, 3, "mildly ill"),
        (CGI, 4, "moderately ill"),
        (CGI, 5, "markedly ill"),
        (CGI, 6, "severely ill"),
        (CGI, 7, "among the most extremely ill"),
        # WSAS, Mundt 2002: <10, 10-20, >20.
        (WSAS, 9, "subclinical"),
        (WSAS, 10, "significant functional impairment"),
        (WSAS, 20, "significant functional impairment"),
        (WSAS, 21, "moderately severe or worse"),
    ],
)
def test_band_default_at_each_boundary(code, total, label):
    assert band(code, total) == label


@pytest.mark.parametrize(
    ("code", "band_set", "total", "label"),
    [
        # HAM-D17 alternative, Rush IDS/QIDS crosswalk: 0-7, 8-13, 14-19, 20-25, ≥26.
        (H, "Rush IDS/QIDS crosswalk", 7, "none"),
        (H, "Rush IDS/QIDS crosswalk", 8, "mild"),
        (H, "Rush IDS/QIDS crosswalk", 13, "mild"),
        (H, "Rush IDS/QIDS crosswalk", 14, "moderate"),
        (H, "Rush IDS/QIDS crosswalk", 19, "moderate"),
        (H, "Rush IDS/QIDS crosswalk", 20, "severe"),
        (H, "Rush IDS/QIDS crosswalk", 25, "severe"),
        (H, "Rush IDS/QIDS crosswalk", 26, "very severe"),
        # MADRS alternative severe ≥31, Müller 2003.
        (M, "Snaith 1986 with Müller 2003 severe ≥31", 30, "moderate"),
        (M, "Snaith 1986 with Müller 2003 severe ≥31", 31, "severe"),
        # PHQ-9 NICE NG222: <16 less severe, ≥16 more severe.
        (P, "NICE NG222", 15, "less severe"),
        (P, "NICE NG222", 16, "more severe"),
    ],
)
def test_band_alternative_set_at_each_boundary(code, band_set, total, label):
    assert band(code, total, band_set) == label


@pytest.mark.parametrize(("code", "total"), [(QLES, 55.0), (WPAI, 40.0)])
def test_band_none_for_functional_measures_without_bands(code, total):
    # 1.1: Q-LES-Q-SF has no official severity bands; WPAI reports % impairment only.
    assert band(code, total) is None


@pytest.mark.parametrize(("code", "total"), [(H, -1), (H, 53), (P, 28), (CGI, 8)])
def test_band_rejects_total_outside_range(code, total):
    with pytest.raises(ValueError, match="total must be between"):
        band(code, total)


def test_band_unknown_band_set_names_the_choices():
    with pytest.raises(ValueError, match="choose one of: Zimmerman 2013, Rush IDS/QIDS crosswalk"):
        band(H, 10, "Hamilton 1960")


# --- remission ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "default_variant", "label"),
    [
        (H, "Frank 1991", "≤7"),  # Frank 1991; STAR*D
        (M, "Hawley 2002", "<10"),  # Hawley 2002, = Zimmerman 2004 broad ≤9
        (Q, "STAR*D", "≤5"),  # STAR*D
        (P, "CMS159", "<5"),  # CMS159 / NQF 0710
        (B, "Minimal band", "≤13"),  # ⚠️ Beck 1996 minimal band convention
        (CGI, "Riedel 2010", "=1"),  # Riedel 2010
    ],
)
def test_remission_default_variant_per_scale(code, default_variant, label):
    rule = SCALES[code].remission
    assert (rule.name, rule.label) == (default_variant, label)


@pytest.mark.parametrize(
    ("code", "variant", "total", "expected"),
    [
        (H, None, 7, True),  # ≤7 Frank 1991
        (H, None, 8, False),
        (H, "Riedel 2010", 6, True),  # ≤6 Riedel 2010
        (H, "Riedel 2010", 7, False),
        (M, None, 9, True),  # <10 Hawley 2002
        (M, None, 10, False),
        (M, "Zimmerman 2004 broad", 9, True),  # ≤9
        (M, "Zimmerman 2004 broad", 10, False),
        (M, "Zimmerman 2004 narrow", 4, True),  # ≤4
        (M, "Zimmerman 2004 narrow", 5, False),
        (M, "ESCAPE-TRD", 10, True),  # ≤10
        (M, "ESCAPE-TRD", 11, False),
        (M, "SAINT/SNT", 10, True),  # <11
        (M, "SAINT/SNT", 11, False),
        (M, "TRANSFORM", 12, True),  # ≤12 🔶
        (M, "TRANSFORM", 13, False),
        (M, "Riedel 2010", 7, True),  # ≤7
        (M, "Riedel 2010", 8, False),
        (Q, None, 5, True),  # ≤5 STAR*D
        (Q, None, 6, False),
        (P, None, 4, True),  # <5 CMS159
        (P, None, 5, False),
        (B, None, 13, True),  # ≤13 ⚠️
        (B, None, 14, False),
        (B, "Riedel 2010", 12, True),  # ≤12 ⚠️
        (B, "Riedel 2010", 13, False),
        (CGI, None, 1, True),  # =1 Riedel 2010
        (CGI, None, 2, False),
        (CGI, "Some trials", 2, True),  # ≤2 🔶
        (CGI, "Some trials", 3, False),
    ],
)
def test_is_remission_at_each_cutoff(code, variant, total, expected):
    assert is_remission(code, total, variant) is expected


@pytest.mark.parametrize("code", [WSAS, QLES, WPAI])
def test_is_remission_none_for_functional_measures(code):
    assert is_remission(code, 10) is None


def test_is_remission_unknown_variant_names_the_choices():
    with pytest.raises(ValueError, match="MADRS has no remission variant 'Snaith'"):
        is_remission(M, 8, "Snaith")


# --- validate: totals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "low", "high"),
    [(H, 0, 52), (M, 0, 60), (Q, 0, 27), (P, 0, 27), (B, 0, 63), (CGI, 1, 7), (WSAS, 0, 40)],
)
def test_validate_total_accepts_range_limits(code, low, high):
    # 1.1 total ranges.
    assert validate(code, low, {}) == []
    assert validate(code, high, {}) == []


@pytest.mark.parametrize(
    ("code", "total", "message"),
    [
        (H, -1, "HAM-D17 total must be between 0 and 52"),
        (H, 53, "HAM-D17 total must be between 0 and 52"),
        (M, 61, "MADRS total must be between 0 and 60"),
        (Q, 28, "QIDS-SR16 total must be between 0 and 27"),
        (P, -1, "PHQ-9 total must be between 0 and 27"),
        (P, 28, "PHQ-9 total must be between 0 and 27"),
        (B, 64, "BDI-II total must be between 0 and 63"),
        (CGI, 8, "CGI-S total must be between 1 and 7"),
        (WSAS, 41, "WSAS total must be between 0 and 40"),
        (QLES, 100.5, "Q-LES-Q-SF total must be between 0 and 100"),
        (QLES, -0.5, "Q-LES-Q-SF total must be between 0 and 100"),
    ],
)
def test_validate_total_outside_range(code, total, message):
    assert validate(code, total, {}) == [ScaleError("total", message)]


def test_validate_total_not_whole_for_summed_scale():
    assert validate(P, 9.5, {}) == [ScaleError("total", "PHQ-9 total must be a whole number")]


def test_validate_cgi_s_zero_means_not_assessed():
    # 1.1: CGI-S 0 = not assessed, so it is not a score.
    assert validate(CGI, 0, {}) == [
        ScaleError("total", "CGI-S 0 means not assessed: leave the score blank instead")
    ]


def test_validate_missing_total_and_items():
    assert validate(H, None, {}) == [
        ScaleError("total", "Enter the HAM-D17 total or score every item")
    ]


def test_validate_total_disagrees_with_items():
    assert validate(H, 20, hamd(i1=4, i3=2)) == [
        ScaleError("total", "The HAM-D17 items score 6, not 20: correct the total or the items")
    ]


def test_validate_total_matching_items_passes():
    assert validate(H, 6, hamd(i1=4, i3=2)) == []
    assert validate(H, None, hamd(i1=4, i3=2)) == []


def test_validate_partial_items_with_total_passes():
    # No prorating rule is configured (1.2 ⚠️), so a total with some items blank is accepted as is.
    assert validate(P, 12, {"1": 2, "9": None}) == []


def test_validate_qlesq_total_within_rounding_passes():
    items = all_items(QLES, 3) | {"1": 4}  # raw 43 → (43 − 14) / 56 × 100 = 51.79 %
    assert validate(QLES, 51.8, items) == []
    assert validate(QLES, 52.0, items) == [
        ScaleError(
            "total", "The Q-LES-Q-SF items score 51.8, not 52: correct the total or the items"
        )
    ]


# --- validate: items ----------------------------------------------------------------------------


def test_validate_hamd17_16a_and_16b_rejected():
    # 1.2: item 16 is scored as 16A or 16B, never both.
    items = hamd() | {"16B": 0}
    assert validate(H, 0, items) == [
        ScaleError("item_16", "Item 16A and 16B cannot both be scored: keep the one that was rated")
    ]


@pytest.mark.parametrize("form", ["16A", "16B"])
def test_total_from_items_hamd17_accepts_either_form_of_item_16(form):
    items = {key: value for key, value in hamd(i1=3).items() if key != "16A"} | {form: 2}
    assert total_from_items(H, items).total == 5
    assert validate(H, 5, items) == []


def test_validate_hamd17_item_16_without_form_asks_for_a_or_b():
    assert validate(H, 0, hamd() | {"16": 1}) == [
        ScaleError(
            "item_16",
            "Score HAM-D17 item 16 as 16A (loss of weight, by history) "
            "or 16B (loss of weight, by measurement)",
        )
    ]


@pytest.mark.parametrize(
    ("code", "key", "value", "message"),
    [
        (H, "4", 3, "HAM-D17 item 4 must be 0–2"),  # 1.2: insomnia early 0-2
        (H, "1", 5, "HAM-D17 item 1 must be 0–4"),
        (H, "3", -1, "HAM-D17 item 3 must be 0–4"),
        (M, "10", 7, "MADRS item 10 must be 0–6"),
        (P, "9", 4, "PHQ-9 item 9 must be 0–3"),
        (CGI, "1", 0, "CGI-S item 1 must be 1–7"),
        (WSAS, "1", 9, "WSAS item 1 must be 0–8"),
        (QLES, "15", 6, "Q-LES-Q-SF item 15 must be 1–5"),
        (WPAI, "5", 11, "WPAI item 5 must be 0–10"),
        (WPAI, "2", 169, "WPAI item 2 must be 0–168"),
    ],
)
def test_validate_item_outside_range(code, key, value, message):
    errors = validate(code, None, {"1": 1} | {key: value})
    assert ScaleError(f"item_{key}", message) in errors


def test_validate_item_not_whole():
    assert ScaleError("item_2", "PHQ-9 item 2 must be a whole number") in validate(
        P, None, {"2": 1.5}
    )


def test_validate_wpai_hours_may_be_fractional():
    assert validate(WPAI, None, {"1": 1, "2": 2.5, "4": 37.5, "5": 3, "6": 2}) == []


def test_validate_unknown_item():
    assert validate(P, 3, {"11": 1}) == [ScaleError("item_11", "PHQ-9 has no item 11")]


def test_validate_wpai_rejects_single_total():
    assert validate(WPAI, 40, {"1": 0, "6": 4}) == [
        ScaleError(
            "total", "WPAI has no single total: enter its items and the scores are calculated"
        )
    ]


def test_validate_wpai_requires_employment_answer():
    assert validate(WPAI, None, {"6": 4}) == [
        ScaleError("item_1", "Answer WPAI item 1: is the patient currently employed?")
    ]


# --- totals from items --------------------------------------------------------------------------


def test_total_from_items_qids_takes_domain_maxima():
    # 1.2 (Rush 2003): max(1-4) + 5 + max(6-9) + 10 + 11 + 12 + 13 + 14 + max(15, 16).
    items = all_items(Q, 0) | {"1": 1, "3": 3, "4": 2, "5": 2, "6": 1, "9": 2, "15": 1, "16": 3}
    assert total_from_items(Q, items).total == 3 + 2 + 2 + 3


def test_total_from_items_qids_all_items_maximal_is_27():
    assert total_from_items(Q, all_items(Q, 3)).total == 27  # 9 domains × 3


def test_total_from_items_phq9_item_10_not_counted():
    # 1.2 (Kroenke 2001): item 10 is never added to the total.
    items = all_items(P, 1) | {"10": 3}
    assert total_from_items(P, items).total == 9


def test_total_from_items_missing_item_gives_no_total():
    items = all_items(P, 1) | {"9": None}
    assert total_from_items(P, items).total is None


def test_total_from_items_raises_on_invalid_items():
    with pytest.raises(ValueError, match="HAM-D17 item 4 must be 0–2"):
        total_from_items(H, hamd(i4=3))


@pytest.mark.parametrize(("value", "percent"), [(1, 0.0), (5, 100.0), (3, 50.0)])
def test_total_from_items_qlesq_percent_of_maximum(value, percent):
    # 1.1 (Endicott 1993): % maximum = (raw − 14) / 56 × 100 over items 1-14: raw 14 → 0 %,
    # raw 70 → 100 %, raw 42 → 50 %.
    score = total_from_items(QLES, all_items(QLES, value))
    assert score.total == pytest.approx(percent)
    assert score.subscores["raw"] == 14 * value


def test_total_from_items_qlesq_items_15_and_16_outside_total():
    low = total_from_items(QLES, all_items(QLES, 3) | {"15": 1, "16": 1})
    high = total_from_items(QLES, all_items(QLES, 3) | {"15": 5, "16": 5})
    assert low.total == high.total == pytest.approx(50.0)


def test_total_from_items_wpai_employed_four_percentages():
    # 1.1 (Reilly 1993): Q2/(Q2+Q4) = 4/40, Q5/10, abs + (1 − abs) × pres, Q6/10, all × 100.
    score = total_from_items(WPAI, {"1": 1, "2": 4, "3": 8, "4": 36, "5": 5, "6": 3})
    assert score.total is None
    assert score.subscores == pytest.approx(
        {
            "absenteeism": 10.0,
            "presenteeism": 50.0,
            "overall_work_impairment": 55.0,
            "activity_impairment": 30.0,
        }
    )


def test_total_from_items_wpai_no_hours_missed_or_worked_guard():
    # 1.1: guard Q2 + Q4 = 0: absenteeism and overall work impairment cannot be computed.
    score = total_from_items(WPAI, {"1": 1, "2": 0, "4": 0, "5": 2, "6": 6})
    assert score.subscores["absenteeism"] is None
    assert score.subscores["overall_work_impairment"] is None
    assert score.subscores["presenteeism"] == pytest.approx(20.0)
    assert score.subscores["activity_impairment"] == pytest.approx(60.0)


def test_total_from_items_wpai_unemployed_work_scores_none():
    # 1.1: work scores only if Q1 = yes.
    score = total_from_items(WPAI, {"1": 0, "2": 4, "4": 36, "5": 5, "6": 7})
    assert score.subscores["absenteeism"] is None
    assert score.subscores["presenteeism"] is None
    assert score.subscores["overall_work_impairment"] is None
    assert score.subscores["activity_impairment"] == pytest.approx(70.0)


# --- safety items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key", "value", "level"),
    [
        # 1.9 suggested alert rules ⚠️; BDI-II 2-3 urgent 🔶.
        (P, "9", 0, None),
        (P, "9", 1, AlertLevel.ALERT),
        (P, "9", 3, AlertLevel.ALERT),
        (Q, "12", 0, None),
        (Q, "12", 1, AlertLevel.ALERT),
        (B, "9", 0, None),
        (B, "9", 1, AlertLevel.ALERT),
        (B, "9", 2, AlertLevel.URGENT),
        (B, "9", 3, AlertLevel.URGENT),
        (M, "10", 1, None),
        (M, "10", 2, AlertLevel.ALERT),
        (M, "10", 4, AlertLevel.ALERT),
        (H, "3", 0, None),
        (H, "3", 1, AlertLevel.ALERT),
    ],
)
def test_safety_alert_at_item_threshold(code, key, value, level):
    alert = safety_alert(code, {key: value})
    assert (alert.level if alert else None) is level


def test_safety_alert_raised_whatever_the_total():
    # 1.9: PHQ-9 item 9 = 1 with every other item 0 is a total of 1, in the remission range.
    alert = safety_alert(P, all_items(P, 0) | {"9": 1})
    assert alert is not None
    assert alert.item == "9"
    assert alert.score == 1


def test_safety_alert_text_prompts_assessment_not_risk_score():
    alert = safety_alert(P, {"9": 2})
    assert alert.message == (
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is 2: assess suicide "
        "risk with the patient (for example with the C-SSRS). This prompts a clinician assessment; "
        "it is not a risk score."
    )
    assert safety_alert(B, {"9": 3}).message.startswith("Urgent: BDI-II item 9")


@pytest.mark.parametrize(("code", "items"), [(CGI, {"1": 7}), (WSAS, {"1": 8}), (P, {"9": None})])
def test_safety_alert_none_without_safety_item_value(code, items):
    assert safety_alert(code, items) is None


# --- percent change and outcome -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [(20, 10, 50.0), (20, 15, 25.0), (20, 20, 0.0), (20, 25, -25.0), (0, 0, None), (0, 5, None)],
)
def test_percent_change_positive_means_improvement(baseline, current, expected):
    # 1.3: pct_change = (baseline − current) / baseline × 100; baseline 0 is not evaluable.
    assert percent_change(baseline, current) == expected


def test_percent_change_rejects_negative_score():
    with pytest.raises(ValueError, match="cannot be negative"):
        percent_change(-1, 5)


@pytest.mark.parametrize(
    ("baseline", "current", "category"),
    [
        # 1.3: response ≥50 %, partial 25-49 %, non-response <25 % (HAM-D17 baselines > 7).
        (20, 10, OutcomeCategory.RESPONSE),  # 50 %
        (20, 11, OutcomeCategory.PARTIAL_RESPONSE),  # 45 %
        (28, 21, OutcomeCategory.PARTIAL_RESPONSE),  # 25 %
        (20, 15, OutcomeCategory.PARTIAL_RESPONSE),  # 25 %
        (20, 16, OutcomeCategory.NON_RESPONSE),  # 20 %
        (30, 15, OutcomeCategory.RESPONSE),  # 50 %
        (30, 16, OutcomeCategory.PARTIAL_RESPONSE),  # 46.7 %
        (30, 23, OutcomeCategory.NON_RESPONSE),  # 23.3 %
        (20, 0, OutcomeCategory.RESPONSE),  # 100 %
    ],
)
def test_outcome_category_at_25_and_50_percent_boundaries(baseline, current, category):
    assert outcome_category(H, baseline, current).category is category


@pytest.mark.parametrize(("baseline", "current"), [(10, 7.5), (12, 9), (16, 12), (27, 20.25)])
def test_outcome_category_exact_25_percent_is_partial(baseline, current):
    # 1.3: 25 ≤ pct_change < 50 is partial, also for a non-integer current score.
    assert outcome_category(P, baseline, current).category is OutcomeCategory.PARTIAL_RESPONSE


def test_outcome_category_worsening_flagged_as_non_response():
    # 1.3: pct_change < 0 is non-response and also flagged as worsening.
    outcome = outcome_category(H, 20, 25)
    assert outcome.category is OutcomeCategory.NON_RESPONSE
    assert outcome.worsening is True
    assert outcome.percent_change == -25.0
    assert outcome_category(H, 20, 20).worsening is False


def test_outcome_category_responder_not_remitter():
    # 1.3: MADRS 40 → 18 is a response (55 %) without remission (<10, Hawley 2002).
    outcome = outcome_category(M, 40, 18)
    assert outcome.category is OutcomeCategory.RESPONSE
    assert outcome.percent_change == pytest.approx(55.0)
    assert outcome.remission is False
    assert outcome.insufficient_response is False


def test_outcome_category_remission_is_a_separate_state():
    # 1.3: remission is judged on the current score alone (HAM-D17 ≤7, Frank 1991).
    outcome = outcome_category(H, 10, 7)
    assert outcome.category is OutcomeCategory.PARTIAL_RESPONSE  # 30 %
    assert outcome.remission is True
    assert outcome.insufficient_response is True  # <50 %, Rybak 2021


def test_outcome_category_baseline_zero_not_evaluable():
    outcome = outcome_category(P, 0, 6)
    assert outcome.category is None
    assert outcome.percent_change is None
    assert outcome.reason == "Not evaluable: the baseline PHQ-9 is 0 (not symptomatic)"
    assert outcome.worsening is True


def test_outcome_category_baseline_in_remission_range_not_evaluable():
    # 1.3: a baseline in the remission range (PHQ-9 <5, CMS159) is not symptomatic.
    outcome = outcome_category(P, 4, 1)
    assert outcome.category is None
    assert outcome.reason == (
        "Not evaluable: the baseline PHQ-9 of 4 is in the remission range (<5), "
        "so it was not symptomatic"
    )
    assert outcome.remission is True
    assert outcome_category(P, 5, 1).category is OutcomeCategory.RESPONSE  # 80 %


def test_outcome_category_baseline_remission_follows_chosen_variant():
    # MADRS 11 is outside Hawley's <10 but inside TRANSFORM's ≤12.
    assert outcome_category(M, 11, 5).category is OutcomeCategory.RESPONSE
    outcome = outcome_category(M, 11, 5, variant="TRANSFORM")
    assert outcome.category is None


def test_outcome_category_cross_instrument_not_evaluable():
    # 1.3: percent change across instruments is invalid.
    outcome = outcome_category(H, 24, 8, current_code=M)
    assert outcome.category is None
    assert outcome.percent_change is None
    assert outcome.remission is True  # MADRS 8 <10, judged on its own scale
    assert outcome.reason == (
        "Not evaluable: the baseline is a HAM-D17 score and the current one a MADRS score; "
        "percent change is only valid on the same scale"
    )


@pytest.mark.parametrize(("code", "baseline", "current"), [(CGI, 6, 2), (WSAS, 30, 10)])
def test_outcome_category_not_evaluable_outside_symptom_scales(code, baseline, current):
    outcome = outcome_category(code, baseline, current)
    assert outcome.category is None
    assert outcome.reason.startswith("Not evaluable: response by percent change")


def test_outcome_category_rejects_score_outside_range():
    with pytest.raises(ValueError, match="MADRS total must be between 0 and 60"):
        outcome_category(M, 61, 20)


# --- staging severity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "score", "severity"),
    [
        # staging-models.md 8.6 and clarification 18 (remission range → subsyndromal).
        (H, 0, SeverityCategory.SUBSYNDROMAL),
        (H, 7, SeverityCategory.SUBSYNDROMAL),
        (H, 8, SeverityCategory.MILD),
        (H, 16, SeverityCategory.MILD),
        (H, 16.5, SeverityCategory.MILD),  # non-integer: compared with lower bounds
        (H, 17, SeverityCategory.MODERATE),
        (H, 23, SeverityCategory.MODERATE),
        (H, 23.9, SeverityCategory.MODERATE),
        (H, 24, SeverityCategory.SEVERE),
        (H, 52, SeverityCategory.SEVERE),
        (M, 6, SeverityCategory.SUBSYNDROMAL),
        (M, 7, SeverityCategory.MILD),
        (M, 9, SeverityCategory.MILD),  # below MADRS remission <10, still mild for staging
        (M, 19, SeverityCategory.MILD),
        (M, 20, SeverityCategory.MODERATE),
        (M, 34, SeverityCategory.MODERATE),
        (M, 35, SeverityCategory.SEVERE),
        (Q, 5, SeverityCategory.SUBSYNDROMAL),
        (Q, 6, SeverityCategory.MILD),
        (Q, 10, SeverityCategory.MILD),
        (Q, 11, SeverityCategory.MODERATE),
        (Q, 15, SeverityCategory.MODERATE),
        (Q, 16, SeverityCategory.SEVERE),
        (Q, 27, SeverityCategory.SEVERE),
        (P, 4, SeverityCategory.SUBSYNDROMAL),
        (P, 5, SeverityCategory.MILD),
        (P, 9, SeverityCategory.MILD),
        (P, 10, SeverityCategory.MODERATE),
        (P, 19, SeverityCategory.MODERATE),  # 15-19 is moderate for staging
        (P, 20, SeverityCategory.SEVERE),
        (CGI, 1, SeverityCategory.SUBSYNDROMAL),  # CGI-S 1 maps like 2
        (CGI, 2, SeverityCategory.SUBSYNDROMAL),
        (CGI, 3, SeverityCategory.MILD),
        (CGI, 4, SeverityCategory.MODERATE),
        (CGI, 5, SeverityCategory.SEVERE),
        (CGI, 7, SeverityCategory.SEVERE),
    ],
)
def test_severity_for_staging_at_each_boundary(code, score, severity):
    assert severity_for_staging(code, score) is severity


def test_severity_for_staging_values_match_staging_categories():
    # staging-models.md 1.1: category in subsyndromal, mild, moderate, severe.
    assert [member.value for member in SeverityCategory] == [
        "subsyndromal",
        "mild",
        "moderate",
        "severe",
    ]


@pytest.mark.parametrize("code", [B, WSAS, QLES, WPAI])
def test_severity_for_staging_none_for_scales_staging_does_not_map(code):
    # 8.6 maps HAM-D17, MADRS, QIDS-SR16, PHQ-9 and CGI-S only; 1.6 (BDI-II) is display only.
    assert severity_for_staging(code, 20) is None


@pytest.mark.parametrize(
    ("code", "score", "message"),
    [
        (CGI, 0, "CGI-S 0 means not assessed"),
        (H, 53, "HAM-D17 total must be between 0 and 52"),
        (P, -1, "PHQ-9 total must be between 0 and 27"),
        (M, math.nan, "MADRS total must be between 0 and 60"),
    ],
)
def test_severity_for_staging_rejects_invalid_score(code, score, message):
    with pytest.raises(ValueError, match=message):
        severity_for_staging(code, score)
