"""Drift tests: `fn(params, reference, current) -> (statistic, drifted)`.

Numeric tests compare two 1-D float arrays of non-null values (the reference is the profile's
quantile sketch); categorical tests compare two count arrays aligned on the same categories.
"""
