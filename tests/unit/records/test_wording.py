"""Engine lines in the clinic's words: sources apart, percentages rounded, doses in micrograms."""

from decimal import Decimal

import pytest

from records.wording import Reason, dose_text, percent_text, reason_words


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "dose 100 mg/day meets the minimum adequate 50 mg/day for sertraline "
            "(MGH-ATRQ (COMP006) [S])",
            Reason(
                "dose 100 mg/day meets the minimum adequate 50 mg/day for sertraline",
                ("MGH-ATRQ (COMP006) (secondary source)",),
            ),
        ),
        (
            "dose 5 mg/day is below the minimum adequate 10 mg/day for aripiprazole "
            "(label 2-15 mg [R]; 5 mg [I])",
            Reason(
                "dose 5 mg/day is below the minimum adequate 10 mg/day for aripiprazole",
                (
                    "label 2-15 mg (recalled, not checked against the source)",
                    "5 mg (this specification's interpretation)",
                ),
            ),
        ),
        (
            "outcome not recorded (data gap): not a failure (12.1)",
            Reason(
                "outcome not recorded (data gap): not a failure", ("staging specification 12.1",)
            ),
        ),
        (
            "psychotic features and no adequate antipsychotic augmentation "
            "(required with psychotic features, 12.14)",
            Reason(
                "psychotic features and no adequate antipsychotic augmentation "
                "(required with psychotic features)",
                ("staging specification 12.14",),
            ),
        ),
        (
            "8.82353 % reduction, non-response (< 25 %): failed (< 50 %)",
            Reason("8.8 % reduction, non-response (< 25 %): failed (< 50 %)"),
        ),
        (
            "-14.2857 % reduction, non-response (< 25 %): failed (< 50 %)",
            Reason("14 % increase, non-response (< 25 %): failed (< 50 %)"),
        ),
        (
            "dose 0.05 mg/day meets the minimum adequate 0.025 mg/day for liothyronine "
            "(ATHF-LF thyroid tiers [S])",
            Reason(
                "dose 50 micrograms/day meets the minimum adequate 25 micrograms/day for "
                "liothyronine",
                ("ATHF-LF thyroid tiers (secondary source)",),
            ),
        ),
    ],
)
def test_reason_words_moves_sources_behind_the_sentence_and_rounds_numbers(line, expected):
    assert reason_words(line) == expected


def test_reason_words_names_a_staging_parameter_by_its_settings_label():
    text = reason_words("fewer weeks than canadian_min_weeks").text
    assert "_" not in text
    assert "Canadian" in text


def test_a_line_in_clinic_words_already_is_unchanged():
    line = "7 weeks at dose meets the 6-week minimum"
    assert reason_words(line) == Reason(line)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(8.82353, "8.8"), (-14.2857, "-14"), (9.96, "10"), (50.0, "50"), (0.04, "0"), (33.5, "34")],
)
def test_percentages_are_whole_with_one_decimal_below_ten(value, shown):
    assert percent_text(value) == shown


@pytest.mark.parametrize(
    ("dose", "per", "shown"),
    [
        (Decimal("0.05"), "day", "50 micrograms/day"),
        (Decimal("0.025"), "day", "25 micrograms/day"),
        (Decimal("150.00"), "day", "150 mg/day"),
        (Decimal("56"), "session", "56 mg/session"),
    ],
)
def test_doses_below_one_milligram_are_in_micrograms(dose, per, shown):
    assert dose_text(dose, per) == shown
