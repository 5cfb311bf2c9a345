"""Plot data (CSV, for `dvc plots`) and images (PNG) of a model's test predictions."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory.io import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

MAX_CURVE_POINTS = 500  # keeps plot files small and diffs readable on large test sets


def write_plots(
    folder: Path,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
    task: str,
) -> None:
    """Write the plots for `task` into `folder`: ROC, PR and confusion, or predicted vs actual and residuals."""
    if task == "regression":
        _regression_plots(folder, y_true, y_pred)
    else:
        assert y_proba is not None and labels is not None
        _classification_plots(folder, y_true, y_pred, y_proba, list(labels))


def _classification_plots(
    folder: Path, y_true: np.ndarray, y_pred: np.ndarray, y_proba: np.ndarray, labels: list[Any]
) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve
    from sklearn.preprocessing import label_binarize

    if len(labels) == 2:
        truth, score = (y_true == labels[1]).astype(int), y_proba[:, 1]
    else:  # micro-average over one-vs-rest columns
        truth, score = label_binarize(y_true, classes=labels).ravel(), y_proba.ravel()
    fpr, tpr, _ = roc_curve(truth, score)
    precision, recall, _ = precision_recall_curve(truth, score)
    roc = _thin(pd.DataFrame({"fpr": fpr, "tpr": tpr}))
    pr = _thin(pd.DataFrame({"recall": recall, "precision": precision}))
    _write_csv(folder / "roc.csv", roc)
    _write_csv(folder / "precision_recall.csv", pr)
    _write_csv(folder / "confusion.csv", pd.DataFrame({"actual": y_true.astype(str), "predicted": y_pred.astype(str)}))

    figure = _figure()
    axes = figure.subplots()
    axes.plot(roc["fpr"], roc["tpr"], label="model")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    axes.legend(loc="lower right")
    _save_png(folder / "roc.png", figure)

    figure = _figure()
    axes = figure.subplots()
    axes.plot(pr["recall"], pr["precision"])
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall curve", ylim=(0, 1.02))
    _save_png(folder / "precision_recall.png", figure)

    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    figure = _figure(labels_of_any_length=True)
    axes = figure.subplots()
    axes.imshow(matrix, cmap="Blues")
    names = [str(label) for label in labels]
    axes.set(
        xticks=np.arange(len(labels)),
        yticks=np.arange(len(labels)),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted",
        ylabel="actual",
        title="Confusion matrix",
    )
    for (row, column), count in np.ndenumerate(matrix):
        colour = "white" if count > matrix.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=colour)
    _save_png(folder / "confusion.png", figure)


def _regression_plots(folder: Path, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    import pandas as pd

    _write_csv(folder / "predictions.csv", pd.DataFrame({"actual": y_true, "predicted": y_pred}))
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))

    figure = _figure()
    axes = figure.subplots()
    axes.scatter(y_true, y_pred, s=6, alpha=0.5)
    axes.plot([low, high], [low, high], linestyle="--", color="grey")
    axes.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    _save_png(folder / "predicted_vs_actual.png", figure)

    figure = _figure()
    axes = figure.subplots()
    axes.scatter(y_pred, y_true - y_pred, s=6, alpha=0.5)
    axes.axhline(0, linestyle="--", color="grey")
    axes.set(xlabel="predicted", ylabel="residual (actual - predicted)", title="Residuals")
    _save_png(folder / "residuals.png", figure)


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    """At most MAX_CURVE_POINTS rows, evenly spaced, keeping the first and last."""
    if len(frame) <= MAX_CURVE_POINTS:
        return frame
    import numpy as np

    keep = np.unique(np.linspace(0, len(frame) - 1, MAX_CURVE_POINTS).round().astype(int))
    return frame.iloc[keep].reset_index(drop=True)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def _figure(labels_of_any_length: bool = False) -> Figure:
    """A 5 x 4 inch figure. Curves get fixed margins; a layout that measures the labels (a
    third of a plot's time) only where they are class names of any length."""
    from matplotlib.figure import Figure

    if labels_of_any_length:
        return Figure(figsize=(5, 4), dpi=100, layout="tight")
    figure = Figure(figsize=(5, 4), dpi=100)
    figure.subplots_adjust(left=0.16, right=0.96, bottom=0.13, top=0.91)
    return figure


def _save_png(path: Path, figure: Figure) -> None:
    """Save without the software-version metadata, so equal plots give equal bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    atomic_write_bytes(path, buffer.getvalue())
