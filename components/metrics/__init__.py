"""Metrics: `fn(params, y_true, y_pred, y_proba, labels) -> float`."""
