"""Feature transformers: params checks and behaviour on pandas 3 text columns."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pydantic
import pytest
from sklearn.pipeline import make_pipeline

from factory import registry


def feature(name: str, **params):
    component = registry.get("feature", name)
    return component(component.parse_params(params))


def test_imputer_then_one_hot_on_a_str_column_with_missing_values() -> None:
    train = pd.DataFrame({"plan": pd.Series(["basic", None, "plus", "basic", np.nan], dtype="str")})
    assert train["plan"].dtype == "str"
    pipeline = make_pipeline(feature("simple_imputer", strategy="most_frequent"), feature("one_hot_encoder"))
    encoded = pipeline.fit_transform(train)
    assert encoded.dtype == "uint8"  # 0 and 1 exactly, in an eighth of float64's memory
    np.testing.assert_array_equal(encoded, [[1, 0], [1, 0], [0, 1], [1, 0], [1, 0]])
    unseen = pd.DataFrame({"plan": pd.Series(["premium", None], dtype="str")})
    np.testing.assert_array_equal(pipeline.transform(unseen), [[0, 0], [1, 0]])


def test_constant_imputer_on_a_str_column_with_pandas_output() -> None:
    train = pd.DataFrame({"plan": pd.Series(["basic", None, "plus"], dtype="str")})
    pipeline = make_pipeline(
        feature("simple_imputer", strategy="constant", fill_value="missing"), feature("one_hot_encoder")
    ).set_output(transform="pandas")
    encoded = pipeline.fit_transform(train)
    assert list(encoded.columns) == ["plan_basic", "plan_missing", "plan_plus"]


def test_one_hot_encoder_groups_infrequent_categories() -> None:
    train = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 4 + ["c", "d"]})
    encoder = feature("one_hot_encoder", min_frequency=3).fit(train)
    assert encoder.get_feature_names_out().tolist() == ["c_a", "c_b", "c_infrequent_sklearn"]
    np.testing.assert_array_equal(encoder.transform(pd.DataFrame({"c": ["d", "zzz"]})), [[0, 0, 1], [0, 0, 1]])
    capped = feature("one_hot_encoder", max_categories=2).fit(train)
    assert capped.get_feature_names_out().tolist() == ["c_a", "c_infrequent_sklearn"]


def test_one_hot_encoder_missing_is_its_own_category() -> None:
    train = pd.DataFrame({"c": pd.Series(["a", None, "b"], dtype="str")})
    assert feature("one_hot_encoder").fit_transform(train).shape == (3, 3)


def test_scalers() -> None:
    values = pd.DataFrame({"x": [0.0, 5.0, 10.0, np.nan]})
    scaled = feature("min_max_scaler", feature_range_min=-1.0, feature_range_max=1.0).fit_transform(values)
    np.testing.assert_array_equal(scaled.ravel(), [-1.0, 0.0, 1.0, np.nan])
    standard = feature("standard_scaler").fit_transform(values)
    np.testing.assert_allclose(standard[:3].ravel(), [-1.2247449, 0.0, 1.2247449])
    assert feature("standard_scaler", with_mean=False).fit_transform(values)[0, 0] == 0.0


def test_imputer_strategies() -> None:
    values = pd.DataFrame({"x": [1.0, 2.0, 10.0, np.nan]})
    assert feature("simple_imputer").fit_transform(values)[3, 0] == 2.0
    assert feature("simple_imputer", strategy="mean").fit_transform(values)[3, 0] == pytest.approx(13 / 3)
    assert feature("simple_imputer", strategy="constant", fill_value=-1).fit_transform(values)[3, 0] == -1.0
    with_flag = feature("simple_imputer", add_indicator=True).fit_transform(values)
    assert with_flag.shape == (4, 2) and with_flag[3, 1] == 1.0


@pytest.mark.parametrize("rows", [1, 2, 5, 10, 1001])
@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_median_imputer_learns_what_scikit_learn_learns(rows: int, keep_empty_features: bool) -> None:
    from sklearn.impute import SimpleImputer

    rng = np.random.default_rng(rows)
    values = rng.normal(size=(rows, 4))
    values[:, 1] = np.round(values[:, 1])  # ties
    values[rng.random((rows, 4)) < 0.3] = np.nan
    values[:, 3] = np.nan  # a column with no value at all
    ours = feature("simple_imputer", add_indicator=True).set_params(keep_empty_features=keep_empty_features)
    theirs = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=keep_empty_features)
    ours.fit(values)
    theirs.fit(values)
    np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
    with warnings.catch_warnings():  # both skip the empty column unless told to keep it
        warnings.filterwarnings("ignore", "Skipping features without any observed values")
        np.testing.assert_array_equal(ours.transform(values), theirs.transform(values))


def test_median_imputer_saves_and_loads_as_a_trusted_type() -> None:
    from factory.io import load_model_bytes, model_bytes

    values = pd.DataFrame({"x": [1.0, 2.0, 10.0, np.nan]})
    fitted = feature("simple_imputer").fit(values)
    loaded = load_model_bytes(model_bytes(fitted), "imputer")
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.transform(values).ravel(), [1.0, 2.0, 10.0, 2.0])


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "min_max_scaler",
            {"feature_range_min": 1.0, "feature_range_max": 1.0},
            "feature_range_min < feature_range_max",
        ),
        ("simple_imputer", {"strategy": "constant"}, "fill_value with strategy .constant. and only with it"),
        ("simple_imputer", {"strategy": "mean", "fill_value": 0}, "and only with it .got strategy .mean."),
        ("simple_imputer", {"strategy": "max"}, "strategy"),
        ("one_hot_encoder", {"min_frequency": 0}, "min_frequency"),
        ("one_hot_encoder", {"max_categories": 1}, "max_categories"),
    ],
)
def test_params_are_checked(name: str, params: dict, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        registry.get("feature", name).parse_params(params)
