"""Why the models disagree: one sentence per disagreement, from what each model counted."""

from datetime import date
from typing import Any

import pytest

from staging.compare import compare
from staging.history import Diagnosis, History, Params
from staging.jsonio import parse_history
from staging.registry import stage_all
from tests.unit.staging.builders import history, therapy, trial, vignette_input, vignettes

BY_ID = {vignette["id"]: vignette for vignette in vignettes()}


def sentences(hist: History, **options: Any) -> list[str]:
    params = Params(**options)
    return compare(hist, params, stage_all(hist, params))


def vignette_sentences(vignette_id: str) -> list[str]:
    hist, params = parse_history(vignette_input(BY_ID[vignette_id]))
    return compare(hist, params, stage_all(hist, params))


@pytest.mark.parametrize(
    ("vignette_id", "expected"),
    [
        (
            "V03",
            [
                "FDA, EMA and Canadian consensus count same-class switches by distinct agents "
                "(escitalopram, sertraline); Thase-Rush (stage I) and Conway (stage 0) need a "
                "second class, and every failed antidepressant was SSRI.",
                "Markowitz also requires a failed adequate evidence-based psychotherapy (≥ 9 "
                "sessions, trained therapist; none is recorded in this episode); FDA and EMA count "
                "medication only.",
            ],
        ),
        (
            "V05",
            [
                "The MSM gives no score without a failed antidepressant; DM-TRD scores "
                "psychotherapy (T1, T2).",
            ],
        ),
        (
            "V08",
            [
                "MGH-s, MSM and DM-TRD count the right-unilateral ECT E1; Thase-Rush stage V needs "
                "bilateral ECT (right-unilateral ECT is not accepted for it).",
            ],
        ),
        (
            "V09",
            [
                "The Canadian consensus accepts T2 escitalopram (4 weeks at dose) under its 4-week "
                "minimum; Thase-Rush, Conway, FDA, EMA, Souery and Markowitz need 6 weeks.",
            ],
        ),
        (
            "V11",
            [
                "Markowitz also requires a failed adequate evidence-based psychotherapy (≥ 9 "
                "sessions, trained therapist; T4 CBT had 8 sessions); FDA and EMA count medication "
                "only.",
            ],
        ),
        ("V10", []),
        ("V08-rul", []),
    ],
)
def test_vignette_disagreements(vignette_id: str, expected: list[str]):
    assert vignette_sentences(vignette_id) == expected


def test_conway_counts_psychotherapy_the_others_ignore():
    hist = history(trial("T1"), therapy(2))
    assert sentences(hist) == [
        "Conway counts the CBT course P2 as a class of its own; Thase-Rush, FDA, EMA, Canadian "
        "consensus and Souery ignore psychotherapy.",
        "Markowitz needs ≥ 2 failed antidepressant agents as well as a failed psychotherapy; 1 "
        "failed (sertraline).",
    ]


def test_souery_counts_the_same_agent_twice():
    hist = history(trial("T1"), trial("T2", start_date=date(2024, 5, 1)))
    assert sentences(hist) == [
        "Souery counts trials, so the repeated sertraline trials (T1, T2) make TRD1; FDA, EMA, "
        "Canadian consensus, Markowitz, Thase-Rush and Conway count distinct agents or classes."
    ]


def test_markowitz_recalled_trials():
    hist = history(
        trial("T1", prospective=False),
        trial("T2", agent="venlafaxine", dose_mg_per_day=150, start_date=date(2024, 5, 1)),
        therapy(3, 9, therapist_trained=True),
    )
    assert sentences(hist, markowitz_prospective_only=True) == [
        "Markowitz leaves out the recalled trials T1 (recalled outcomes left out); FDA and EMA "
        "count them."
    ]


@pytest.mark.parametrize(
    ("fields", "options", "miss"),
    [
        ({"therapist_trained": None}, {}, "P3 CBT had no therapist recorded as trained"),
        (
            {"therapist_trained": True, "start_date": date(2024, 12, 1)},
            {"markowitz_require_combined": True},
            "P3 CBT was not combined with a counted antidepressant",
        ),
        (
            {"therapist_trained": True, "percent_symptom_reduction": 60},
            {},
            "P3 CBT was not an adequate failed evidence-based course",
        ),
    ],
)
def test_markowitz_near_misses(fields: dict[str, Any], options: dict[str, Any], miss: str):
    hist = history(
        trial("T1"),
        trial("T2", agent="venlafaxine", dose_mg_per_day=150, start_date=date(2024, 5, 1)),
        therapy(3, 9, **fields),
    )
    assert f"; {miss})" in sentences(hist, **options)[0]


def test_a_disagreement_no_rule_explains_names_what_each_model_counted():
    hist = history(
        trial("T1", weeks=5),
        trial("T2", agent="venlafaxine", dose_mg_per_day=150, weeks=5, start_date=date(2024, 5, 1)),
    )
    assert sentences(hist, ad_min_weeks=4, canadian_min_weeks=6)[-1] == (
        "Canadian consensus is not met while Thase-Rush is at stage II: Canadian consensus "
        "counts nothing; Thase-Rush counts T1, T2."
    )


def test_markowitz_met_needs_no_sentence_of_its_own():
    hist = history(
        trial("T1"),
        trial("T2", agent="escitalopram", dose_mg_per_day=10, start_date=date(2024, 5, 1)),
        therapy(3, 9, therapist_trained=True),
    )
    found = sentences(hist)
    assert len(found) == 1
    assert found[0].endswith(
        "Thase-Rush (stage I) needs a second class, and every failed antidepressant was SSRI."
    )


def test_no_trials_no_disagreement():
    assert sentences(history()) == []


def test_bipolar_histories_have_no_disagreement():
    assert sentences(history(trial(), diagnosis=Diagnosis.BIPOLAR)) == []
