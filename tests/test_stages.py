"""Each stage run in-process on a copy of the project, without DVC."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from factory.artifacts.metrics import compute_metrics
from factory.artifacts.params import load_use_case_params
from factory.artifacts.predictions import Predictions, predict, read_predictions, write_predictions
from factory.errors import BuildError, ConfigError, DataValidationError, FactoryError
from factory.io import load_model, model_bytes, read_parquet
from factory.paths import ProjectPaths
from factory.stages import run_stage
from factory.stages.prepare import used_columns
from factory.stages.train import build_pipeline, fit_pipeline
from tests.conftest import REPO


def build_products(project: Path, *names: str) -> None:
    for name in names:
        run_stage("data-product", name, project)


def test_data_product_is_validated_and_written(project: Path) -> None:
    build_products(project, "customers")
    table = pd.read_parquet(project / "data/products/customers.parquet")
    assert len(table) == 5000
    assert table["customer_id"].is_unique
    assert table["monthly_charges"].dtype == "float64"
    assert table["churned"].dtype == "bool"
    stats = json.loads((project / "data/products/customers.stats.json").read_text())
    assert stats["rows"] == 5000 and stats["nulls"]["age"] > 0


def test_schema_violation_is_summarised_and_nothing_is_written(project: Path) -> None:
    product = project / "conf/data/customers.yaml"
    product.write_text(product.read_text())
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("- north\n", "- nord\n"))
    with pytest.raises(DataValidationError) as caught:
        build_products(project, "customers")
    message = str(caught.value)
    assert "data product 'customers': data does not match its declared schema (5000 rows checked)" in message
    assert "column region: check isin(" in message
    assert "'north'" in message
    assert not (project / "data/products/customers.parquet").exists()


def test_use_case_stages_in_order(project: Path) -> None:
    build_products(project, "wine")
    paths = ProjectPaths(project).use_case("wine-cultivar")
    shutil.copy(REPO / "use_cases/wine-cultivar/dvc.lock", paths.dvc_lock)  # the record of an earlier build
    for stage in ("prepare", "train", "evaluate", "report"):
        run_stage(stage, "wine-cultivar", project)
    params = load_use_case_params(paths)
    train, test = pd.read_parquet(paths.train_data), pd.read_parquet(paths.test_data)
    assert list(train.columns) == used_columns(params)
    assert len(test) == math.ceil(178 * 0.3)  # scikit-learn rounds the test share up
    assert set(train["cultivar"]) == set(test["cultivar"]) == {"class_0", "class_1", "class_2"}
    metrics = json.loads(paths.metrics.read_text())
    assert set(metrics) == {"accuracy", "f1", "log_loss", "roc_auc", "n_test", "baseline"}
    assert metrics["accuracy"] > 0.85
    # the trivial baseline on the same rows: the most frequent cultivar, its share of the test rows
    assert metrics["baseline"]["accuracy"] == round((test["cultivar"] == train["cultivar"].mode()[0]).mean(), 6)
    assert set(metrics["baseline"]) == {"accuracy", "f1", "log_loss", "roc_auc"}
    model = load_model(paths.model)
    assert list(model.classes_) == ["class_0", "class_1", "class_2"]
    # evaluate scored the predictions the train stage saved: the same as the saved model's own
    assert compute_metrics(predict(model, test, params), params) == {
        k: metrics[k] for k in metrics if k not in ("n_test", "baseline")
    }
    assert sorted(p.name for p in paths.plots.iterdir()) == [
        "confusion.csv",
        "confusion.png",
        "precision_recall.csv",
        "precision_recall.png",
        "roc.csv",
        "roc.png",
    ]
    card = paths.model_card.read_text()
    for section in ("## 1. Model details", "## 4. Metrics", "## 7. Quantitative analyses", "## 9. Caveats"):
        assert section in card
    assert paths.model_card_html.read_text().count('src="data:image/png;base64,') == 3
    lineage = json.loads(paths.lineage.read_text())
    assert lineage["model_sha256"] and lineage["packages"]["scikit-learn"]
    assert lineage["kernels"]["blas"] and lineage["kernels"]["numpy"]
    # DVC writes a stage's dvc.lock entry after the stage: the report entry there is an earlier build's
    assert "report" in yaml.safe_load(paths.dvc_lock.read_text())["stages"]
    assert sorted(lineage["stages"]) == ["evaluate", "prepare", "train"]


def test_time_split_tests_on_the_latest_rows(project: Path) -> None:
    build_products(project, "customers")
    run_stage("prepare", "customer-value", project)
    paths = ProjectPaths(project).use_case("customer-value")
    train, test = pd.read_parquet(paths.train_data), pd.read_parquet(paths.test_data)
    assert train["signup_date"].max() <= test["signup_date"].min()
    assert len(test) == 1000
    run_stage("train", "customer-value", project)
    run_stage("evaluate", "customer-value", project)
    slices = json.loads(paths.slice_metrics.read_text())
    assert set(slices["plan"]) == {"basic", "plus", "premium"}
    assert sum(item["n"] for item in slices["plan"].values()) == len(test)
    assert sorted(p.name for p in paths.plots.iterdir()) == [
        "predicted_vs_actual.png",
        "predictions.csv",
        "residuals.png",
    ]


def test_train_fits_the_model_scikit_learn_fits(project: Path) -> None:
    """Reading categoricals and fitting step by step (to hold less memory) changes no byte of the model."""
    build_products(project, "customers", "customer-usage")
    run_stage("prepare", "churn", project)
    paths = ProjectPaths(project).use_case("churn")
    params = load_use_case_params(paths)
    assert params.features.categorical and "simple_imputer" in str(params.features.numeric_steps)
    table = pd.read_parquet(paths.train_data)  # text columns as pandas `str`
    plain = build_pipeline(params).fit(table[params.features.columns], table[params.target])
    stepwise = fit_pipeline(build_pipeline(params), paths.train_data, params)
    assert model_bytes(stepwise) == model_bytes(plain)
    assert read_parquet(paths.train_data, categorical=params.features.categorical)["region"].dtype == "category"


def test_stage_errors_are_clean(project: Path) -> None:
    with pytest.raises(FactoryError, match="unknown stage 'deploy'"):
        run_stage("deploy", "churn", project)
    with pytest.raises(ConfigError, match="expected a slug"):
        run_stage("train", "../churn", project)
    with pytest.raises(ConfigError, match="expected a compiled data product"):
        run_stage("data-product", "weather", project)
    (project / "use_cases/churn/params.yaml").unlink()
    with pytest.raises(ConfigError, match=r"run `factory compile`"):
        run_stage("train", "churn", project)


@pytest.mark.parametrize(
    ("y_pred", "proba", "labels"),
    [
        (np.array([True, False, True]), np.array([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]), [False, True]),
        (np.array(["b", "a", "c"], dtype=object), np.eye(3)[[1, 0, 2]], ["a", "b", "c"]),
        (np.array([1.5, -2.0, 3.25]), None, None),
    ],
)
def test_predictions_file_round_trip(
    tmp_path: Path, y_pred: np.ndarray, proba: np.ndarray | None, labels: list[object] | None
) -> None:
    file = tmp_path / "predictions.parquet"
    write_predictions(file, Predictions(y_pred, y_pred, proba, labels))
    truth = np.array(["t1", "t2", "t3"], dtype=object)
    back = read_predictions(file, truth)
    assert back.y_true is truth and back.labels == labels
    assert back.y_pred.tolist() == y_pred.tolist() and back.y_pred.dtype == y_pred.dtype
    assert (back.y_proba is None) == (proba is None)
    if proba is not None:
        assert np.array_equal(back.y_proba, proba)
    with pytest.raises(BuildError, match="predictions for 3 rows, but the test table has 2"):
        read_predictions(file, truth[:2])
