"""Every chart of the cohort page is an image with a name and a description, and a table beside
it carries the same values as the chart's data (issue 20)."""

import datetime
from decimal import Decimal

from django.urls import reverse

from records.services.scale_administrations import ScaleInput, scale_record
from tests.chart_alternatives import ChartPage, assert_every_chart_is_named_and_described
from tests.factories.pseudoresistance import ImpasseCaseFactory

from .conftest import SAME_CLASS, TWO_CLASSES

COHORT = reverse("cohort:cohort")
CHARTS = {
    "concordance",
    "cases",
    "backlog",
    "concerns",
    "gaps",
    "rates",
}


def test_every_cohort_chart_has_a_table_with_its_values(
    signed_in, supervisor, psychiatrist, make_episode, restage
):
    same = make_episode(SAME_CLASS, record_number="RN-SAME")
    make_episode(TWO_CLASSES, record_number="RN-TWO")
    ImpasseCaseFactory(episode=same)
    for days, total in ((10, 24), (40, 6)):
        scale_record(
            acting_user=psychiatrist,
            episode_id=same.pk,
            data=ScaleInput(
                scale="HAMD17",
                administered_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=days),
                total=Decimal(total),
            ),
        )
    restage()

    response = signed_in(supervisor).get(COHORT)

    assert response.status_code == 200
    data = response.context["page"]
    page = ChartPage(response.content.decode())
    assert_every_chart_is_named_and_described(page)
    drawn = {chart.get("data-cohort-figure") for chart in page.charts}
    assert drawn - {None} == CHARTS
    indexed = [c for c in page.charts if "data-cohort-figure-index" in c]
    assert len(indexed) == len(data.distributions)
    for distribution in data.distributions:
        rows = page.body_rows(f"distribution-{distribution.key}-table")
        assert rows == [[name, str(count)] for name, count in distribution.counts] or (
            not distribution.counts and len(rows) == 1
        )
    waiting = page.body_rows("waiting-table")
    assert waiting == [[state, *(str(n) for _bin, n in bins)] for state, bins in data.cases.waiting]
    assert sum(int(n) for row in waiting for n in row[1:]) >= 1  # the case flagged above
    backlog = page.body_rows("backlog-table")
    assert backlog == [[f"{week.day} {week:%b %Y}", str(n)] for week, n in data.cases.backlog]
    [quarter] = data.rates
    assert page.body_rows("rates-table") == [
        [
            quarter.period,
            f"{quarter.response_rate:g} % of {quarter.responders_judged}",
            f"{quarter.remission_rate:g} % of {quarter.remission_judged}",
        ]
    ]
    concordance = data.concordance
    i, j = concordance.keys.index("fda"), concordance.keys.index("thase_rush")
    cell = page.body_rows("concordance-table")[i][j + 1]
    assert cell == (f"{concordance.disagreements[i][j]} ({concordance.agreement[i][j]:g} % agree)")
