"""filter_rows: every operator, combining, nulls and type mismatches."""

from __future__ import annotations

import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError


def ids(transform, frame: pd.DataFrame, *conditions: dict, combine: str = "all") -> list[int]:
    kept = transform("filter_rows", {"conditions": list(conditions), "combine": combine}, frame)
    assert kept.index.tolist() == list(range(len(kept)))
    return kept["customer_id"].tolist()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"column": "tenure_months", "op": "eq", "value": 30}, [2]),
        ({"column": "tenure_months", "op": "ne", "value": 30}, [1, 3, 4, 5, 6]),
        ({"column": "tenure_months", "op": "lt", "value": 12}, [3, 5]),
        ({"column": "tenure_months", "op": "le", "value": 12}, [1, 3, 5]),
        ({"column": "age", "op": "gt", "value": 45}, [3, 5]),
        ({"column": "age", "op": "ge", "value": 45.0}, [3, 5, 6]),
        ({"column": "region", "op": "eq", "value": "north"}, [1, 6]),
        ({"column": "region", "op": "ne", "value": "north"}, [2, 4, 5]),
        ({"column": "region", "op": "in", "value": ["east", "west"]}, [4, 5]),
        ({"column": "region", "op": "not_in", "value": ["east", "west"]}, [1, 2, 6]),
        ({"column": "region", "op": "is_null"}, [3]),
        ({"column": "age", "op": "not_null"}, [1, 3, 4, 5, 6]),
    ],
)
def test_each_operator(transform, frame: pd.DataFrame, condition: dict, expected: list[int]) -> None:
    assert ids(transform, frame, condition) == expected


def test_nulls_never_meet_a_comparison(transform, frame: pd.DataFrame) -> None:
    assert 2 not in ids(transform, frame, {"column": "age", "op": "ne", "value": 0})
    assert 3 not in ids(transform, frame, {"column": "region", "op": "not_in", "value": ["x"]})


def test_all_and_any(transform, frame: pd.DataFrame) -> None:
    young = {"column": "age", "op": "lt", "value": 40}
    long = {"column": "tenure_months", "op": "ge", "value": 60}
    assert ids(transform, frame, young, long) == [4]
    assert ids(transform, frame, young, long, combine="any") == [1, 4, 6]


def test_dates_compare_with_iso_text(transform, frame: pd.DataFrame) -> None:
    frame = frame.assign(signup_date=pd.to_datetime(frame["signup_date"]))
    assert ids(transform, frame, {"column": "signup_date", "op": "ge", "value": "2022-01-01"}) == [2, 5]
    assert ids(transform, frame, {"column": "signup_date", "op": "in", "value": ["2019-05-05"]}) == [6]


def test_booleans(transform) -> None:
    frame = pd.DataFrame({"customer_id": [1, 2], "churned": [True, False]})
    assert ids(transform, frame, {"column": "churned", "op": "eq", "value": True}) == [1]


@pytest.mark.parametrize(
    ("column", "value"), [("age", "40"), ("region", 1), ("tenure_months", True), ("region", ["north", 2])]
)
def test_mismatched_types_fail_instead_of_matching_nothing(transform, frame, column: str, value) -> None:
    op = "in" if isinstance(value, list) else "eq"
    with pytest.raises(ComponentError, match=rf"column '{column}' has dtype .* does not fit it"):
        ids(transform, frame, {"column": column, "op": op, "value": value})


def test_missing_column_fails(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) 'nope'"):
        ids(transform, frame, {"column": "nope", "op": "is_null"})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"column": "a", "op": "in", "value": 1}, "a non-empty list value for op"),
        ({"column": "a", "op": "not_in", "value": []}, "a non-empty list value for op"),
        ({"column": "a", "op": "is_null", "value": 1}, "no value for op"),
        ({"column": "a", "op": "eq"}, "a single value .a text, number or boolean. for op"),
        ({"column": "a", "op": "lt", "value": [1]}, "a single value .a text, number or boolean. for op"),
        ({"column": "a", "op": "like", "value": "x"}, "op"),
        ({"column": "a", "op": "eq", "value": 1, "extra": 2}, "extra"),
    ],
)
def test_condition_params_are_checked(condition: dict, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        registry.get("transform", "filter_rows").parse_params({"conditions": [condition]})


def test_needs_a_condition() -> None:
    with pytest.raises(pydantic.ValidationError):
        registry.get("transform", "filter_rows").parse_params({"conditions": []})
