"""Numerical stability of a model's answers (the ML Test Score's Mo5): finite, and proper probabilities.

The train stage checks its predictions of the test rows and monitoring those of each batch
it scores, with `stability_problems`: a NaN or infinite prediction, or class probabilities
that are not finite, lie outside [0, 1] or do not sum to 1, is a problem.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from factory.artifacts.quality import Finding

if TYPE_CHECKING:
    import numpy as np

PROBABILITY_TOLERANCE = 1e-6  # how far a row's class probabilities may sum from 1
TEST = "numerical_stability"  # the policy key and the finding's test name


def stability_problems(y_pred: np.ndarray, proba: np.ndarray | None) -> list[str]:
    """One line per kind of problem in the predictions and class probabilities; empty when there is none.

    Predicted class labels that are not numbers (text, booleans) are not checked: a label is
    one of the classes the model was fitted on.
    """
    import numpy as np

    problems = []
    values = np.asarray(y_pred)
    if values.dtype.kind in "fc":
        problems += _counted(np.isnan(values), "predictions are NaN")
        problems += _counted(np.isinf(values), "predictions are infinite")
    if proba is not None:
        matrix = np.asarray(proba, dtype="float64").reshape(len(proba), -1)
        finite = np.isfinite(matrix).all(axis=1)
        outside = finite & ((matrix < 0) | (matrix > 1)).any(axis=1)
        off_one = finite & (np.abs(matrix.sum(axis=1) - 1.0) > PROBABILITY_TOLERANCE)
        problems += _counted(~finite, "rows have a NaN or infinite class probability")
        problems += _counted(outside, "rows have a class probability outside [0, 1]")
        problems += _counted(off_one, f"rows have class probabilities not summing to 1 (±{PROBABILITY_TOLERANCE:g})")
    return problems


def stability_findings(problems: list[str], action: str) -> list[Finding]:
    """The problems as findings judged `action`; none when the policy is off."""
    return [] if action == "off" else [Finding(TEST, None, problem, action) for problem in problems]


def stability_record(rows: int, findings: list[Finding], action: str) -> dict[str, Any]:
    """model_checks.json: the rows checked, the problems found and what the policy made of them.

    The warnings are kept as findings too, in the shape quality.json holds them, for the build
    output (an `error` policy stops the stage before any record is written).
    """
    check = {"action": action, "rows": rows if action != "off" else 0, "problems": [f.detail for f in findings]}
    return {TEST: check, "findings": [asdict(finding) for finding in findings if finding.action == "warn"]}


def _counted(mask: np.ndarray, what: str) -> list[str]:
    """`what`, counted and with its first row, when `mask` holds any; else nothing."""
    count = int(mask.sum())
    if not count:
        return []
    return [f"{count} of {len(mask)} {what} (the first at row {int(mask.argmax())})"]
