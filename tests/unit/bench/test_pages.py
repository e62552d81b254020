"""The clinic group's page rows give each page's wall and CPU ratio to its one-clinic figure."""

from bench.pages import GROUP_TARGET, PageFigure, group_rows


def test_each_page_is_set_beside_its_one_clinic_figure() -> None:
    one = {"cohort page": PageFigure(100.0, 120.0, 80.0, 20.0, 11)}
    group = {"cohort page": PageFigure(110.0, 130.0, 100.0, 21.0, 11)}
    (row,) = group_rows(one, group, 10, 10_000)
    assert row.name == "cohort page: 10 × 10,000 patients"
    assert row.value == 110.0
    assert row.target == GROUP_TARGET
    assert row.extra == {"one_clinic_ms": 100.0, "ratio": 1.1, "cpu_ratio": 1.25}
    assert "1.10× the one-clinic 100.0 ms; CPU 100.0 ms, 1.25× (was 80.0)" in row.note
