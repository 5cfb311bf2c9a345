"""Data sources: `fn(params, context) -> DataFrame`, the start of every data product."""
