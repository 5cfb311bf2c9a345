"""Drift of a batch against a reference profile: per feature, of the predictions, of the dataset.

Pure functions of a profile, a policy and frames, so they are tested in-process and timed
by the benchmark without Git or DVC. The statistics themselves are the registered drift
test components (scipy); this module only picks the test for each column and batch size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.profile import category_counts, quantile_sketch
from factory.spec import Monitoring

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# A batch larger than this is compared through its quantile sketch of this size: scipy's
# distances sort both samples together, half a second per feature on a million rows, and
# 10,000 evenly spaced order statistics move a Wasserstein distance by far less than the
# thresholds. Small batches, where the tests run, are compared value by value.
BATCH_SKETCH_SIZE = 10_000


def drift_figures(test: str, statistic: float | None, threshold: float) -> tuple[str, str]:
    """What a drift test measured and when it calls drift, named: ("p-value 0.9991", "p-value < 0.05")."""
    measure = registry.get("drift", test).measure or "statistic"
    shown = "n/a" if statistic is None else f"{statistic:.4g}"
    below = measure == "p-value"
    return f"{measure} {shown}", f"{measure} {'<' if below else '>='} {threshold:g}"


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict: the test on its values and the change in its share of missing values."""

    name: str
    type: str  # "numeric" or "categorical"
    test: str
    statistic: float | None  # None when the batch has no values to compare
    threshold: float
    values_drifted: bool
    reference_null_share: float
    current_null_share: float
    nulls_drifted: bool

    @property
    def drifted(self) -> bool:
        """Whether the values or the missing values drifted."""
        return self.values_drifted or self.nulls_drifted

    def to_json(self) -> dict[str, Any]:
        """The verdict as plain data, with the overall flag."""
        return {**asdict(self), "drifted": self.drifted}


@dataclass(frozen=True)
class DriftResult:
    """Every feature's verdict, the predictions' verdict and the dataset's."""

    rows: int
    small_sample: bool
    features: list[ColumnDrift]
    prediction: ColumnDrift
    drifted_share: float
    dataset_drift: bool

    @property
    def drifted_features(self) -> list[str]:
        """Names of the features that drifted, in name order."""
        return [column.name for column in self.features if column.drifted]


@dataclass(frozen=True)
class DriftTest:
    """The registered test a policy picks for one column type and batch size, with its params."""

    component: registry.Component
    params: registry.ComponentParams

    @classmethod
    def chosen(cls, policy: Monitoring, kind: str, small: bool) -> DriftTest:
        """The policy's `small` or `large` test for numeric or categorical columns."""
        tests = policy.numeric if kind == registry.NUMERIC else policy.categorical
        ref = tests.small if small else tests.large
        component = registry.get("drift", ref.component)
        return cls(component, component.parse_params(ref.params))


def check_drift(profile: Mapping[str, Any], policy: Monitoring, batch: pd.DataFrame, predictions: Any) -> DriftResult:
    """Compare the batch's features (columns named in the profile) and predictions with the profile."""
    import pandas as pd

    small = len(batch) < policy.small_sample_rows
    tests = {kind: DriftTest.chosen(policy, kind, small) for kind in (registry.NUMERIC, registry.CATEGORICAL)}

    def drift_of(name: str, reference: Mapping[str, Any], values: pd.Series) -> ColumnDrift:
        return column_drift(name, reference, values, tests[reference["type"]], policy.null_share_increase)

    features = [drift_of(name, profile["features"][name], batch[name]) for name in sorted(profile["features"])]
    prediction = drift_of("prediction", profile["prediction"], pd.Series(predictions))
    share = sum(column.drifted for column in features) / len(features)
    return DriftResult(
        rows=len(batch),
        small_sample=small,
        features=features,
        prediction=prediction,
        drifted_share=share,
        dataset_drift=share >= policy.dataset_drift_share,
    )


def column_drift(
    name: str, reference: Mapping[str, Any], values: pd.Series, test: DriftTest, null_share_increase: float
) -> ColumnDrift:
    """The drift test on the column's values, and the rule on its share of missing values."""
    present = values.dropna()
    current_nulls = 1.0 - len(present) / len(values) if len(values) else 0.0
    reference_sample, current_sample = _samples(reference, present)
    statistic, drifted = None, False
    if len(reference_sample) and len(current_sample):
        statistic, drifted = test.component(test.params, reference_sample, current_sample)
    return ColumnDrift(
        name=name,
        type=reference["type"],
        test=test.component.name,
        statistic=statistic,
        threshold=float(getattr(test.params, "threshold", 0.0)),
        values_drifted=bool(drifted),
        reference_null_share=float(reference["null_share"]),
        current_null_share=current_nulls,
        nulls_drifted=current_nulls - float(reference["null_share"]) >= null_share_increase,
    )


def _samples(reference: Mapping[str, Any], present: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric: the reference sketch and the batch's values (or sketch); categorical: counts on the same categories."""
    import numpy as np

    if reference["type"] == registry.NUMERIC:
        current = quantile_sketch(present.to_numpy(dtype="float64"), BATCH_SKETCH_SIZE)
        return np.asarray(reference["sketch"], dtype="float64"), current
    counts = category_counts(present)
    categories = sorted(set(reference["counts"]) | set(counts))
    return (
        np.array([reference["counts"].get(c, 0) for c in categories], dtype="int64"),
        np.array([counts.get(c, 0) for c in categories], dtype="int64"),
    )
