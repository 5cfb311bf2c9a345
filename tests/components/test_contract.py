"""The contract every registered component honours; a new component must add an example here."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from factory import registry
from factory.registry import CLASSIFICATION, ComponentParams, RunContext

# Example params per component: valid, and runnable on the fixtures below.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("source", "sklearn_dataset"): {"dataset": "wine"},
    ("source", "csv_file"): {"path": "data/customers.csv"},
    ("source", "parquet_file"): {"path": "data/customers.parquet", "columns": ["customer_id", "age"]},
    ("source", "synthetic_customers"): {"rows": 300, "seed": 7, "table": "profile"},
    ("source", "excel_file"): {"path": "data/customers.xlsx", "sheet": "customers"},
    ("source", "sql_query"): {
        "database": "data/warehouse.duckdb",
        "query": "SELECT customer_id, region, age FROM customers ORDER BY customer_id",
    },
    ("transform", "rename"): {"columns": {"age": "age_years"}},
    ("transform", "select_columns"): {"columns": ["tenure_months", "customer_id"]},
    ("transform", "drop_columns"): {"columns": ["region"]},
    ("transform", "cast"): {"columns": {"signup_date": "datetime64[ns]", "customer_id": "string"}},
    ("transform", "parse_boolean"): {"columns": ["churned"]},
    ("transform", "parse_percentage"): {"columns": ["discount"]},
    ("transform", "parse_currency"): {"columns": ["monthly_charges"]},
    ("transform", "fill_nulls"): {"values": {"region": "unknown"}, "strategies": {"age": "median"}},
    ("transform", "drop_nulls"): {"columns": ["age"]},
    ("transform", "filter_rows"): {
        "conditions": [
            {"column": "tenure_months", "op": "ge", "value": 5},
            {"column": "region", "op": "in", "value": ["north", "east"]},
        ]
    },
    ("transform", "derive_column"): {
        "column": "age_per_month",
        "op": "divide",
        "inputs": ["age", "tenure_months"],
    },
    ("transform", "join"): {"product": "usage", "keys": ["customer_id"]},
    ("feature", "standard_scaler"): {},
    ("feature", "min_max_scaler"): {"feature_range_min": -1.0},
    ("feature", "one_hot_encoder"): {"min_frequency": 3},
    ("feature", "simple_imputer"): {"strategy": "most_frequent"},
    ("model", "logistic_regression"): {"C": 0.5},
    ("model", "random_forest_classifier"): {"n_estimators": 10, "max_depth": 4},
    ("model", "random_forest_regressor"): {"n_estimators": 10},
    ("model", "hist_gradient_boosting_classifier"): {"max_iter": 10, "early_stopping": True},
    ("model", "hist_gradient_boosting_regressor"): {"max_iter": 10},
    ("model", "ridge"): {"alpha": 0.1},
    ("model", "linear_regression"): {"positive": True},
    ("model", "elastic_net"): {"alpha": 0.1, "l1_ratio": 0.2},
    ("model", "extra_trees_classifier"): {"n_estimators": 10, "class_weight": "balanced"},
    ("model", "extra_trees_regressor"): {"n_estimators": 10, "max_depth": 4},
    ("model", "gradient_boosting_classifier"): {"n_estimators": 10, "subsample": 0.8},
    ("metric", "accuracy"): {},
    ("metric", "precision"): {},
    ("metric", "recall"): {"average": "macro"},
    ("metric", "f1"): {"average": "weighted"},
    ("metric", "roc_auc"): {},
    ("metric", "log_loss"): {},
    ("metric", "rmse"): {},
    ("metric", "mae"): {},
    ("metric", "r2"): {},
    ("drift", "ks"): {"threshold": 0.01},
    ("drift", "wasserstein"): {"threshold": 0.2},
    ("drift", "chi_square"): {"threshold": 0.01},
    ("drift", "jensen_shannon"): {"threshold": 0.2},
    ("drift", "psi"): {"threshold": 0.25, "bins": 5},
}

COMPONENTS = registry.components()


def _id(component: registry.Component) -> str:
    return f"{component.kind}:{component.name}"


every_component = pytest.mark.parametrize("component", COMPONENTS, ids=_id)


def example(component: Any) -> dict[str, Any]:
    """The component's example params; a component whose defaults are enough (as `factory new
    component` generates them) needs no entry in EXAMPLES."""
    return EXAMPLES.get((component.kind, component.name), {})


def test_every_registered_component_has_an_example() -> None:
    registered = {(c.kind, c.name) for c in COMPONENTS}
    for component in COMPONENTS:
        if (component.kind, component.name) not in EXAMPLES:
            try:
                component.parse_params({})
            except Exception as exc:
                raise AssertionError(f"add example params for {component.kind} {component.name} to EXAMPLES") from exc
    assert sorted(EXAMPLES.keys() - registered) == [], "EXAMPLES names components that are not registered"


def test_each_module_registers_one_component_named_after_it() -> None:
    """The registry finds a component by this convention without importing the whole library."""
    per_file = Counter(c.source_file for c in COMPONENTS)
    assert [str(path) for path, count in per_file.items() if count > 1] == []
    for component in COMPONENTS:
        assert component.source_file.stem == component.name
        assert component.source_file.parent.name == registry.KIND_FOLDERS[component.kind]


def test_a_stage_imports_only_the_components_it_runs() -> None:
    code = (
        "import sys, factory.registry as r; r.get('model', 'ridge'); r.get('metric', 'r2'); "
        "print(sorted(m for m in sys.modules if m.startswith('components.') and not m.endswith('_params')))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(
        ["components.metrics", "components.metrics.r2", "components.models", "components.models.ridge"]
    )
    unknown = (
        "import factory.registry as r\ntry: r.get('model', 'nope')\nexcept r.UnknownComponent as e: print(e.known)"
    )
    result = subprocess.run([sys.executable, "-c", unknown], cwd=root, capture_output=True, text=True, check=True)
    assert "'ridge'" in result.stdout and "'logistic_regression'" in result.stdout


def test_loading_the_catalogue_imports_no_heavy_library() -> None:
    heavy = ("pandas", "numpy", "sklearn", "pyarrow", "scipy")
    code = (
        "import sys, factory.registry as r; r.load_catalogue(); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@every_component
def test_params_are_strict_finite_and_every_count_is_bounded(component: registry.Component) -> None:
    """A config cannot ask for unbounded work: `true` is no count, no .nan, every integer has both ends."""
    import typing

    import annotated_types

    config = component.params_model.model_config
    assert config.get("strict") is True and config.get("allow_inf_nan") is False
    for name, field in component.params_model.model_fields.items():
        kinds = typing.get_args(field.annotation) or (field.annotation,)
        if int not in kinds:
            continue
        lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in field.metadata)
        upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in field.metadata)
        assert lower and upper, f"{component.kind} {component.name}: param {name} needs a declared range (ge and le)"


@every_component
def test_documented(component: registry.Component) -> None:
    assert component.summary, "the docstring's first paragraph is the catalogue summary"
    assert component.summary[0].isupper() and component.summary.endswith(".")
    model = component.params_model
    assert issubclass(model, ComponentParams)
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert undocumented == [], "every parameter needs Field(description=...)"
    assert model.model_json_schema()["type"] == "object"


@every_component
def test_rejects_unknown_params(component: registry.Component) -> None:
    with pytest.raises(pydantic.ValidationError, match="no_such_param"):
        component.parse_params({**example(component), "no_such_param": 1})


@every_component
def test_example_params_round_trip(component: registry.Component) -> None:
    params = component.parse_params(example(component))
    assert component.parse_params(params.model_dump()) == params


@every_component
def test_same_params_same_result(component: registry.Component, context: RunContext, frame: pd.DataFrame) -> None:
    params = component.parse_params(example(component))
    first, second = (RUNNERS[component.kind](component, params, context, frame) for _ in range(2))
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(first, second)
        assert len(first.columns) > 0 and len(first) > 0
    elif isinstance(first, float):
        assert first == second
    else:
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)


def _run_source(component, params, context: RunContext, frame: pd.DataFrame) -> pd.DataFrame:
    return component(params, context)


def _run_transform(component, params, context: RunContext, frame: pd.DataFrame) -> pd.DataFrame:
    before = frame.copy()
    result = component(params, frame, context)
    pd.testing.assert_frame_equal(frame, before, obj="the input frame (transforms must not mutate it)")
    return result


def _training_data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {
            "level": rng.integers(0, 4, 80).astype("float64"),
            "score": np.round(rng.normal(size=80), 1),
            "amount": np.round(rng.gamma(2.0, 50.0, 80), 2),
        }
    )
    signal = features["score"] + features["level"] / 2 - 0.75 + rng.normal(0, 0.5, 80)
    return features, np.where(signal > 0, "yes", "no"), (3 * signal + 10).to_numpy()


def _run_feature(component, params, context: RunContext, frame: pd.DataFrame) -> tuple[np.ndarray]:
    estimator = component(params)
    _assert_unfitted(estimator)
    features, _, _ = _training_data()
    features.loc[[3, 17], "amount"] = np.nan
    return (np.asarray(estimator.fit_transform(features)),)


def _run_model(component, params, context: RunContext, frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    estimator = component(params)
    _assert_unfitted(estimator)
    features, classes, values = _training_data()
    if set(component.tasks) <= set(CLASSIFICATION):
        estimator.fit(features, classes)
        return estimator.predict(features), estimator.predict_proba(features)
    return (estimator.fit(features, values).predict(features),)


def _assert_unfitted(estimator) -> None:
    assert clone(estimator).get_params() == estimator.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def _run_metric(component, params, context: RunContext, frame: pd.DataFrame) -> float:
    if set(component.tasks) <= set(CLASSIFICATION):
        labels = ["no", "yes"]
        y_true = np.array(["yes", "no", "yes", "yes", "no", "no", "yes", "no"])
        y_pred = np.array(["yes", "no", "no", "yes", "yes", "no", "yes", "no"])
        positive = np.array([0.9, 0.2, 0.4, 0.7, 0.6, 0.1, 0.8, 0.3])
        result = component(params, y_true, y_pred, np.column_stack([1 - positive, positive]), labels)
    else:
        y_true = np.array([3.0, -0.5, 2.0, 7.0, 4.2])
        result = component(params, y_true, np.array([2.5, 0.0, 2.0, 8.0, 4.0]), None, None)
    assert type(result) is float
    return result


def _run_drift(component, params, context: RunContext, frame: pd.DataFrame) -> tuple[float, bool]:
    rng = np.random.default_rng(3)
    if registry.NUMERIC in component.applies_to:
        result = component(params, rng.normal(size=200), rng.normal(1.0, 1.0, size=150))
    else:
        result = component(params, np.array([50, 30, 20, 0]), np.array([20, 30, 45, 5]))
    statistic, drifted = result
    assert type(statistic) is float and type(drifted) is bool
    assert drifted, "a clear shift is drift for every test"
    return result


RUNNERS = {
    "source": _run_source,
    "transform": _run_transform,
    "feature": _run_feature,
    "model": _run_model,
    "metric": _run_metric,
    "drift": _run_drift,
}
