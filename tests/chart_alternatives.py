"""Read a page's charts as a screen reader meets them: each role="img" container (role="figure"
where the chart holds plotly's own controls, which an image may not), the text its
aria-describedby points to, and the tables (by data-testid) that carry the charts' values."""

from html.parser import HTMLParser

CHART_ROLES = {"img", "figure"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class ChartPage(HTMLParser):
    """The chart elements (CHART_ROLES), the text of each element with an id, each test table."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.charts: list[dict[str, str]] = []
        self.texts: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._open: list[tuple[str, str | None]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("role") in CHART_ROLES:
            self.charts.append(values)
        if tag == "table" and "data-testid" in values:
            self._table = values["data-testid"]
            self.tables[self._table] = []
        elif self._table is not None and tag == "tr":
            self.tables[self._table].append([])
        elif self._table is not None and tag in ("td", "th"):
            self._cell = []
        if tag in VOID:
            return
        element_id = values.get("id")
        if element_id:
            self.texts[element_id] = ""
        self._open.append((tag, element_id))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = None
        while self._open:
            open_tag, _id = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, element_id in self._open:
            if element_id:
                self.texts[element_id] += data
        if self._cell is not None:
            self._cell.append(data)

    def description(self, chart: dict[str, str]) -> str:
        """Return the text a chart's aria-describedby names (empty if it names nothing)."""
        ids = chart.get("aria-describedby", "").split()
        return " ".join(" ".join(self.texts.get(i, "").split()) for i in ids).strip()

    def body_rows(self, testid: str) -> list[list[str]]:
        """Return a table's rows after its header row."""
        return self.tables[testid][1:]


def assert_every_chart_is_named_and_described(page: ChartPage) -> None:
    """Assert each role="img" chart has a name and a description that resolves to text."""
    assert page.charts, "no chart with role=img or figure"
    for chart in page.charts:
        assert chart.get("aria-label"), chart
        assert page.description(chart), f"{chart} describes nothing"
