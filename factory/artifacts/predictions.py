"""A model's predictions on a table, and registered metrics computed on them."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory.errors import BuildError
from factory.io import atomic_write_bytes
from factory.spec import UseCaseParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

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


def model_outputs(model: Any, features: pd.DataFrame, classifier: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's predictions for `features` and, for a classifier, its class probabilities.

    The one place a model is asked for its answers, in training, evaluation and scoring alike:
    a classifier's predicted class is its most probable one, and the probabilities are
    computed once (a forest's `predict` would compute them again).
    """
    if not classifier:
        return model.predict(features), None
    proba = model.predict_proba(features)
    return model.classes_[proba.argmax(axis=1)], proba


def predict(model: Any, table: pd.DataFrame, params: UseCaseParams) -> Predictions:
    """Run the model on `table`, beside the truth of its rows."""
    y_pred, proba = model_outputs(model, table[params.features.columns], params.task != "regression")
    labels = None if proba is None else list(model.classes_)
    return Predictions(table[params.target].to_numpy(), y_pred, proba, labels)


def predict_frame(model: Any, features: pd.DataFrame, classifier: bool) -> pd.DataFrame:
    """What `factory score` writes: `prediction`, and `proba_<class>` per class for classifiers."""
    import pandas as pd

    y_pred, proba = model_outputs(model, features, classifier)
    result = pd.DataFrame(index=features.index)
    result["prediction"] = pd.Series(list(y_pred), dtype=object).to_numpy() if classifier else y_pred
    if proba is not None:
        for index, label in enumerate(model.classes_):
            result[f"proba_{label}"] = proba[:, index]
    return result


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
