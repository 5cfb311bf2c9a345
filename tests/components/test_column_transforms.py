"""rename, select_columns and drop_columns."""

from __future__ import annotations

import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError


def test_rename(transform, frame: pd.DataFrame) -> None:
    renamed = transform("rename", {"columns": {"age": "age_years", "region": "area"}}, frame)
    assert list(renamed.columns) == [
        "customer_id",
        "signup_date",
        "area",
        "monthly_charges",
        "discount",
        "churned",
        "age_years",
        "tenure_months",
    ]
    assert "age" in frame.columns, "the input is untouched"


def test_rename_missing_column_names_it_and_lists_the_frame(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) 'agee' in the frame; it has 'customer_id'"):
        transform("rename", {"columns": {"agee": "age_years"}}, frame)


def test_rename_onto_a_kept_column_fails(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match=r"duplicate column\(s\) \['region'\]"):
        transform("rename", {"columns": {"age": "region"}}, frame)


def test_rename_can_swap_names(transform, frame: pd.DataFrame) -> None:
    swapped = transform("rename", {"columns": {"age": "region", "region": "age"}}, frame)
    assert swapped["age"].tolist()[0] == "north"


def test_rename_two_columns_to_one_name_is_a_params_error() -> None:
    with pytest.raises(pydantic.ValidationError, match="more than once"):
        registry.get("transform", "rename").parse_params({"columns": {"a": "x", "b": "x"}})


def test_select_columns_keeps_order(transform, frame: pd.DataFrame) -> None:
    selected = transform("select_columns", {"columns": ["age", "customer_id"]}, frame)
    assert list(selected.columns) == ["age", "customer_id"]
    pd.testing.assert_series_equal(selected["age"], frame["age"])


def test_select_and_drop_name_missing_columns(transform, frame: pd.DataFrame) -> None:
    for name in ("select_columns", "drop_columns"):
        with pytest.raises(ComponentError, match=r"ValueError: no column\(s\) 'x', 'y'"):
            transform(name, {"columns": ["age", "x", "y"]}, frame)


def test_drop_columns(transform, frame: pd.DataFrame) -> None:
    assert "region" not in transform("drop_columns", {"columns": ["region"]}, frame).columns


@pytest.mark.parametrize("columns", [[], ["a", "a"]])
def test_column_lists_must_be_non_empty_and_unique(columns: list[str]) -> None:
    with pytest.raises(pydantic.ValidationError):
        registry.get("transform", "select_columns").parse_params({"columns": columns})
