"""Data-quality tests on a use case's prepared rows, before training (the ML Test Score's data tests).

Each test reads the training rows (and, for the overlap, the test rows) and reports what it
finds with the figure that decided it. The use case's `quality:` policy makes a finding an
error (the prepare stage fails and writes nothing), a warning (the build output, quality.json
and the model card say so) or nothing. Every test is seeded and ordered, so the same rows
give the same findings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from factory.io import atomic_write_text, canonical_json
from factory.spec import Quality, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd

    from factory.paths import UseCasePaths

# The leakage test fits one shallow tree per feature on at most this many training rows.
LEAKAGE_ROWS = 20_000
LEAKAGE_DEPTH = 4


@dataclass(frozen=True)
class Finding:
    """One thing a test found, and what the policy makes of it."""

    test: str
    feature: str | None
    detail: str
    action: str  # "error" or "warn"

    def line(self) -> str:
        """The finding as one line for people."""
        where = f"feature {self.feature!r}: " if self.feature else ""
        return f"{self.action}: {self.test}: {where}{self.detail}"


def quality_findings(train: pd.DataFrame, test: pd.DataFrame, params: UseCaseParams) -> list[Finding]:
    """Every finding of the tests the policy has on, in test and feature order."""
    policy = params.quality
    if policy is None:
        return []
    findings: list[Finding] = []

    def found(test_name: str, feature: str | None, detail: str) -> None:
        action = getattr(policy, test_name)
        if action != "off":
            findings.append(Finding(test_name, feature, detail, action))

    features = params.features.columns
    rows = len(train)
    for feature in features:
        values = train[feature]
        distinct = values.nunique(dropna=True)
        if distinct <= 1:
            found("constant_feature", feature, f"{distinct} distinct value(s) in {rows} training rows")
        missing = float(values.isna().mean()) if rows else 0.0
        if missing > policy.missing_share:
            found(
                "mostly_missing",
                feature,
                f"missing in {missing:.0%} of the training rows (over {policy.missing_share:.0%})",
            )
        if rows > 1 and distinct == rows and not _is_float(values):
            found("identifier_feature", feature, f"a different value in each of the {rows} training rows")
    if policy.leaking_feature != "off" and not _trivially_accurate(train, test, params, policy.leakage_score):
        for feature, score in _single_feature_scores(train, test, params):
            if score >= policy.leakage_score:
                found(
                    "leaking_feature",
                    feature,
                    f"alone scores {score:.4f} on the test rows (at least {policy.leakage_score})",
                )
    if policy.train_test_overlap != "off":
        shared = _shared_rows(train, test, [*features, params.target])
        if shared:
            found("train_test_overlap", None, f"{shared} of the {len(test)} test rows are also training rows")
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    """The findings the policy makes errors."""
    return [finding for finding in findings if finding.action == "error"]


def write_findings(path: Path, findings: list[Finding], policy: Quality | None) -> None:
    """Save the findings with the policy that judged them, for the card and the build output."""
    record = {"policy": policy.model_dump(mode="json") if policy else None, "findings": [asdict(f) for f in findings]}
    atomic_write_text(path, canonical_json(record))


def read_findings(path: Path) -> list[Finding]:
    """The findings of the last build; none when it wrote no quality.json."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Finding(**item) for item in record.get("findings", []) if isinstance(item, dict)]


def recorded_findings(paths: UseCasePaths) -> list[Finding]:
    """The warnings of the quality policy's tests in a use case's last build: prepare's, then train's."""
    return [
        finding for record in (paths.quality, paths.model_checks, paths.importance) for finding in read_findings(record)
    ]


def _trivially_accurate(train: pd.DataFrame, test: pd.DataFrame, params: UseCaseParams, score: float) -> bool:
    """Whether predicting the most frequent class already reaches `score`: then no feature can be told to leak."""
    if params.task == "regression" or train.empty or test.empty:
        return False
    majority = train[params.target].mode().iloc[0]
    return bool((test[params.target] == majority).mean() >= score)


def _is_float(values: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_float_dtype(values)


def _single_feature_scores(train: pd.DataFrame, test: pd.DataFrame, params: UseCaseParams) -> list[tuple[str, float]]:
    """Each feature's held-out score when it alone predicts the target with a shallow tree."""
    import pandas as pd
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if train.empty or test.empty:
        return []
    classifier = params.task != "regression"
    sample = train if len(train) <= LEAKAGE_ROWS else train.sample(LEAKAGE_ROWS, random_state=0)
    scores = []
    for feature in params.features.columns:
        if feature in params.features.categorical:
            # Categories become their codes in the training rows' order; unseen ones a code of their own.
            categories = pd.Index(sample[feature].dropna().unique())
            fit_x = categories.get_indexer(sample[feature]).reshape(-1, 1)
            test_x = categories.get_indexer(test[feature]).reshape(-1, 1)
        else:
            # Trees split missing values off on their own, so NaN stays NaN.
            fit_x = sample[[feature]].astype("float64").to_numpy()
            test_x = test[[feature]].astype("float64").to_numpy()
        model = (DecisionTreeClassifier if classifier else DecisionTreeRegressor)(
            max_depth=LEAKAGE_DEPTH, random_state=0
        )
        model.fit(fit_x, sample[params.target])
        predicted = model.predict(test_x)
        truth = test[params.target]
        score = accuracy_score(truth, predicted) if classifier else r2_score(truth, predicted)
        scores.append((feature, float(score)))
    return scores


def _shared_rows(train: pd.DataFrame, test: pd.DataFrame, columns: list[str]) -> int:
    """How many test rows equal some training row on every one of `columns`."""
    import pandas as pd

    seen = set(pd.util.hash_pandas_object(train[columns], index=False).tolist())
    return int(sum(value in seen for value in pd.util.hash_pandas_object(test[columns], index=False).tolist()))
