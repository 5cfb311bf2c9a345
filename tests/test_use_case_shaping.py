"""Use-case shaping: joins on differently named keys with a checked cardinality, and `prepare` steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from factory.compose import load_project
from factory.errors import ConfigError, DataValidationError
from factory.paths import ProjectPaths
from factory.spec import DataInput
from factory.stages import run_stage
from factory.stages.prepare import check_cardinality

RENAMED_USAGE = """\
description: Usage per customer, its key named as the billing platform names it.
owner: data-platform@example.com
source:
  component: synthetic_customers
  params: {rows: 5000, seed: 7, table: usage}
transforms:
  - component: rename
    params: {columns: {customer_id: account_ref}}
schema:
  columns:
    account_ref: {dtype: int64, unique: true}
    avg_monthly_minutes: {dtype: float64, min: 0}
    data_gb: {dtype: float64, nullable: true, min: 0}
    dropped_calls: {dtype: int64, min: 0}
    days_since_last_login: {dtype: int64, min: 0}
"""


def edit_churn(project: Path, change: Any) -> None:
    config_file = project / "use_cases/churn/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    change(config)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


def shaped(config: dict[str, Any]) -> None:
    """Churn joined on keys named differently, then filtered and given a derived feature."""
    config["data"][1] = {"product": "usage-renamed", "join_keys": {"left": "customer_id", "right": "account_ref"}}
    config["prepare"] = [
        {"component": "filter_rows", "params": {"conditions": [{"column": "tenure_months", "op": "ge", "value": 6}]}},
        {
            "component": "derive_column",
            "params": {
                "column": "minutes_per_charge",
                "op": "divide",
                "inputs": ["avg_monthly_minutes", "monthly_charges"],
            },
        },
        {"component": "drop_columns", "params": {"columns": ["signup_date"]}},
    ]
    config["features"]["numeric"].append("minutes_per_charge")


def problems(project: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project), ["churn"])
    return str(caught.value)


def test_a_shaped_use_case_checks_prepares_and_leaves_the_products_shared(project: Path) -> None:
    (project / "conf/data/usage-renamed.yaml").write_text(RENAMED_USAGE)
    edit_churn(project, shaped)
    spec = load_project(ProjectPaths(project), ["churn"]).use_cases["churn"]
    assert [step.component for step in spec.prepare] == ["filter_rows", "derive_column", "drop_columns"]

    from factory.compile import compiled

    compiled(ProjectPaths(project))
    for product in ("customers", "usage-renamed"):
        run_stage("data-product", product, project)
    run_stage("prepare", "churn", project)
    paths = ProjectPaths(project).use_case("churn")
    train, test = pd.read_parquet(paths.train_data), pd.read_parquet(paths.test_data)
    prepared = pd.concat([train, test])
    assert prepared["tenure_months"].min() >= 6 and "minutes_per_charge" in prepared.columns
    assert "account_ref" not in prepared.columns  # the right key is the left one, once
    customers = pd.read_parquet(project / "data/products/customers.parquet")
    assert len(prepared) == int((customers["tenure_months"] >= 6).sum()) < len(customers)
    # the shared product is untouched: every customer, every column
    assert len(customers) == 5000 and "signup_date" in customers.columns
    dvc_yaml = (paths.folder / "dvc.yaml").read_text()
    assert "components/transforms/derive_column.py" in dvc_yaml and "- prepare" in dvc_yaml


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["prepare"].append({"component": "join", "params": {"product": "customers", "keys": ["x"]}}),
            "prepare.3.component: expected a transform of the use case's own table (join other products under data:)",
        ),
        (
            lambda c: c["prepare"].append({"component": "drop_columns", "params": {"columns": ["minutes_per_charge"]}}),
            "features.numeric.10: expected a column of the use case's data",
        ),
        (
            lambda c: c["data"][1].update(join_keys={"left": "region", "right": "account_ref"}),
            "data.1.join_keys: expected keys of the same dtype on both sides; got 'region' string, 'account_ref' int64",
        ),
        (
            lambda c: c["data"][1].update(join_keys={"left": "customer_id", "right": "customer_id"}),
            "data.1.join_keys: expected a column of usage-renamed; got 'customer_id'",
        ),
        (
            lambda c: c["data"][1].update(join_keys={"left": ["customer_id", "age"], "right": "account_ref"}),
            "data.1.join_keys: expected as many right keys as left keys; got 2 and 1",
        ),
    ],
)
def test_shaping_mistakes_are_named_at_check(project: Path, change: Any, message: str) -> None:
    (project / "conf/data/usage-renamed.yaml").write_text(RENAMED_USAGE)
    edit_churn(project, lambda config: (shaped(config), change(config)))
    assert message in problems(project)


def test_a_repeated_key_is_refused_with_an_example() -> None:
    left = pd.DataFrame({"id": [1, 2, 3]})
    right = pd.DataFrame({"shuttle_id": [1, 2, 2, 2], "price": [1.0, 2.0, 3.0, 4.0]})
    item = DataInput(product="shuttles", join_keys={"left": "id", "right": "shuttle_id"})  # type: ignore[arg-type]
    with pytest.raises(DataValidationError) as caught:
        check_cardinality(left, right, item, "use_cases/prices/config.yaml: data.1")
    assert str(caught.value) == (
        "use_cases/prices/config.yaml: data.1: expected one row per key shuttle_id in product 'shuttles' "
        "(many_to_one); got 3 rows with a repeated key, e.g. shuttle_id='2' (3 rows); "
        "declare the cardinality or make the key unique"
    )
    many = item.model_copy(update={"cardinality": "many_to_many"})
    check_cardinality(left, right, many, "x")  # declared: no error
    one_to_many = DataInput(product="shuttles", join_keys=["id"], cardinality="one_to_many")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="in the products before it \\(one_to_many\\)"):
        check_cardinality(right.rename(columns={"shuttle_id": "id"}), left, one_to_many, "x")
