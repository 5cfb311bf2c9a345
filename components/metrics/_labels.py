"""Class-label handling shared by the classification metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from factory.registry import ComponentParams

if TYPE_CHECKING:
    import numpy as np

Average = Literal["auto", "binary", "macro", "micro", "weighted"]


class AveragedParams(ComponentParams):
    """Parameters of the per-class scores (precision, recall, f1)."""

    average: Average = Field(
        "auto",
        description=(
            "How per-class scores combine: auto is binary (positive class = the last label) for two "
            "classes and macro otherwise."
        ),
    )


def averaged_score(
    score: Callable[..., Any],
    params: AveragedParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[Any] | None,
) -> float:
    """Run a scikit-learn per-class `score` with the average `params` ask for; 0 where undefined."""
    import numpy as np

    classes = list(labels) if labels is not None else np.unique(np.concatenate([y_true, y_pred])).tolist()
    average = params.average
    if average == "auto":
        average = "binary" if len(classes) == 2 else "macro"
    if average == "binary":
        if len(classes) != 2:
            raise ValueError(f"average 'binary' needs exactly two classes, got {len(classes)}: {classes[:5]}")
        return float(score(y_true, y_pred, average="binary", pos_label=classes[-1], zero_division=0))
    return float(score(y_true, y_pred, average=average, labels=classes, zero_division=0))


def checked_proba(y_proba: np.ndarray | None, labels: Sequence[Any] | None) -> tuple[np.ndarray, list[Any]]:
    """Return `y_proba` as an (n, n_classes) array and the labels, or raise ValueError."""
    import numpy as np

    if y_proba is None or labels is None:
        raise ValueError("this metric needs predicted probabilities and the model's class labels")
    proba = np.asarray(y_proba, dtype="float64")
    if proba.ndim != 2 or proba.shape[1] != len(labels):
        raise ValueError(f"y_proba has shape {proba.shape}; expected (n, {len(labels)}), one column per label")
    return proba, list(labels)
