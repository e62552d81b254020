"""The cohort page's table bodies written in Python (issue 18) are the rows the template wrote.

old_cohort_tables.html holds the page's table loops before issue 18; over counts, pairs with and
without an agreement, dates, rates with and without scores, empty tables and hostile text, the
Python rows must be the same markup (whitespace between tags aside) and escape everything.
"""

import datetime
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from cohort import tables
from cohort.selectors import ItemCount, RatePoint

OLD = (Path(__file__).parent / "old_cohort_tables.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _normal(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def _assert_same(new: SafeString, part: str, **context: Any) -> None:
    old = Template(OLD).render(Context({"part": part, **context}))
    assert _normal(str(new)) == _normal(old)
    assert "<script>" not in str(new)


@pytest.mark.parametrize(
    "counts", [(("stage 2", 3), ("9", 12), (HOSTILE, 1), ("met", 1002)), ()], ids=["some", "none"]
)
def test_count_rows_are_the_templates(counts: tuple[tuple[str, int], ...]) -> None:
    new = tables.count_rows(counts, "No episode staged.")
    _assert_same(new, "counts", distribution=SimpleNamespace(counts=counts))


def test_concordance_rows_are_the_templates() -> None:
    pairs = [
        {
            "label": label,
            "cells": [
                {"label": "FDA", "agreement": None, "disagreements": 0, "url": ""},
                {
                    "label": HOSTILE,
                    "agreement": 66.66666,
                    "disagreements": 4,
                    "url": "/cohort/disagreements/fda/ema/?onset_from=2024-01-01&psychiatrist=3",
                },
                {"label": "EMA", "agreement": None, "disagreements": 0, "url": "/x/"},
                {"label": "EMA", "agreement": 100.0, "disagreements": 0, "url": "/y/"},
            ],
        }
        for label in ("Thase–Rush", HOSTILE)
    ]
    _assert_same(tables.concordance_rows(pairs), "concordance", pairs=pairs)


@pytest.mark.parametrize("weeks", [3, 0])
def test_backlog_rows_are_the_templates(weeks: int) -> None:
    backlog = tuple(
        (datetime.date(2025, 1, 1) + datetime.timedelta(weeks=n), n * 7) for n in range(weeks)
    )
    page = SimpleNamespace(cases=SimpleNamespace(backlog=backlog))
    _assert_same(tables.backlog_rows(backlog), "backlog", page=page)


@pytest.mark.parametrize("count", [2, 0])
def test_item_rows_are_the_templates(count: int) -> None:
    items = (ItemCount("A1", HOSTILE, 12), ItemCount("B2", "Is B12 deficiency present?", 3))
    _assert_same(tables.item_rows(items[:count]), "items", items=items[:count])


@pytest.mark.parametrize("count", [4, 0])
def test_rate_rows_are_the_templates(count: int) -> None:
    rates = (
        RatePoint("2025Q1", 50.0, 2, 33.3, 3),
        RatePoint("2025Q2", None, 0, None, 0),
        RatePoint("2025Q3", 0.0, 5, 100.0, 1),
        RatePoint("2025Q4", 66.7, 3, None, 0),
    )[:count]
    page = SimpleNamespace(rates=rates)
    _assert_same(tables.rate_rows(rates), "rates", page=page)
