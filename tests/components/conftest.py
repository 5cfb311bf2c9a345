"""Fixtures shared by the component tests: a run context and a small, messy customer frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from factory import registry
from factory.registry import RunContext


def customers_frame() -> pd.DataFrame:
    """Six customers in the raw shape sources deliver: text amounts, flags and dates, some nulls."""
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "signup_date": ["2021-03-01", "2022-07-15", None, "2020-01-31", "2023-12-24", "2019-05-05"],
            "region": ["north", "south", None, "east", "west", "north"],
            "monthly_charges": ["$89.50", "$1,325.00", "(12.50)", "€15", None, " $40 "],
            "discount": ["10%", "0%", None, "12.5%", "5 %", "20"],
            "churned": ["t", "f", "T", "no", None, "yes"],
            "age": [34.0, None, 51.0, 23.0, 67.0, 45.0],
            "tenure_months": [12, 30, 0, 60, 5, 70],
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return customers_frame()


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    """A project in tmp_path with one csv, one parquet and one built data product (`usage`)."""
    data = tmp_path / "data"
    data.mkdir()
    customers_frame().to_csv(data / "customers.csv", index=False)
    customers_frame().to_parquet(data / "customers.parquet", index=False)
    customers_frame().to_excel(data / "customers.xlsx", sheet_name="customers", index=False, engine="openpyxl")
    import duckdb

    warehouse = duckdb.connect(str(data / "warehouse.duckdb"))
    warehouse.register("frame", customers_frame())
    warehouse.execute("CREATE TABLE customers AS SELECT * FROM frame")
    warehouse.close()
    usage = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6], "data_gb": [1.5, 20.0, 3.25, None, 7.0, 0.5]})
    usage.to_parquet(data / "usage.parquet", index=False)
    return RunContext(root=tmp_path, product_paths={"usage": data / "usage.parquet"})


@pytest.fixture
def transform(context: RunContext):
    """Run a transform through the registry: `transform(name, params, frame)`."""

    def run(name: str, params: dict, frame: pd.DataFrame) -> pd.DataFrame:
        component = registry.get("transform", name)
        return component(component.parse_params(params), frame, context)

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fail on any warning in these tests: a deprecation in pandas or scikit-learn is a break to come."""
    # The hook sees the whole session's items; leave other folders' tests alone.
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings("error"))
