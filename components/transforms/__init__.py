"""Data-product transforms: `fn(params, frame, context) -> DataFrame`, never mutating the input."""
