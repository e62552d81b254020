"""What a snapshot keeps of a result: categories, TRD verdicts, score outcomes; pseudonyms."""

import datetime
from decimal import Decimal

import pytest

from cohort.services import _safe, pseudonym
from cohort.snapshots import (
    NOT_APPLICABLE,
    VERDICT_KEYS,
    category,
    engine_versions,
    params_json,
    reaches_threshold,
    score_outcomes,
)
from records.models import ScaleAdministration
from staging.compare import VERDICTS
from staging.history import NonresponseRule, Params
from staging.registry import ENGINES
from staging.result import ModelResult

INFO = {engine.key: engine.info for engine in ENGINES}


def result(key: str, **fields: object) -> ModelResult:
    info = INFO[key]
    return ModelResult(info.key, info.label, info.version, True, **fields)  # type: ignore[arg-type]


def test_verdict_models_are_those_of_staging_compare_in_registry_order():
    assert set(VERDICT_KEYS) == set(VERDICTS)
    assert not {"msm", "mgh_s", "dm_trd"} & set(VERDICT_KEYS)


@pytest.mark.parametrize(
    ("key", "fields", "expected"),
    [
        ("thase_rush", {"stage": "II"}, "stage II"),
        ("conway", {"stage": 0}, "stage 0"),
        ("msm", {"score": 8.0, "band": "moderate"}, "moderate"),
        ("mgh_s", {"score": 2.5}, "2.5"),
        ("fda", {"met": True}, "met"),
        ("ema", {"met": False}, "not met"),
        ("response_profile", {"prd": True}, "partial response"),
        ("response_profile", {}, "no label applies"),
    ],
)
def test_category_is_the_models_stage_band_score_or_verdict(key, fields, expected):
    assert category(key, result(key, **fields)) == expected


def test_a_model_not_applicable_has_no_category_and_no_verdict():
    info = INFO["thase_rush"]
    missing = ModelResult(info.key, info.label, info.version, False)
    assert category("thase_rush", missing) == NOT_APPLICABLE
    assert reaches_threshold("thase_rush", missing) is None


@pytest.mark.parametrize(
    ("key", "fields", "expected"),
    [
        ("thase_rush", {"stage": "I"}, False),
        ("thase_rush", {"stage": "II"}, True),
        ("conway", {"stage": 0}, False),
        ("conway", {"stage": 1}, True),
        ("souery", {"stage": "nonresponder"}, False),
        ("souery", {"stage": "TRD1"}, True),
        ("markowitz", {"met": True}, True),
        ("msm", {"score": 12.0}, None),
    ],
)
def test_reaches_threshold_follows_staging_compare(key, fields, expected):
    assert reaches_threshold(key, result(key, **fields)) is expected


def test_engine_versions_and_params_are_plain_json():
    assert engine_versions() == {engine.key: engine.info.version for engine in ENGINES}
    values = params_json(Params(nonresponse_rule=NonresponseRule.LE25))
    assert values["nonresponse_rule"] == NonresponseRule.LE25.value
    assert values["ad_min_weeks"] == Params().ad_min_weeks


def administration(pk: int, day: int, total: int, scale: str = "HAMD17") -> ScaleAdministration:
    return ScaleAdministration(
        pk=pk,
        scale=scale,
        administered_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=day),
        total=Decimal(total),
    )


def test_score_outcomes_take_each_scales_first_score_as_baseline():
    outcomes = score_outcomes(
        [
            administration(3, 60, 8),
            administration(1, 0, 24),
            administration(2, 30, 14, scale="MADRS"),
            administration(4, 90, 20),
        ]
    )
    assert [row[1:] for row in outcomes] == [
        ["HAMD17", None, False],
        ["MADRS", None, False],
        ["HAMD17", True, False],
        ["HAMD17", False, False],
    ]
    assert outcomes[0][0] == "2025-01-01"


def test_pseudonym_is_stable_keyed_and_clinic_specific():
    first = pseudonym(b"secret", 1, "RN-1")
    assert first == pseudonym(b"secret", 1, "RN-1")
    assert first.startswith("P-")
    assert len(first) == 12
    assert "RN" not in first[2:]
    assert first != pseudonym(b"secret", 2, "RN-1")
    assert first != pseudonym(b"other", 1, "RN-1")
    assert first != pseudonym(b"secret", 1, "RN-2")


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd"])
def test_spreadsheet_formulas_are_neutralised(text):
    assert _safe(text) == "'" + text
    assert _safe("RN-1") == "RN-1"
    assert _safe(3) == 3
