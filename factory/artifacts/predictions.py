"""A model's predictions on a table, and registered metrics computed on them."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.errors import BuildError, ComponentError
from factory.io import atomic_write_bytes
from factory.spec import UseCaseParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DIGITS = 6  # metrics are rounded so reports and diffs are not noise in the 15th decimal
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "probability_"  # then the class's position in the labels
LABELS_KEY = b"factory.labels"  # the classes, in the probabilities' order, as JSON


@dataclass(frozen=True)
class Predictions:
    """What the model said about a table, with the truth beside it."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    labels: list[Any] | None

    def subset(self, mask: np.ndarray) -> Predictions:
        """The predictions for the rows where `mask` is true."""
        proba = None if self.y_proba is None else self.y_proba[mask]
        return Predictions(self.y_true[mask], self.y_pred[mask], proba, self.labels)


def predict(model: Any, table: pd.DataFrame, params: UseCaseParams) -> Predictions:
    """Run the model on `table`.

    A classifier's predicted class is its most probable one, as `factory score` reports it; the
    probabilities are computed once (a forest's `predict` would compute them again).
    """
    features = table[params.features.columns]
    y_true = table[params.target].to_numpy()
    if params.task == "regression":
        return Predictions(y_true, model.predict(features), None, None)
    proba = model.predict_proba(features)
    return Predictions(y_true, model.classes_[proba.argmax(axis=1)], proba, list(model.classes_))


def metric_value(name: str, predictions: Predictions) -> float | None:
    """Registered metric `name` on `predictions`, rounded; None where it is undefined on these rows."""
    metric = registry.get("metric", name)
    try:
        value = metric(
            metric.parse_params({}), predictions.y_true, predictions.y_pred, predictions.y_proba, predictions.labels
        )
    except ComponentError:
        if len(predictions.y_true) >= 2 and len(set(predictions.y_true.tolist())) > 1:
            raise
        value = None  # e.g. ROC AUC of a slice that holds one class
    return None if value is None or not math.isfinite(value) else round(float(value), DIGITS)


def write_predictions(path: Path, predictions: Predictions) -> None:
    """Save the predicted values and class probabilities (not the truth) as Parquet, atomically.

    The classes are kept in the file's metadata, in the order of the probability columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {PREDICTION_COLUMN: pa.array(predictions.y_pred)}
    metadata = {}
    if predictions.y_proba is not None and predictions.labels is not None:
        for index in range(predictions.y_proba.shape[1]):
            columns[f"{PROBABILITY_PREFIX}{index}"] = pa.array(predictions.y_proba[:, index])
        metadata[LABELS_KEY] = json.dumps([_plain(label) for label in predictions.labels]).encode("utf-8")
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns).replace_schema_metadata(metadata), buffer)
    atomic_write_bytes(path, buffer.getvalue())


def read_predictions(path: Path, y_true: np.ndarray) -> Predictions:
    """The predictions saved by `write_predictions`, beside the truth of the same rows."""
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if table.num_rows != len(y_true):
        raise BuildError(
            f"{path}: predictions for {table.num_rows} rows, but the test table has {len(y_true)} "
            "(rebuild the train stage)"
        )
    y_pred = table.column(PREDICTION_COLUMN).to_numpy(zero_copy_only=False)
    labels_json = (table.schema.metadata or {}).get(LABELS_KEY)
    if labels_json is None:
        return Predictions(y_true, y_pred, None, None)
    labels = json.loads(labels_json)
    proba = np.column_stack([table.column(f"{PROBABILITY_PREFIX}{index}").to_numpy() for index in range(len(labels))])
    return Predictions(y_true, y_pred, proba, labels)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if hasattr(value, "item") else value
