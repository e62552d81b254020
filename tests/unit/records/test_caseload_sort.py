"""The caseload's `?sort=`: whitelisted keys, each heading's next order."""

import pytest

from records.caseload import Sort, SortOrder


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", SortOrder(Sort.NAME, False)),
        ("stage", SortOrder(Sort.STAGE, False)),
        ("-stage", SortOrder(Sort.STAGE, True)),
        ("--stage", SortOrder(Sort.NAME, False)),
        ("family_name", SortOrder(Sort.NAME, False)),
        ("-pk", SortOrder(Sort.NAME, False)),
        ("review; drop table", SortOrder(Sort.NAME, False)),
    ],
)
def test_sort_parses_only_whitelisted_keys(value, expected):
    assert SortOrder.parse(value) == expected


def test_a_new_heading_sorts_the_most_pressing_first_and_a_second_click_reverses():
    order = SortOrder()
    assert order.toggled(Sort.STAGE).value == "-stage"
    assert order.toggled(Sort.SCORE).value == "score"
    assert order.toggled(Sort.ALERTS).value == "-alerts"
    assert order.toggled(Sort.NAME).value == "-name"
    assert SortOrder(Sort.STAGE, True).toggled(Sort.STAGE).value == "stage"


def test_only_the_sorted_columns_follow_the_direction_and_empty_values_go_last():
    expressions = SortOrder(Sort.STAGE, True).expressions()
    assert [e.descending for e in expressions] == [True, True, False, False, False, False]
    assert all(e.nulls_last for e in expressions)
