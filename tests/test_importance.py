"""Permutation importance in the train stage (ML Test Score D2): noise is found, signal is not, the policy acts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from factory.artifacts import card, importance
from factory.artifacts.predictions import predict
from factory.artifacts.quality import recorded_findings
from factory.compile import compiled
from factory.errors import BuildError
from factory.io import canonical_json
from factory.paths import ProjectPaths
from factory.spec import UseCaseParams
from factory.stages import run_stage
from factory.stages.train import build_pipeline, model_tests
from tests.conftest import REPO

QUALITY = yaml.safe_load((REPO / "conf/quality/default.yaml").read_text())


def use_case(task: str, metric: str, model: dict[str, Any], **quality: Any) -> UseCaseParams:
    """A use case reading `signal` (the target follows it), `noise` (numbers) and `colour` (random categories)."""
    return UseCaseParams.model_validate(
        {
            "name": "toy",
            "description": "A target that one feature predicts.",
            "owner": "toy@example.com",
            "risk_tier": "low",
            "task": task,
            "data": [{"product": "toys"}],
            "products": {"toys": "data/products/toys.parquet"},
            "target": "y",
            "features": {"numeric": ["signal", "noise"], "categorical": ["colour"]},
            "model": model,
            "split": {"seed": 11},
            "evaluation": {"primary_metric": metric},
            "quality": {**QUALITY, **quality},
        }
    )


def rows(count: int, seed: int, task: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "signal": rng.normal(size=count),
            "noise": rng.normal(size=count),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], count)),
        }
    )
    latent = frame["signal"] + rng.normal(0, 0.5, count)
    frame["y"] = latent > 0 if task == "binary_classification" else 3 * latent
    return frame


FOREST = {"component": "random_forest_classifier", "params": {"n_estimators": 50, "min_samples_leaf": 5}}
REGRESSOR = {"component": "random_forest_regressor", "params": {"n_estimators": 50, "min_samples_leaf": 5}}


def fitted(params: UseCaseParams, train: pd.DataFrame) -> Any:
    return build_pipeline(params).fit(train[params.features.columns], train[params.target])


@pytest.mark.parametrize(
    ("task", "metric", "model"),
    [("binary_classification", "roc_auc", FOREST), ("regression", "rmse", REGRESSOR)],  # rmse: lower is better
)
def test_noise_is_within_noise_and_signal_is_not(task: str, metric: str, model: dict[str, Any]) -> None:
    params = use_case(task, metric, model)
    pipeline = fitted(params, rows(1500, 1, task))
    measured = importance.permutation_importance(pipeline, rows(600, 2, task), params, repeats=5)
    assert measured is not None and measured.metric == metric and measured.rows == 600 and measured.seed == 11
    signal_mean, signal_std = measured.features["signal"]
    assert signal_mean > 0.1 and signal_mean > 10 * signal_std  # shuffling it costs a lot, whichever direction
    assert measured.within_noise == ["noise", "colour"]  # declared order: numeric, then categorical
    record = measured.record("warn")
    assert record["within_noise"] == ["noise", "colour"] and record["greater_is_better"] == (metric != "rmse")
    (finding,) = record["findings"]  # one finding names every feature within noise
    assert (finding["feature"], finding["action"]) == (None, "warn")
    assert finding["detail"].startswith(f"2 of 3 features within noise of their permutation importance ({metric}, ")
    assert "5 shuffles of 600 test rows): noise " in finding["detail"] and ", colour " in finding["detail"]


def test_the_record_is_byte_identical_and_at_most_2000_rows_are_used() -> None:
    params = use_case("binary_classification", "roc_auc", FOREST)
    pipeline = fitted(params, rows(1500, 1, "binary_classification"))
    test = rows(2500, 3, "binary_classification")
    first = importance.permutation_importance(pipeline, test, params, repeats=3)
    again = importance.permutation_importance(pipeline, test, params, repeats=3)
    assert first is not None and again is not None
    assert canonical_json(first.record("warn")) == canonical_json(again.record("warn"))
    assert first.rows == importance.MAX_ROWS and first.repeats == 3
    # another seed shuffles (and subsamples) otherwise
    reseeded = params.model_copy(update={"split": params.split.model_copy(update={"seed": 12})})
    other = importance.permutation_importance(pipeline, test, reseeded, repeats=3)
    assert other is not None and other.features != first.features


def test_a_wide_table_is_scored_a_few_shuffles_at_a_time_with_the_same_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = use_case("binary_classification", "roc_auc", FOREST)
    pipeline = fitted(params, rows(1500, 1, "binary_classification"))
    test = rows(400, 3, "binary_classification")
    at_once = importance.permutation_importance(pipeline, test, params, repeats=5)
    # room for two shuffled copies of the 400 rows and 3 features per call: groups of 2, 2 and 1
    monkeypatch.setattr(importance, "MAX_SCORED_CELLS", 2 * 400 * 3)
    in_groups = importance.permutation_importance(pipeline, test, params, repeats=5)
    assert at_once is not None and in_groups is not None
    assert canonical_json(in_groups.record("warn")) == canonical_json(at_once.record("warn"))


def test_the_policy_error_fails_naming_the_features_and_warn_records_them() -> None:
    task = "binary_classification"
    strict = use_case(task, "roc_auc", FOREST, uninformative_feature="error")
    pipeline = fitted(strict, rows(1500, 1, task))
    test = rows(600, 2, task)
    with pytest.raises(BuildError) as caught:
        model_tests(pipeline, test, predict(pipeline, test, strict), strict)
    message = str(caught.value)
    assert message.startswith("use_cases/toy/config.yaml: model test(s) failed on the test rows")
    assert "error: uninformative_feature: 2 of 3 features within noise of their permutation importance" in message
    assert "): noise " in message and ", colour " in message and "signal" not in message

    lenient = use_case(task, "roc_auc", FOREST)
    checks, record = model_tests(pipeline, test, predict(pipeline, test, lenient), lenient)
    assert record["computed"] and record["action"] == "warn" and record["within_noise"] == ["noise", "colour"]
    assert checks["numerical_stability"] == {"action": "error", "problems": [], "rows": 600}


def test_off_computes_nothing_and_says_so() -> None:
    task = "binary_classification"
    params = use_case(task, "roc_auc", FOREST, uninformative_feature="off")
    pipeline = fitted(params, rows(1500, 1, task))
    test = rows(600, 2, task)
    _, record = model_tests(pipeline, test, predict(pipeline, test, params), params)
    assert record == {
        "action": "off",
        "computed": False,
        "findings": [],
        "reason": "quality.uninformative_feature is off",
    }


def test_the_train_stage_fails_on_error_writing_nothing_and_writes_the_off_record(project: Path) -> None:
    """churn's `paperless_billing` is noise by construction (the simulated churn never reads it)."""
    config = project / "use_cases/churn/config.yaml"
    original = config.read_text()
    config.write_text(original + "quality:\n  uninformative_feature: error\n")
    compiled(ProjectPaths(project))
    for product in ("customers", "customer-usage"):
        run_stage("data-product", product, project)
    run_stage("prepare", "churn", project)
    paths = ProjectPaths(project).use_case("churn")
    with pytest.raises(BuildError) as caught:
        run_stage("train", "churn", project)
    message = str(caught.value)
    assert message.startswith("use_cases/churn/config.yaml: model test(s) failed on the test rows")
    assert "error: uninformative_feature: " in message and " paperless_billing " in message
    written = (paths.model, paths.predictions, paths.importance, paths.model_checks)
    assert not any(path.exists() for path in written)

    config.write_text(original + "quality:\n  uninformative_feature: 'off'\n")
    compiled(ProjectPaths(project))
    run_stage("train", "churn", project)
    assert json.loads(paths.importance.read_text())["reason"] == "quality.uninformative_feature is off"
    checks = json.loads(paths.model_checks.read_text())
    assert checks["numerical_stability"] == {"action": "error", "problems": [], "rows": 1250}
    assert paths.model.is_file() and paths.predictions.is_file()


