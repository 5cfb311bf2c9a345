"""Feature transformers: `fn(params) -> unfitted scikit-learn transformer`."""
