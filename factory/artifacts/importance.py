"""Permutation importance of each declared feature on the test rows (the ML Test Score's D2).

A feature's importance is how much the use case's primary metric worsens when that raw input
column is shuffled before the whole pipeline, averaged over `repeats` shuffles; it is
direction-aware (a rise of rmse is a loss). A feature whose mean is not above zero and not
above `NOISE_STDS` standard deviations of its shuffles is within noise: the model does as well
without what it says, so it is not beneficial. The shuffles are seeded and the rows at most
`MAX_ROWS` (a seeded subsample), every figure is rounded like the metrics, and the work runs
in this thread: the same model and rows give the same record, byte for byte.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.metrics import DIGITS, metric_value
from factory.artifacts.predictions import Predictions, model_outputs
from factory.artifacts.quality import Finding
from factory.spec import RandomSplit, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd

MAX_ROWS = 2000  # test rows the importance is measured on; more are subsampled
# Shuffled copies scored in one call hold at most this many cells (160 MB of float64): a table
# of thousands of columns is scored a few shuffles at a time instead of all at once.
MAX_SCORED_CELLS = 20_000_000
NOISE_STDS = 2.0  # a mean importance at most this many standard deviations of its shuffles is noise
METHOD = "permutation"
TEST = "uninformative_feature"  # the policy key and the finding's test name


@dataclass(frozen=True)
class Importance:
    """Each feature's mean and standard deviation of importance over the shuffles, in declared order."""

    metric: str
    greater_is_better: bool
    baseline: float
    repeats: int
    seed: int
    rows: int
    features: dict[str, tuple[float, float]]

    @property
    def within_noise(self) -> list[str]:
        """The features whose importance is not above zero and above its noise band, in declared order."""
        return [name for name, (mean, std) in self.features.items() if mean <= 0 or mean <= NOISE_STDS * std]

    def findings(self, action: str) -> list[Finding]:
        """One finding naming every feature within noise, judged `action` (none when the policy is off or none is)."""
        noise = self.within_noise
        if action == "off" or not noise:
            return []
        figures = ", ".join(f"{name} {self.features[name][0]:.4f} ± {self.features[name][1]:.4f}" for name in noise)
        return [
            Finding(
                TEST,
                None,
                f"{len(noise)} of {len(self.features)} features within noise of their permutation importance "
                f"({self.metric}, {self.repeats} shuffles of {self.rows} test rows): {figures}",
                action,
            )
        ]

    def record(self, action: str) -> dict[str, Any]:
        """importance.json: how it was measured, each feature's figures, those within noise, and the findings."""
        return {
            "computed": True,
            "action": action,
            "method": METHOD,
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "baseline": self.baseline,
            "repeats": self.repeats,
            "seed": self.seed,
            "rows": self.rows,
            "noise_band_stds": NOISE_STDS,
            "features": {name: {"mean": mean, "std": std} for name, (mean, std) in self.features.items()},
            "within_noise": self.within_noise,
            "findings": [asdict(finding) for finding in self.findings(action)],
        }


def not_computed(action: str, reason: str) -> dict[str, Any]:
    """importance.json when the importance was not measured (the policy is off, or the metric cannot be)."""
    return {"computed": False, "action": action, "reason": reason, "findings": []}


def importance_seed(params: UseCaseParams) -> int:
    """The seed of the shuffles: the split's, so one number in the config decides both; 0 for a time split."""
    return params.split.seed if isinstance(params.split, RandomSplit) else 0


def permutation_importance(model: Any, test: pd.DataFrame, params: UseCaseParams, repeats: int) -> Importance | None:
    """Each declared feature's permutation importance for `model` on `test`; None where the metric is undefined.

    The `repeats` shuffled copies of a feature are scored in one call of the model, so a
    forest walks its trees once per feature, not once per shuffle.
    """
    import numpy as np
    import pandas as pd
    import sklearn

    seed = importance_seed(params)
    metric = params.evaluation.primary_metric
    greater_is_better = registry.get("metric", metric).greater_is_better
    classifier = params.task != "regression"
    rng = np.random.default_rng(seed)
    if len(test) > MAX_ROWS:
        test = test.iloc[np.sort(rng.choice(len(test), MAX_ROWS, replace=False))]
    features = test[params.features.columns].reset_index(drop=True)
    y_true = test[params.target].to_numpy()
    rows = len(features)

    def score(frame: pd.DataFrame) -> list[float | None]:
        """The metric of each block of `rows` rows of `frame` (the test rows, shuffled or not)."""
        y_pred, proba = model_outputs(model, frame, classifier)
        labels = None if proba is None else list(model.classes_)
        blocks = [slice(start, start + rows) for start in range(0, len(frame), rows)]
        return [
            metric_value(metric, Predictions(y_true, y_pred[block], None if proba is None else proba[block], labels))
            for block in blocks
        ]

    (baseline,) = score(features)
    if baseline is None:
        return None
    sign = 1.0 if greater_is_better else -1.0
    per_call = max(1, min(repeats, MAX_SCORED_CELLS // max(1, rows * len(features.columns))))
    stacked = pd.concat([features] * per_call, ignore_index=True)
    result: dict[str, tuple[float, float]] = {}
    for name in params.features.columns:
        original = stacked[name]
        shuffles = [features[name].iloc[rng.permutation(rows)] for _ in range(repeats)]
        scores = []
        for start in range(0, repeats, per_call):
            group = shuffles[start : start + per_call]
            frame = stacked if len(group) == per_call else stacked.iloc[: rows * len(group)].copy()
            frame[name] = pd.concat(group, ignore_index=True)
            # The baseline's call checked these values (a shuffle makes no new one) and the metric's
            # arguments: scikit-learn's checks are skipped here, a tenth of the time.
            with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
                scores += score(frame)
        # The truth is the baseline's, so a score is undefined only where the model's answers are
        # not finite, which the check of numerical stability judges: no loss counted here.
        losses = np.array([0.0 if shuffled is None else sign * (baseline - shuffled) for shuffled in scores])
        stacked[name] = original
        # + 0.0: a rounded -0.0 is written as 0.0
        result[name] = (round(float(losses.mean()), DIGITS) + 0.0, round(float(losses.std()), DIGITS) + 0.0)
    return Importance(metric, greater_is_better, baseline, repeats, seed, rows, result)
