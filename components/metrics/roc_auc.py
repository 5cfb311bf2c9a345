"""Metric `roc_auc`: how well predicted probabilities rank the classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from components.metrics._labels import checked_proba
from factory.registry import CLASSIFICATION, ComponentParams, register

if TYPE_CHECKING:
    import numpy as np


class RocAucParams(ComponentParams):
    """Parameters of `roc_auc`."""

    average: Literal["macro", "weighted"] = Field(
        "macro", description="Multiclass only: plain (macro) or prevalence-weighted mean of one-vs-rest AUCs."
    )


@register("metric", "roc_auc", RocAucParams, tasks=CLASSIFICATION, needs_proba=True)
def roc_auc(
    params: RocAucParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Area under the ROC curve of the predicted probabilities (1 perfect, 0.5 random).

    Binary: the probability of the second label is the score. Multiclass: the
    one-vs-rest AUC of each class, averaged.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score

    proba, classes = checked_proba(y_proba, labels)
    if len(classes) == 2:
        return float(roc_auc_score(np.asarray(y_true) == classes[1], proba[:, 1]))
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average=params.average, labels=classes))
