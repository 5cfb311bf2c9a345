"""The inventory of a fresh repository: rows, statuses before any build, and blast-radius queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from factory.compose import Project, load_project
from factory.errors import ConfigError
from factory.governance.inventory import InventoryQuery, build_inventory, select_use_cases
from factory.paths import ProjectPaths
from tests.conftest import init_repo

# A data product that joins another one: a use case reading it depends on both. (Never
# built: a wine per customer makes no sense, but the declarations are all the inventory reads.)
USAGE_PLUS = """\
description: Usage joined with a wine.
source:
  component: synthetic_customers
  params: {rows: 5000, seed: 7, table: usage}
transforms:
  - component: join
    params: {product: wine, keys: [customer_id], how: left, validate: one_to_one}
schema:
  strict: false
  columns:
    customer_id: {dtype: int64, unique: true}
    avg_monthly_minutes: {dtype: float64, min: 0}
    data_gb: {dtype: float64, nullable: true, min: 0}
    dropped_calls: {dtype: int64, min: 0}
    days_since_last_login: {dtype: int64, min: 0}
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inventory") / "project"
    init_repo(root)
    (root / "conf/data/usage-plus.yaml").write_text(USAGE_PLUS)
    config = root / "use_cases/churn/config.yaml"
    config.write_text(config.read_text().replace("- product: customer-usage", "- product: usage-plus"))
    return root


def names(project: Project, **query: object) -> list[str]:
    return [spec.name for spec in select_use_cases(project, InventoryQuery(**query))]  # type: ignore[arg-type]


def test_rows_before_any_build(repo: Path) -> None:
    rows = {row.name: row for row in build_inventory(repo)}
    assert list(rows) == ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]
    churn = rows["churn"]
    assert (churn.status, churn.production_version, churn.metric_now, churn.gates_passed) == (
        "not built",
        None,
        None,
        None,
    )
    assert churn.data_products == {"customers": None, "usage-plus": None}
    assert churn.upstream_products == ["wine"]
    assert {"churned", "age", "region", "plan", "customer_id"} <= set(churn.columns)  # target, slices, join key
    assert {"random_forest_classifier", "roc_auc", "synthetic_customers", "join", "one_hot_encoder"} <= set(
        churn.components
    )
    assert "one_hot_encoder" not in rows["wine-cultivar"].components  # no categorical features there
    assert rows["customer-value"].columns[-1] == "tenure_months" and "signup_date" in rows["customer-value"].columns
    assert churn.to_dict().keys() >= {"name", "status", "monitoring"} and "releases" not in churn.to_dict()
    assert [row.name for row in build_inventory(repo, InventoryQuery(depends_on=("data:wine",)))] == [
        "churn",
        "wine-cultivar",
    ]


def test_queries_find_the_blast_radius(repo: Path) -> None:
    project = load_project(ProjectPaths(repo))
    assert names(project, depends_on=("data:customers",)) == ["churn", "customer-value"]
    assert names(project, depends_on=("data:wine",)) == ["churn", "wine-cultivar"]  # churn through the join
    assert names(project, depends_on=("data:usage-plus",)) == ["churn"]
    assert names(project, depends_on=("column:signup_date",)) == ["customer-value"]  # the time split's column
    assert names(project, depends_on=("column:customer_id",)) == ["churn"]  # a join key
    assert names(project, depends_on=("column:nowhere",)) == []
    assert names(project, component="join") == ["churn"]
    assert names(project, owner="QUALITY-LAB@example.com") == ["wine-cultivar"]
    assert names(project, risk_tier="low", component="logistic_regression") == ["wine-cultivar"]
    for bad, expected in (("data:weather", "a declared data product"), ("age", "data:<product> or column:<name>")):
        with pytest.raises(ConfigError, match=expected):
            names(project, depends_on=(bad,))
    with pytest.raises(ConfigError, match="--risk-tier: expected one of low, medium, high; got 'HIGH'"):
        names(project, risk_tier="HIGH")
    with pytest.raises(ConfigError, match="--component: expected a registered component"):
        names(project, component="xgboost")
