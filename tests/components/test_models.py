"""Models: params reach the estimator, defaults are deterministic, bounds are checked."""

from __future__ import annotations

import pydantic
import pytest

from factory import registry
from factory.registry import CLASSIFICATION, REGRESSION

ESTIMATORS = {
    "logistic_regression": ("LogisticRegression", CLASSIFICATION),
    "random_forest_classifier": ("RandomForestClassifier", CLASSIFICATION),
    "random_forest_regressor": ("RandomForestRegressor", REGRESSION),
    "hist_gradient_boosting_classifier": ("HistGradientBoostingClassifier", CLASSIFICATION),
    "hist_gradient_boosting_regressor": ("HistGradientBoostingRegressor", REGRESSION),
    "ridge": ("Ridge", REGRESSION),
    "linear_regression": ("LinearRegression", REGRESSION),
    "elastic_net": ("ElasticNet", REGRESSION),
    "extra_trees_classifier": ("ExtraTreesClassifier", CLASSIFICATION),
    "extra_trees_regressor": ("ExtraTreesRegressor", REGRESSION),
    "gradient_boosting_classifier": ("GradientBoostingClassifier", CLASSIFICATION),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_builds_the_estimator_for_its_tasks_with_a_fixed_seed(name: str) -> None:
    component = registry.get("model", name)
    estimator = component(component.parse_params({}))
    class_name, tasks = ESTIMATORS[name]
    assert type(estimator).__name__ == class_name
    assert component.tasks == tasks
    settings = estimator.get_params()
    assert settings.get("random_state", 0) == 0  # least squares has no randomness to seed
    assert settings.get("n_jobs") in (None, 1)


def test_params_reach_the_estimator() -> None:
    forest = registry.get("model", "random_forest_classifier")
    settings = forest(
        forest.parse_params(
            {
                "n_estimators": 7,
                "max_depth": 3,
                "min_samples_leaf": 2,
                "class_weight": "balanced",
                "random_state": 5,
            }
        )
    ).get_params()
    assert (settings["n_estimators"], settings["max_depth"], settings["min_samples_leaf"]) == (7, 3, 2)
    assert (settings["class_weight"], settings["random_state"], settings["n_jobs"]) == ("balanced", 5, 1)
    boosting = registry.get("model", "hist_gradient_boosting_regressor")
    settings = boosting(boosting.parse_params({"learning_rate": 0.05, "l2_regularization": 1.0})).get_params()
    assert (settings["learning_rate"], settings["l2_regularization"], settings["max_iter"]) == (
        0.05,
        1.0,
        200,
    )
    assert settings["early_stopping"] is False
    logistic = registry.get("model", "logistic_regression")
    assert logistic(logistic.parse_params({"C": 0.1})).get_params()["C"] == 0.1


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("logistic_regression", {"C": 0}),
        ("logistic_regression", {"class_weight": "auto"}),
        ("ridge", {"alpha": -1}),
        ("ridge", {"alpha": 0}),
        ("elastic_net", {"l1_ratio": 1.5}),
        ("gradient_boosting_classifier", {"subsample": 0}),
        ("extra_trees_regressor", {"class_weight": "balanced"}),
        ("random_forest_classifier", {"n_estimators": 0}),
        ("random_forest_regressor", {"class_weight": "balanced"}),
        ("random_forest_regressor", {"n_jobs": 0}),
        ("hist_gradient_boosting_classifier", {"learning_rate": 0}),
        ("hist_gradient_boosting_regressor", {"max_leaf_nodes": 1}),
    ],
)
def test_bad_hyper_parameters_fail_at_config_time(name: str, params: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        registry.get("model", name).parse_params(params)


def test_least_squares_gives_a_constant_column_no_weight() -> None:
    """The case that made an unpenalised ridge useless: a constant feature beside real ones."""
    import numpy as np

    rng = np.random.default_rng(0)
    features = np.column_stack([rng.normal(size=200), np.full(200, 3.0)])
    target = 2.0 * features[:, 0] + 1.0
    component = registry.get("model", "linear_regression")
    model = component(component.parse_params({})).fit(features, target)
    assert abs(model.coef_[0] - 2.0) < 1e-9 and abs(model.coef_[1]) < 1e-9 and abs(model.intercept_ - 1.0) < 1e-9
