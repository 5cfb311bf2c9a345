"""join: reading another product, key checks, overlap and relation errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from factory import registry
from factory.errors import ComponentError
from factory.registry import RunContext


def join(params: dict, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    component = registry.get("transform", "join")
    return component(component.parse_params({"product": "usage", "keys": ["customer_id"], **params}), frame, context)


def with_product(tmp_path: Path, other: pd.DataFrame) -> RunContext:
    other.to_parquet(tmp_path / "other.parquet")
    return RunContext(root=tmp_path, product_paths={"usage": tmp_path / "other.parquet"})


def test_left_join_keeps_every_row(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"customer_id": [2, 1, 9], "data_gb": [2.0, 1.0, 9.0]}))
    joined = join({}, frame, context)
    assert joined["customer_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert joined["data_gb"].tolist()[:2] == [1.0, 2.0]
    assert joined["data_gb"].isna().sum() == 4


def test_inner_join_keeps_matches(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"customer_id": [2, 1, 9], "data_gb": [2.0, 1.0, 9.0]}))
    assert join({"how": "inner"}, frame, context)["customer_id"].tolist() == [1, 2]


def test_declares_the_product_it_reads() -> None:
    component = registry.get("transform", "join")
    assert component.products_read(component.parse_params({"product": "usage", "keys": ["id"]})) == ["usage"]


def test_overlapping_columns_are_named(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"customer_id": [1], "age": [3.0], "region": ["x"]}))
    with pytest.raises(ComponentError, match=r"columns \['age', 'region'\] are in both"):
        join({}, frame, context)


def test_duplicate_keys_in_the_product_fail(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"customer_id": [1, 1], "data_gb": [1.0, 2.0]}))
    with pytest.raises(ComponentError, match="join with product 'usage' on \\['customer_id'\\]"):
        join({}, frame, context)


def test_one_to_one_refuses_duplicate_keys_here(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"customer_id": [1], "data_gb": [1.0]}))
    doubled = pd.concat([frame, frame], ignore_index=True)
    assert len(join({}, doubled, context)) == 12
    with pytest.raises(ComponentError, match="one-to-one"):
        join({"validate": "one_to_one"}, doubled, context)


def test_missing_keys_are_named(tmp_path: Path, frame: pd.DataFrame) -> None:
    context = with_product(tmp_path, pd.DataFrame({"id": [1], "data_gb": [1.0]}))
    with pytest.raises(ComponentError, match=r"join key\(s\) \['customer_id'\] missing from product 'usage'"):
        join({}, frame, context)
    with pytest.raises(ComponentError, match=r"join key\(s\) \['id'\] missing from this frame"):
        join({"keys": ["id"]}, frame, context)


def test_unknown_product_fails(context: RunContext, frame: pd.DataFrame) -> None:
    component = registry.get("transform", "join")
    with pytest.raises(ComponentError, match="KeyError: 'nope'"):
        component(component.parse_params({"product": "nope", "keys": ["customer_id"]}), frame, context)
