{%- set params_class = cookiecutter.name.title().replace('_', '') ~ 'Params' -%}
"""{{ cookiecutter.kind | capitalize }} `{{ cookiecutter.name }}`: describe what it does in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING{% if cookiecutter.kind == 'metric' %}, Any{% endif %}

from pydantic import Field

from factory.registry import {% if cookiecutter.kind in ['model', 'metric'] %}CLASSIFICATION, {% endif %}ComponentParams, {% if cookiecutter.kind in ['source', 'transform'] %}RunContext, {% endif %}register

if TYPE_CHECKING:
{%- if cookiecutter.kind in ['source', 'transform'] %}
    import pandas as pd
{%- elif cookiecutter.kind == 'metric' %}
    from collections.abc import Sequence

    import numpy as np
{%- else %}
    from sklearn.base import BaseEstimator
{%- endif %}


class {{ params_class }}(ComponentParams):
    """Parameters of `{{ cookiecutter.name }}`."""
{% if cookiecutter.kind == 'source' %}
    rows: int = Field(100, gt=0, le=10_000_000, description="How many rows to produce.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Random seed; the same seed gives the same table.")
{%- elif cookiecutter.kind == 'transform' %}
    columns: list[str] = Field(default_factory=list, description="Columns to transform (none: leave the frame as is).")
{%- elif cookiecutter.kind == 'feature' %}
    with_mean: bool = Field(True, description="Centre each column on its mean before scaling.")
{%- elif cookiecutter.kind == 'model' %}
    C: float = Field(1.0, gt=0, le=1e6, description="Inverse regularisation strength; smaller is simpler.")
    max_iter: int = Field(1000, gt=0, le=100_000, description="Most solver iterations.")
{%- else %}
    adjusted: bool = Field(False, description="Rescale so that chance scores 0.")
{%- endif %}

{% if cookiecutter.kind == 'source' %}
@register("source", "{{ cookiecutter.name }}", {{ params_class }})
def {{ cookiecutter.name }}(params: {{ params_class }}, context: RunContext) -> pd.DataFrame:
    """Produce a table (replace this with the real source).

    Must be deterministic: the same params give the same rows in the same order.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(params.seed)
    return pd.DataFrame({"id": np.arange(1, params.rows + 1, dtype="int64"), "value": rng.normal(size=params.rows)})
{%- elif cookiecutter.kind == 'transform' %}
@register("transform", "{{ cookiecutter.name }}", {{ params_class }})
def {{ cookiecutter.name }}(params: {{ params_class }}, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Transform a table (replace this with the real transformation).

    Returns a new frame and never changes its input.
    """
    missing = [column for column in params.columns if column not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the table: {', '.join(missing)}")
    return frame.copy()
{%- elif cookiecutter.kind == 'feature' %}
@register("feature", "{{ cookiecutter.name }}", {{ params_class }})
def {{ cookiecutter.name }}(params: {{ params_class }}) -> BaseEstimator:
    """Scale numeric columns (replace this with the real feature transformer).

    Returns an unfitted scikit-learn transformer.
    """
    from sklearn.preprocessing import StandardScaler

    return StandardScaler(with_mean=params.with_mean)
{%- elif cookiecutter.kind == 'model' %}
@register("model", "{{ cookiecutter.name }}", {{ params_class }}, tasks=CLASSIFICATION)
def {{ cookiecutter.name }}(params: {{ params_class }}) -> BaseEstimator:
    """A linear classifier (replace this with the real model).

    Returns an unfitted scikit-learn estimator; deterministic for the same params.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=params.C, max_iter=params.max_iter)
{%- else %}
@register("metric", "{{ cookiecutter.name }}", {{ params_class }}, tasks=CLASSIFICATION)
def {{ cookiecutter.name }}(
    params: {{ params_class }},
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Balanced accuracy (replace this with the real metric): the mean recall over classes."""
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred, adjusted=params.adjusted))
{%- endif %}
