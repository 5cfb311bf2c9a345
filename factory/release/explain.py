"""Debug one example: a row through every step of a released pipeline, and what moved the model most.

The model is the released one, fetched and verified as `factory score` does. Each feature
step is applied to the row in turn (imputed, encoded, scaled...), then the model's output is
shown with, where the model allows it, each transformed feature's contribution:
coefficient times value for a linear model, the change along the row's decision path for a
tree, a forest or a gradient boosting of trees (every contribution added to the value at the
trees' roots gives the model's output).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory.artifacts.predictions import model_outputs
from factory.datacheck import input_schema_for, validate_frame
from factory.errors import DataValidationError
from factory.io import load_model_bytes
from factory.release.scoring import fetch_model_bytes, read_table, released_params, resolve_version

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CONTRIBUTIONS_SHOWN = 8


@dataclass(frozen=True)
class StepOutput:
    """What one feature step made of the row: output feature name -> value."""

    group: str
    step: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Explanation:
    """One row through one released version's pipeline."""

    name: str
    version: str
    row: int
    inputs: dict[str, Any]
    steps: list[StepOutput]
    prediction: Any
    probabilities: dict[str, float] | None
    contributions: list[tuple[str, float]] | None  # largest first; None when the model does not allow it
    contribution_kind: str


def explain(
    root: Path, name: str, input_path: Path, row: int, stage: str | None = None, version: str | None = None
) -> Explanation:
    """Explain row `row` (0-based) of `input_path` with the chosen released version."""
    info = resolve_version(root, name, stage, version)
    params, products = released_params(root, info)
    table = read_table(input_path)
    if not 0 <= row < len(table):
        raise DataValidationError(f"{input_path}: --row {row} is not a row of the table (it has {len(table)})")
    validate_frame(table, input_schema_for(params, products), f"input {input_path}", coerce=True)
    features = table.iloc[[row]][params.features.columns].copy()
    features[params.features.numeric] = features[params.features.numeric].astype("float64")
    pipeline = load_model_bytes(fetch_model_bytes(root, info), str(info.tag))
    column_transformer, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    classifier = params.task != "regression"
    predicted, proba = model_outputs(pipeline, features, classifier)
    transformed = _dense(column_transformer.transform(features))[0]
    names = [str(n) for n in column_transformer.get_feature_names_out()]
    contributions, kind = _contributions(model, transformed, names, proba)
    return Explanation(
        name=name,
        version=info.version,
        row=row,
        inputs={column: _plain(features.iloc[0][column]) for column in params.features.columns},
        steps=_steps(column_transformer, features),
        prediction=_plain(predicted[0]),
        probabilities=None
        if proba is None
        else {str(c): float(p) for c, p in zip(model.classes_, proba[0], strict=True)},
        contributions=contributions,
        contribution_kind=kind,
    )


def _steps(column_transformer: Any, features: pd.DataFrame) -> list[StepOutput]:
    """Each fitted feature step's output for the row, group by group."""
    outputs = []
    for group, transformer, columns in column_transformer.transformers_:
        if group == "remainder" or transformer == "drop":
            continue
        current: Any = features[list(columns)]
        names = [str(c) for c in columns]
        steps = [("passthrough", None)] if transformer == "passthrough" else transformer.steps
        for step_name, step in steps:
            if step is not None:
                current = step.transform(current)
                names = _names_out(step, names, current)
            values = _dense(current)[0]
            outputs.append(StepOutput(group, step_name, {n: _plain(v) for n, v in zip(names, values, strict=True)}))
    return outputs


def _names_out(step: Any, names_in: list[str], output: Any) -> list[str]:
    width = _dense(output).shape[1]
    try:
        names = [str(n) for n in step.get_feature_names_out(names_in)]
    except (AttributeError, ValueError, TypeError):
        names = []
    return names if len(names) == width else [f"x{i}" for i in range(width)]


def _contributions(
    model: Any, x: np.ndarray, names: list[str], proba: np.ndarray | None
) -> tuple[list[tuple[str, float]] | None, str]:
    """Per transformed feature, its share of the model's output for the row; largest first."""
    import numpy as np

    # For a classifier: the predicted class's coefficients or probability (its log-odds for boosting).
    target = int(np.argmax(proba[0])) if proba is not None else 0
    if hasattr(model, "coef_"):
        coef = np.atleast_2d(model.coef_)
        row = coef[target if coef.shape[0] > 1 else 0]
        sign = -1.0 if coef.shape[0] == 1 and proba is not None and target == 0 else 1.0
        return _largest(names, sign * row * x), "coefficient x value (towards the predicted class)"
    trees = _trees(model)
    if trees is None:
        return None, f"not available for {type(model).__name__}"
    totals: dict[int, float] = defaultdict(float)
    for tree, scale, output in trees:
        for feature, change in _path_changes(tree, x, output if output is not None else target).items():
            totals[feature] += scale * change
    values = np.array([totals.get(i, 0.0) for i in range(len(names))])
    if hasattr(model, "learning_rate") and proba is not None and target == 0:
        values = -values  # boosting's log-odds point at the second class; turn them towards the predicted one
    return _largest(names, values), "change along the decision path (towards the predicted value or class)"


def _trees(model: Any) -> list[tuple[Any, float, int | None]] | None:
    """(tree, weight, output index or None for the predicted class) for each tree of a tree model."""
    if hasattr(model, "tree_"):
        return [(model, 1.0, None)]
    estimators = getattr(model, "estimators_", None)
    if estimators is None:
        return None
    if hasattr(model, "learning_rate"):  # gradient boosting: regression trees on the log-odds, one column per class
        grid = [list(stage) for stage in estimators]
        if grid and len(grid[0]) == 1:
            return [(stage[0], float(model.learning_rate), 0) for stage in grid]
        return None  # one tree per class: the predicted class's would need the model's raw scores
    if all(hasattr(tree, "tree_") for tree in estimators):
        return [(tree, 1.0 / len(estimators), None) for tree in estimators]
    return None


def _path_changes(tree: Any, x: np.ndarray, output: int) -> dict[int, float]:
    """Feature -> how much the node value changed at its splits on the row's way down the tree."""
    t = tree.tree_

    def value(node: int) -> float:
        v = t.value[node][0]
        return float(v[output] / v.sum()) if len(v) > 1 else float(v[0])

    changes: dict[int, float] = defaultdict(float)
    node = 0
    while t.children_left[node] != -1:
        feature = int(t.feature[node])
        child = t.children_left[node] if x[feature] <= t.threshold[node] else t.children_right[node]
        changes[feature] += value(child) - value(node)
        node = child
    return changes


def _largest(names: list[str], values: Any) -> list[tuple[str, float]]:
    pairs = [(name, round(float(v), 6)) for name, v in zip(names, values, strict=True) if v != 0]
    return sorted(pairs, key=lambda pair: (-abs(pair[1]), pair[0]))[:CONTRIBUTIONS_SHOWN]


def _dense(values: Any) -> np.ndarray:
    import numpy as np

    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values, dtype=object).reshape(len(values), -1)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return round(value, 6) if isinstance(value, float) else value
