"""The patient page's timeline, the staging page's stage over time and the report's charts each
have a name, a description and a table carrying the chart's own data (issue 20)."""

import datetime
import html
import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from records.models import Patient, ScaleAdministration
from tests.chart_alternatives import ChartPage, assert_every_chart_is_named_and_described
from tests.integration.records.test_report import simple  # noqa: F401 (fixture)


def _island(content: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', content)
    assert found, element_id
    return json.loads(html.unescape(found.group(1)))


def _day(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def _scores(patient: Patient) -> list[ScaleAdministration]:
    return list(
        ScaleAdministration.objects.filter(episode__patient=patient, total__isnull=False).order_by(
            "administered_on", "pk"
        )
    )


def test_patient_timeline_table_lists_every_score_of_the_episode(
    simple: Patient,  # noqa: F811
    psychiatrist: User,
    signed_in: Callable[[User], Client],
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:patient-detail", args=[simple.pk]))

    assert response.status_code == 200
    page = ChartPage(response.content.decode())
    assert_every_chart_is_named_and_described(page)
    rows = page.body_rows("timeline-values")
    scores = _scores(simple)
    assert scores
    for score in scores:
        day = f"{score.administered_on.day} {score.administered_on:%b %Y}"
        assert any(row[0] == day and f"{float(score.total or 0):g}" in row[1] for row in rows), (
            day,
            rows,
        )
    assert "remission" in page.description(page.charts[0])


def test_staging_table_holds_the_charted_results_of_every_model(
    simple: Patient,  # noqa: F811
    psychiatrist: User,
    signed_in: Callable[[User], Client],
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:patient-staging", args=[simple.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    page = ChartPage(content)
    assert_every_chart_is_named_and_described(page)
    chart = _island(content, "stage-chart-data")
    header, *rows = page.tables["stage-over-time-table"]
    assert header[1:] == [_day(day) for day in chart["dates"]]
    assert rows == [[model["label"], *model["shown"]] for model in chart["models"]]


def test_report_charts_each_have_a_table_of_their_plotted_values(
    simple: Patient,  # noqa: F811
    psychiatrist: User,
    signed_in: Callable[[User], Client],
) -> None:
    response = signed_in(psychiatrist).get(reverse("records:patient-report", args=[simple.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    page = ChartPage(content)
    assert_every_chart_is_named_and_described(page)
    figures = _island(content, "report-figures")
    scores = figures["scores-0"]["data"][0]
    rows = page.body_rows("chart-scores-0-table")
    assert [row[0] for row in rows] == [_day(day) for day in scores["x"]]
    assert [float(row[1]) for row in rows] == scores["y"]
    recorded = _scores(simple)
    first_scale = [float(s.total or 0) for s in recorded if s.scale == recorded[0].scale]
    assert [float(row[1]) for row in rows] == first_scale
    caption = page.texts["chart-scores-0-caption"]
    assert "remission" in caption
    assert "response" in caption
    heat_map = figures["stages"]["data"][0]
    header, *stage_rows = page.tables["chart-stages-table"]
    by_model = dict(zip(heat_map["y"], heat_map["text"], strict=True))
    for column, label in enumerate(header[1:], start=1):
        assert [row[column] for row in stage_rows] == by_model[label], label
