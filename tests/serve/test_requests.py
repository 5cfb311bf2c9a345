"""The request contract generated from a use case's features, and the capture writer, without a server."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factory.artifacts.params import load_use_case_params
from factory.compose import load_products
from factory.datacheck import input_schema_for
from factory.paths import ProjectPaths
from factory.serve.capture import CAPTURED_AT_COLUMN, MODEL_VERSION_COLUMN, CaptureSettings, CaptureWriter
from factory.serve.requests import RequestProblem, RowContract, row_contract
from factory.serve.telemetry import Telemetry
from tests.conftest import Runner


@pytest.fixture
def churn(project: Path) -> RowContract:
    paths = ProjectPaths(project)
    params = load_use_case_params(paths.use_case("churn"))
    return row_contract("churn", "v1.0.0", params, input_schema_for(params, load_products(paths)))


def good_row(churn: RowContract) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(churn.numeric, 1.0)
    row.update({"region": "north", "plan": "basic"})
    return row


def test_rows_become_a_table_in_feature_order_with_float_numbers(churn: RowContract) -> None:
    row = {**good_row(churn), "age": 40}  # a JSON integer is a valid number
    table = churn.frame([row, {**row, "age": None}], max_rows=10)
    assert list(table.columns) == list(churn.columns) and len(table) == 2
    assert table["age"].dtype == "float64" and table["age"].isna().tolist() == [False, True]
    assert churn.frame(row, max_rows=1)["region"].tolist() == ["north"]  # one record, not in a list


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"region": "mars"},
            "record 0, field 'region': input should be 'north', 'south', 'east' or 'west'; got 'mars'",
        ),
        ({"tenure_months": "12"}, "record 0, field 'tenure_months': input should be a valid number; got '12'"),
        ({"tenure_months": True}, "record 0, field 'tenure_months': input should be a valid number; got True"),
        ({"tenure_months": None}, "record 0, field 'tenure_months': input should be a valid number; got None"),
        ({"churned": 1}, "record 0, field 'churned': extra inputs are not permitted; got 1"),
        ({"plan": "x" * 500}, "got 'xxxxxxxx"),
    ],
)
def test_a_bad_field_is_named_with_what_was_expected(
    churn: RowContract, change: dict[str, object], message: str
) -> None:
    with pytest.raises(RequestProblem) as caught:
        churn.frame([{**good_row(churn), **change}], max_rows=10)
    assert caught.value.status == 422 and message in caught.value.message
    assert len(caught.value.message) < 300  # a long value is cut, not echoed whole
    assert caught.value.detail[0]["loc"][:2] == ["body", 0]


def test_missing_fields_empty_lists_and_too_many_rows(churn: RowContract) -> None:
    row = good_row(churn)
    del row["age"]
    with pytest.raises(RequestProblem, match="record 0, field 'age': field required"):
        churn.frame([row], max_rows=10)
    with pytest.raises(RequestProblem, match="expected at least one record; got an empty list"):
        churn.frame([], max_rows=10)
    with pytest.raises(RequestProblem) as caught:
        churn.frame([good_row(churn)] * 11, max_rows=10)
    assert caught.value.status == 413 and "at most 10 records per request; got 11" in caught.value.message
    many = [{"nope": 1}] * 3
    with pytest.raises(RequestProblem, match=r"\(and \d+ more\)"):
        churn.frame(many, max_rows=10)


def test_the_json_schema_documents_a_list_or_one_row(churn: RowContract) -> None:
    schema = churn.json_schema()
    listed, single = schema["anyOf"]
    assert listed["type"] == "array" and listed["minItems"] == 1 and listed["items"] == single
    assert single["additionalProperties"] is False and single["title"] == "ChurnRow"
    assert single["properties"]["region"]["enum"] == ["north", "south", "east", "west"]
    assert set(single["required"]) == set(churn.columns)


def scored(rows: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A request's rows and the scores of each."""
    table = pd.DataFrame({"x": [float(i) for i in range(rows)]})
    return table, {"prediction": np.array(["a"] * rows, dtype=object), "proba_a": np.linspace(0, 1, rows)}


def test_capture_samples_rolls_by_rows_and_flushes_at_stop(tmp_path: Path) -> None:
    writer = CaptureWriter(CaptureSettings(folder=tmp_path, rate=0.5, roll_rows=100, roll_seconds=3600, seed=3))
    writer.start()
    kept = sum(writer.submit("churn", "v1.0.0", *scored(50))[0] for _ in range(8))
    assert 150 < kept < 250  # about half of 400 rows, seeded
    writer.stop()
    files = sorted((tmp_path / "churn").glob("*.parquet"))
    assert len(files) >= 2  # at least one roll by rows, then the rest at stop
    table = pd.concat([pd.read_parquet(path) for path in files])
    assert len(table) == kept and set(table[MODEL_VERSION_COLUMN]) == {"v1.0.0"}
    assert table[CAPTURED_AT_COLUMN].str.endswith("+00:00").all()
    assert not [path for path in tmp_path.rglob(".*")]  # no temporary file left


def test_capture_rolls_by_age_and_drops_rather_than_grows(tmp_path: Path) -> None:
    writer = CaptureWriter(
        CaptureSettings(folder=tmp_path, rate=1.0, roll_rows=10_000, roll_seconds=1, queue_batches=2)
    )
    assert writer.submit("churn", "v1", *scored(5)) == (5, 0)
    assert writer.submit("churn", "v1", *scored(5)) == (5, 0)
    assert writer.submit("churn", "v1", *scored(5)) == (0, 5)  # the writer is not running: the queue is full
    writer.start()
    deadline = time.monotonic() + 30
    while not list((tmp_path / "churn").glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pd.read_parquet(next((tmp_path / "churn").glob("*.parquet")))) == 10  # written by age, not at stop
    writer.stop()
    assert not [thread for thread in threading.enumerate() if thread.name == "factory-serve-capture"]


def test_capture_rate_zero_keeps_nothing(tmp_path: Path) -> None:
    writer = CaptureWriter(CaptureSettings(folder=tmp_path, rate=0.0))
    assert writer.submit("churn", "v1", *scored(100)) == (0, 0)


def test_metrics_show_only_the_version_served_now() -> None:
    from types import SimpleNamespace

    telemetry = Telemetry()
    for version, sha in (("v1.0.0", "a" * 64), ("v1.1.0", "b" * 64)):
        telemetry.record_swap(SimpleNamespace(name="churn", version=version, model_sha256=sha))  # type: ignore[arg-type]
    text = telemetry.exposition().decode()
    assert 'factory_model_info{model_sha256="' + "b" * 64 + '",use_case="churn",version="v1.1.0"} 1.0' in text
    assert "v1.0.0" not in text


def test_a_busy_port_is_one_clear_error_before_anything_loads(factory_cli: Runner) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = factory_cli("serve", "wine-cultivar", "--port", str(port), "--no-fetch")
    assert done.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "serving" not in done.stderr
