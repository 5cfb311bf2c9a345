"""The synthetic customer generator: shape, messiness, reproducibility and learnability."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from factory import registry
from factory.registry import RunContext

ROWS = 6000
NO_FILES = RunContext(root=Path("."))  # the generator reads no files


@cache
def generate(table: str, rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    component = registry.get("source", "synthetic_customers")
    params = component.parse_params({"rows": rows, "seed": seed, "table": table})
    return component(params, NO_FILES)


def test_profile_columns_and_dtypes() -> None:
    profile = generate("profile")
    assert profile.dtypes.astype(str).to_dict() == {
        "customer_id": "int64",
        "signup_date": "str",
        "region": "str",
        "plan": "str",
        "age": "float64",
        "tenure_months": "int64",
        "monthly_charges": "str",
        "discount": "str",
        "paperless_billing": "str",
        "support_calls": "int64",
        "churned": "str",
        "annual_value": "float64",
    }
    assert len(profile) == ROWS
    assert profile["customer_id"].tolist() == list(range(1, ROWS + 1))


def test_usage_columns_and_dtypes() -> None:
    usage = generate("usage")
    assert usage.dtypes.astype(str).to_dict() == {
        "customer_id": "int64",
        "avg_monthly_minutes": "float64",
        "data_gb": "float64",
        "dropped_calls": "int64",
        "days_since_last_login": "int64",
    }
    assert usage["customer_id"].is_unique


def test_profile_values_are_in_range_and_raw() -> None:
    profile = generate("profile")
    dates = pd.to_datetime(profile["signup_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2019-01-01") and dates.max() <= pd.Timestamp("2024-12-31")
    assert set(profile["region"]) == {"north", "south", "east", "west"}
    assert profile["region"].value_counts().nunique() == 4, "regions should be uneven"
    assert set(profile["plan"]) == {"basic", "plus", "premium"}
    assert profile["age"].dropna().between(18, 90).all()
    assert profile["tenure_months"].between(0, 72).all()
    assert profile["monthly_charges"].str.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d").all()
    assert profile["monthly_charges"].str.contains(",").any(), "a few enterprise amounts exceed $1,000"
    assert profile["discount"].dropna().str.fullmatch(r"\d+%").all()
    assert set(profile["paperless_billing"]) == set(profile["churned"]) == {"t", "f"}
    assert (profile["annual_value"] > 0).all()


@pytest.mark.parametrize(
    ("table", "rates"), [("profile", {"age": 0.03, "discount": 0.05}), ("usage", {"data_gb": 0.02})]
)
def test_only_some_columns_have_nulls_at_the_intended_rates(table: str, rates: dict[str, float]) -> None:
    null_rates = generate(table).isna().mean()
    assert null_rates[null_rates > 0].to_dict() == pytest.approx(rates, abs=0.01)


def test_tables_join_one_to_one() -> None:
    joined = generate("profile").merge(generate("usage"), on="customer_id", validate="one_to_one", how="inner")
    assert len(joined) == ROWS


def test_same_seed_same_data_other_seed_other_data() -> None:
    pd.testing.assert_frame_equal(generate("profile", 500, 3), generate("profile", 500, 3).copy())
    component = registry.get("source", "synthetic_customers")
    again = component(component.parse_params({"rows": 500, "seed": 3}), NO_FILES)
    pd.testing.assert_frame_equal(generate("profile", 500, 3), again)
    assert not generate("profile", 500, 3).equals(generate("profile", 500, 4))
    assert not generate("usage", 500, 3).equals(generate("usage", 500, 4))


def test_churn_rate_is_realistic() -> None:
    assert 0.2 <= (generate("profile")["churned"] == "t").mean() <= 0.3


def test_churn_is_learnable_after_the_library_transforms(context: RunContext) -> None:
    """Parse the raw profile with the transforms, join usage as a product, fit a small forest."""
    usage_path = context.root / "usage.parquet"
    generate("usage").to_parquet(usage_path)
    context = RunContext(root=context.root, product_paths={"usage": usage_path})
    steps = [
        ("parse_currency", {"columns": ["monthly_charges"]}),
        ("parse_percentage", {"columns": ["discount"]}),
        ("parse_boolean", {"columns": ["churned", "paperless_billing"]}),
        ("join", {"product": "usage", "keys": ["customer_id"], "validate": "one_to_one"}),
        ("fill_nulls", {"strategies": {"age": "median", "data_gb": "median"}, "values": {"discount": 0.0}}),
    ]
    frame = generate("profile")
    for name, params in steps:
        component = registry.get("transform", name)
        frame = component(component.parse_params(params), frame, context)
    features = frame.drop(columns=["customer_id", "signup_date", "region", "plan", "churned", "annual_value"])
    features = features.assign(premium=(frame["plan"] == "premium"), basic=(frame["plan"] == "basic"))
    x_train, x_test, y_train, y_test = train_test_split(features, frame["churned"], test_size=0.3, random_state=0)
    forest = RandomForestClassifier(n_estimators=60, min_samples_leaf=10, random_state=0, n_jobs=1)
    auc = roc_auc_score(y_test, forest.fit(x_train, y_train).predict_proba(x_test)[:, 1])
    assert 0.7 < auc < 0.95


def test_annual_value_follows_charges() -> None:
    profile = generate("profile")
    charges = profile["monthly_charges"].str.replace(r"[$,]", "", regex=True).astype(float)
    assert np.corrcoef(np.log(charges), np.log(profile["annual_value"]))[0, 1] > 0.7
