"""Contributions of `factory explain`: they add up to the model's output, from its starting value."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from factory.release.explain import _contributions

NAMES = [f"f{i}" for i in range(5)]


def data(regression: bool = False) -> tuple[np.ndarray, np.ndarray]:
    loaded = load_diabetes() if regression else load_breast_cancer()
    return loaded.data[:, :5], loaded.target


def root_value(tree, output: int) -> float:
    value = tree.tree_.value[0][0]
    return float(value[output] / value.sum()) if len(value) > 1 else float(value[0])


@pytest.mark.parametrize(
    "model", [DecisionTreeClassifier(max_depth=4, random_state=0), RandomForestClassifier(20, random_state=0)]
)
def test_tree_contributions_add_up_to_the_predicted_class_probability(model) -> None:
    x, y = data()
    model.fit(x, y)
    row = x[7]
    proba = model.predict_proba(row[None, :])
    target = int(proba[0].argmax())
    contributions, kind = _contributions(model, row, NAMES, proba)
    trees = getattr(model, "estimators_", [model])
    start = float(np.mean([root_value(tree, target) for tree in trees]))
    assert kind.startswith("change along the decision path")
    assert start + sum(value for _, value in contributions) == pytest.approx(proba[0][target], abs=1e-5)


def test_forest_regression_contributions_add_up_to_the_prediction() -> None:
    x, y = data(regression=True)
    model = RandomForestRegressor(10, max_depth=5, random_state=0).fit(x, y)
    contributions, _ = _contributions(model, x[3], NAMES, None)
    start = float(np.mean([root_value(tree, 0) for tree in model.estimators_]))
    assert start + sum(v for _, v in contributions) == pytest.approx(model.predict(x[3:4])[0], rel=1e-4)


def test_boosting_contributions_add_up_to_the_log_odds_moved_towards_the_predicted_class() -> None:
    x, y = data()
    model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(x, y)
    row = x[11]
    proba = model.predict_proba(row[None, :])
    contributions, _ = _contributions(model, row, NAMES, proba)
    # each tree moves the log-odds by the learning rate times its leaf's value, from its root's
    moved = sum(
        model.learning_rate * (tree.predict(row[None, :])[0] - root_value(tree, 0)) for (tree,) in model.estimators_
    )
    towards = moved if proba[0].argmax() == 1 else -moved
    assert sum(v for _, v in contributions) == pytest.approx(towards, abs=1e-6)


def test_linear_contributions_are_coefficient_times_value() -> None:
    x, y = data()
    model = LogisticRegression(max_iter=5000).fit(x, y)
    row = x[0]
    proba = model.predict_proba(row[None, :])
    contributions, kind = _contributions(model, row, NAMES, proba)
    sign = 1 if proba[0].argmax() == 1 else -1
    expected = {name: sign * c * v for name, c, v in zip(NAMES, model.coef_[0], row, strict=True)}
    assert kind.startswith("coefficient x value")
    assert dict(contributions) == pytest.approx({name: round(v, 6) for name, v in expected.items()})
    assert [abs(v) for _, v in contributions] == sorted((abs(v) for _, v in contributions), reverse=True)
