"""Sources: bundled scikit-learn datasets and project files."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError
from factory.registry import RunContext


def load(name: str, params: dict, context: RunContext) -> pd.DataFrame:
    component = registry.get("source", name)
    return component(component.parse_params(params), context)


def test_iris_has_a_key_snake_cased_features_and_named_classes(context: RunContext) -> None:
    iris = load("sklearn_dataset", {"dataset": "iris"}, context)
    assert list(iris.columns) == [
        "sample_id",
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
        "target",
    ]
    assert iris["sample_id"].dtype == "int64"
    assert iris["sample_id"].tolist() == list(range(150))
    assert iris["target"].dtype == "str"
    assert sorted(iris["target"].unique()) == ["setosa", "versicolor", "virginica"]


def test_wine_column_with_slash_is_snake_cased(context: RunContext) -> None:
    wine = load("sklearn_dataset", {"dataset": "wine", "target_column": "cultivar"}, context)
    assert "od280_od315_of_diluted_wines" in wine.columns
    assert wine.columns[-1] == "cultivar"
    assert set(wine["cultivar"]) == {"class_0", "class_1", "class_2"}


def test_label_names_false_keeps_integer_codes(context: RunContext) -> None:
    cancer = load("sklearn_dataset", {"dataset": "breast_cancer", "label_names": False}, context)
    assert cancer["target"].dtype == "int64"
    assert set(cancer["target"]) == {0, 1}
    assert "mean_radius" in cancer.columns


def test_diabetes_target_is_float(context: RunContext) -> None:
    diabetes = load("sklearn_dataset", {"dataset": "diabetes"}, context)
    assert diabetes.shape == (442, 12)
    assert diabetes["target"].dtype == "float64"


def test_target_column_clashing_with_a_feature_fails(context: RunContext) -> None:
    with pytest.raises(ComponentError, match="clashes"):
        load("sklearn_dataset", {"dataset": "diabetes", "target_column": "bmi"}, context)


def test_unknown_dataset_is_a_params_error() -> None:
    with pytest.raises(pydantic.ValidationError):
        registry.get("source", "sklearn_dataset").parse_params({"dataset": "mnist"})


def test_csv_file_reads_relative_to_the_root(context: RunContext, frame: pd.DataFrame) -> None:
    read = load("csv_file", {"path": "data/customers.csv"}, context)
    assert list(read.columns) == list(frame.columns)
    assert read["monthly_charges"].tolist()[:2] == ["$89.50", "$1,325.00"]
    assert registry.get("source", "csv_file").files_read(
        registry.get("source", "csv_file").parse_params({"path": "data/customers.csv"})
    ) == ["data/customers.csv"]


def test_csv_file_delimiter_and_encoding(context: RunContext) -> None:
    (context.root / "data" / "semi.csv").write_bytes("name;city\nJosé;Málaga\n".encode("latin-1"))
    read = load("csv_file", {"path": "data/semi.csv", "delimiter": ";", "encoding": "latin-1"}, context)
    assert read.to_dict("records") == [{"name": "José", "city": "Málaga"}]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/data/x.csv", "absolute"),
        ("data/../../secret.csv", "'..'"),
        ("..", "'..'"),
        ("data\\x.csv", "forward slashes"),
        ("  ", "empty"),
    ],
)
@pytest.mark.parametrize("source", ["csv_file", "parquet_file", "excel_file"])
def test_file_sources_refuse_paths_outside_the_project(source: str, path: str, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        registry.get("source", source).parse_params({"path": path})


def test_csv_params_are_checked_at_config_time() -> None:
    csv = registry.get("source", "csv_file")
    with pytest.raises(pydantic.ValidationError, match="a known text encoding"):
        csv.parse_params({"path": "a.csv", "encoding": "klingon-8"})
    with pytest.raises(pydantic.ValidationError, match="delimiter"):
        csv.parse_params({"path": "a.csv", "delimiter": ";;"})


def test_parquet_file_reads_chosen_columns_in_order(context: RunContext) -> None:
    read = load("parquet_file", {"path": "data/customers.parquet", "columns": ["age", "customer_id"]}, context)
    assert list(read.columns) == ["age", "customer_id"]
    assert np.isnan(read["age"][1])


def test_parquet_file_names_missing_columns(context: RunContext) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) \['nope'\]"):
        load("parquet_file", {"path": "data/customers.parquet", "columns": ["age", "nope"]}, context)


def test_missing_file_fails_naming_it(context: RunContext) -> None:
    with pytest.raises(ComponentError, match=r"missing\.csv"):
        load("csv_file", {"path": "data/missing.csv"}, context)


def test_excel_file_reads_a_sheet_by_name_or_position_below_its_header(
    context: RunContext, frame: pd.DataFrame
) -> None:
    from openpyxl import Workbook

    read = load("excel_file", {"path": "data/customers.xlsx", "sheet": "customers"}, context)
    assert list(read.columns) == list(frame.columns) and len(read) == len(frame)
    assert read["monthly_charges"].tolist()[:2] == ["$89.50", "$1,325.00"] and read["tenure_months"].dtype == "int64"

    workbook = Workbook()
    workbook.active.title = "notes"
    sheet = workbook.create_sheet("prices")
    sheet.append(["Price list, exported 2026-12-01"])  # a title row above the header, as exports have
    sheet.append(["id", "company_id", "price", "listed"])
    for index in range(3):
        sheet.append([index, index % 2, 10.5 * index, datetime.datetime(2026, 1, index + 1)])
    workbook.save(context.root / "data" / "prices.xlsx")
    read = load("excel_file", {"path": "data/prices.xlsx", "sheet_index": 1, "header_row": 2}, context)
    assert list(read.columns) == ["id", "company_id", "price", "listed"]
    assert read["price"].tolist() == [0.0, 10.5, 21.0] and read["listed"].dtype == "datetime64[ns]"
    with pytest.raises(ComponentError, match="Worksheet named 'nope' not found"):
        load("excel_file", {"path": "data/prices.xlsx", "sheet": "nope"}, context)


def test_excel_file_refuses_what_is_not_a_workbook_or_unpacks_too_far(context: RunContext) -> None:
    import zipfile

    excel = registry.get("source", "excel_file")
    with pytest.raises(pydantic.ValidationError, match=r"an \.xlsx workbook"):
        excel.parse_params({"path": "data/customers.csv"})
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 0"):
        excel.parse_params({"path": "data/x.xlsx", "sheet_index": -1})
    (context.root / "data" / "fake.xlsx").write_text("id,price\n1,2\n")
    with pytest.raises(ComponentError, match=r"not an \.xlsx workbook"):
        load("excel_file", {"path": "data/fake.xlsx"}, context)
    with zipfile.ZipFile(context.root / "data" / "bomb.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 20_000_000)
    with pytest.raises(ComponentError, match="unpacks to 20,000,000 bytes"):
        load("excel_file", {"path": "data/bomb.xlsx"}, context)


def test_sql_query_reads_a_duckdb_file_in_order(context: RunContext, frame: pd.DataFrame) -> None:
    query = "SELECT customer_id, region, age FROM customers WHERE age > 30 ORDER BY customer_id"
    read = load("sql_query", {"database": "data/warehouse.duckdb", "query": query}, context)
    expected = frame[frame["age"] > 30][["customer_id", "region", "age"]].reset_index(drop=True)
    assert read["customer_id"].tolist() == expected["customer_id"].tolist() == [1, 3, 5, 6]
    assert read["region"][0] == "north" and pd.isna(read["region"][1])
    source = registry.get("source", "sql_query")
    params = source.parse_params({"database": "data/warehouse.duckdb", "query": query})
    assert source.files_read(params) == ["data/warehouse.duckdb"] and not source.reads_outside(params)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
        ("CREATE TABLE stolen AS SELECT 1", "read-only"),
        ("COPY customers TO '/tmp/out.csv'", "file system operations are disabled"),
        ("SET enable_external_access = true", "Cannot change configuration option"),
        ("INSTALL httpfs", "Permission Error"),
    ],
)
def test_sql_query_on_duckdb_reaches_nothing_outside_its_file(context: RunContext, query: str, message: str) -> None:
    with pytest.raises(ComponentError, match=message):
        load("sql_query", {"database": "data/warehouse.duckdb", "query": query}, context)
    assert not Path("/tmp/out.csv").exists()


def test_sql_query_on_duckdb_has_bounded_memory_and_no_spill_files(context: RunContext) -> None:
    query = "SELECT current_setting('memory_limit') AS memory, current_setting('temp_directory') AS spill"
    read = load("sql_query", {"database": "data/warehouse.duckdb", "query": query}, context)
    assert read.to_dict("records") == [{"memory": "1.8 GiB", "spill": ""}]  # 2 GB, as DuckDB shows it


def test_sql_query_bounds_rows_and_time(context: RunContext) -> None:
    many = {"database": "data/warehouse.duckdb", "query": "SELECT * FROM range(1000)", "max_rows": 999}
    with pytest.raises(ComponentError, match=r"more than max_rows \(999\) rows"):
        load("sql_query", many, context)
    slow = {
        "database": "data/warehouse.duckdb",
        "query": "SELECT count(*) FROM range(100000000000)",
        "timeout_seconds": 1,
    }
    with pytest.raises(ComponentError, match="the query ran longer than 1 s"):
        load("sql_query", slow, context)


def test_sql_query_params_name_one_database_and_only_factory_variables() -> None:
    source = registry.get("source", "sql_query")
    for params, message in (
        ({"query": "SELECT 1"}, "exactly one of database"),
        ({"query": "SELECT 1", "database": "data/w.duckdb", "connection": "w"}, "exactly one of database"),
        ({"query": "SELECT 1", "connection": "AWS_SECRET_ACCESS_KEY"}, "should match pattern"),
        ({"query": "SELECT 1", "url_env": "AWS_SECRET_ACCESS_KEY"}, "Extra inputs are not permitted"),
        ({"query": "SELECT 1", "database": "/etc/passwd"}, "absolute"),
    ):
        with pytest.raises(pydantic.ValidationError, match=message):
            source.parse_params(params)
    server = source.parse_params({"query": "SELECT 1", "connection": "warehouse"})
    assert source.reads_outside(server) and source.files_read(server) == []


def test_sql_query_says_when_its_variable_is_unset(context: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACTORY_SQL_NOWHERE", raising=False)
    with pytest.raises(
        ComponentError,
        match="connection 'nowhere' is not set up here: the operator sets its URL in FACTORY_SQL_NOWHERE",
    ):
        load("sql_query", {"connection": "nowhere", "query": "SELECT 1"}, context)