def test_warnings_reach_the_build_output_and_the_card_shows_the_ranking(project: Path) -> None:
    params = use_case("binary_classification", "roc_auc", FOREST)
    pipeline = fitted(params, rows(1500, 1, "binary_classification"))
    measured = importance.permutation_importance(pipeline, rows(600, 2, "binary_classification"), params, 5)
    assert measured is not None
    paths = ProjectPaths(project).use_case("churn")
    paths.artifacts.mkdir(parents=True)
    paths.importance.write_text(canonical_json(measured.record("warn")))
    found = recorded_findings(paths)  # quality.json and model_checks.json are absent: nothing from them
    assert found == measured.findings("warn") and "): noise " in found[0].detail and ", colour " in found[0].detail

    inputs = card.CardInputs(
        params=params,
        metrics={},
        slices={},
        lineage={"git": {}},
        products=[],
        training_rows=1500,
        search=None,
        built_on=None,
        importance=measured.record("warn"),
        model_checks={"numerical_stability": {"action": "error", "rows": 600, "problems": []}},
    )
    text = card.render_markdown(inputs)
    table = [line for line in text.splitlines() if line.startswith("| `")]
    assert table[0].startswith("| `signal` |") and table[0].endswith("|  |")  # most important first, not noise
    assert {line.split("|")[1].strip() for line in table[1:]} == {"`noise`", "`colour`"}
    assert all(line.endswith("| yes |") for line in table[1:])
    assert "- **Numerical stability:** every prediction finite, class probabilities in [0, 1] summing to 1" in text
