"""Models: `fn(params) -> unfitted scikit-learn estimator`, deterministic given `random_state`."""
