"""Profiles, simulated batches and drift verdicts, in-process on frames (no Git, no DVC).

The false-alarm rates measured here are printed (`pytest -s`) and quoted in the README.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from factory import registry
from factory.artifacts.metrics import compute_metrics
from factory.artifacts.predictions import Predictions, predict_frame
from factory.artifacts.profile import SKETCH_SIZE, build_profile, quantile_sketch
from factory.errors import ConfigError, DataValidationError
from factory.monitor.drift import DriftTest, check_drift, column_drift
from factory.monitor.efficacy import check_efficacy
from factory.monitor.simulate import Shift, check_shifts, simulate_batch
from factory.spec import Monitoring, UseCaseParams
from factory.stages.train import build_pipeline

REPO = Path(__file__).resolve().parents[2]
POLICY = Monitoring.model_validate(yaml.safe_load((REPO / "conf/monitoring/default.yaml").read_text()))
NUMERIC = ["income", "age", "visits"]
CATEGORICAL = ["region", "plan"]
FEATURES = [*NUMERIC, *CATEGORICAL]
NULLABLE = ["age"]
SEEDS = range(100)
SMALL, LARGE = 300, 2000


def evaluation_rows(rows: int = 1500, seed: int = 5) -> pd.DataFrame:
    """An evaluation table with a skewed, a nullable and an integer feature, two categoricals, a label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.lognormal(10.0, 0.5, rows),
            "age": np.round(rng.normal(45.0, 12.0, rows)),
            "visits": rng.poisson(3.0, rows).astype("float64"),
            "region": rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1]),
            "plan": rng.choice(["basic", "plus", "premium"], rows, p=[0.6, 0.3, 0.1]),
        }
    )
    signal = (np.log(frame["income"]) - 10.0) * 2 + (frame["visits"] - 3) / 2 + (frame["plan"] == "premium") - 0.3
    frame["bought"] = np.where(signal + rng.normal(0, 0.7, rows) > 0, "yes", "no")
    frame.loc[rng.choice(rows, rows // 20, replace=False), "age"] = np.nan
    return frame


def use_case() -> UseCaseParams:
    return UseCaseParams.model_validate(
        {
            "name": "shop",
            "description": "Who buys.",
            "owner": "shop@example.com",
            "risk_tier": "low",
            "task": "binary_classification",
            "data": [{"product": "visitors"}],
            "target": "bought",
            "features": {"numeric": NUMERIC, "categorical": CATEGORICAL},
            "model": {"component": "logistic_regression", "params": {"C": 1.0}},
            "evaluation": {"primary_metric": "accuracy", "metrics": ["roc_auc"]},
            "products": {"visitors": "data/products/visitors.parquet"},
            "monitoring": POLICY.model_dump(),
        }
    )


@pytest.fixture(scope="module")
def fitted() -> tuple[UseCaseParams, object, pd.DataFrame, dict]:
    """A model fitted on one sample, its evaluation rows (another sample) and their profile."""
    params = use_case()
    train, pool = evaluation_rows(seed=1), evaluation_rows(seed=2)
    model = build_pipeline(params).fit(train[FEATURES], train["bought"])
    scored = predict_frame(model, pool[FEATURES], classifier=True)
    proba = scored[["proba_no", "proba_yes"]].to_numpy()
    metrics = compute_metrics(
        Predictions(pool["bought"].to_numpy(), scored["prediction"].to_numpy(), proba, ["no", "yes"]), params
    )
    profile = build_profile(
        pool, NUMERIC, CATEGORICAL, scored["prediction"].to_numpy(), params.task, "bought", metrics, "accuracy"
    )
    return params, model, pool, profile


def batch(pool: pd.DataFrame, rows: int, seed: int, *shifts: Shift) -> pd.DataFrame:
    return simulate_batch(pool, FEATURES, "bought", rows, seed, shifts, NULLABLE)


def test_profile_is_a_deterministic_summary(fitted) -> None:
    params, _, pool, profile = fitted
    again = build_profile(
        pool, NUMERIC, CATEGORICAL, np.array(["no"] * len(pool)), params.task, "bought", {}, "accuracy"
    )
    assert again["features"] == profile["features"]
    income = profile["features"]["income"]
    assert len(income["sketch"]) == SKETCH_SIZE and income["sketch"] == sorted(income["sketch"])
    assert sum(income["histogram"]["counts"]) == len(pool)
    assert profile["features"]["age"]["null_share"] == pytest.approx(0.05)
    assert profile["features"]["plan"]["counts"].keys() == {"basic", "plus", "premium"}
    assert profile["prediction"]["type"] == "categorical" and profile["metrics"]["accuracy"] > 0.7
    # At most SKETCH_SIZE values, the sketch is the sorted values themselves.
    values = np.random.default_rng(0).normal(size=321)
    np.testing.assert_array_equal(quantile_sketch(values), np.sort(values))
    values = np.random.default_rng(1).lognormal(size=54_321)
    levels = (np.arange(SKETCH_SIZE) + 0.5) / SKETCH_SIZE
    np.testing.assert_array_equal(quantile_sketch(values), np.quantile(values, levels, method="inverted_cdf"))


def test_simulation_is_deterministic_from_its_seed(fitted) -> None:
    _, _, pool, _ = fitted
    first = batch(pool, 500, 7, Shift("covariate", ("income",)), Shift("nulls"))
    pd.testing.assert_frame_equal(first, batch(pool, 500, 7, Shift("covariate", ("income",)), Shift("nulls")))
    assert not first.equals(batch(pool, 500, 8, Shift("covariate", ("income",)), Shift("nulls")))
    assert list(first.columns) == [*FEATURES, "bought"] and len(first) == 500


def test_false_alarm_rate_on_unshifted_batches(fitted) -> None:
    """Each feature test on 100 unshifted batches of each size: at most 5% false alarms."""
    _, model, pool, profile = fitted
    alarms: Counter[tuple[str, str]] = Counter()
    verdicts: Counter[str] = Counter()
    psi = DriftTest(registry.get("drift", "psi"), registry.get("drift", "psi").parse_params({}))
    for seed in SEEDS:
        for rows in (SMALL, LARGE):
            current = batch(pool, rows, seed)
            result = check_drift(profile, POLICY, current[FEATURES], model.predict(current[FEATURES]))
            for column in result.features:
                alarms[(column.name, column.test)] += column.values_drifted
                alarms[(column.name, "null share")] += column.nulls_drifted
            for name in NUMERIC:
                alarms[(name, "psi")] += column_drift(
                    name, profile["features"][name], current[name], psi, True
                ).values_drifted
            verdicts[f"prediction ({result.prediction.test})"] += result.prediction.drifted
            verdicts["dataset drift"] += result.dataset_drift
    runs = {
        test: len(SEEDS) * (1 if test in ("ks", "chi_square", "wasserstein", "jensen_shannon") else 2)
        for _, test in alarms
    }
    rates = {f"{name} / {test}": count / runs[test] for (name, test), count in sorted(alarms.items())}
    print("\nfalse-alarm rate per feature test over", len(SEEDS), "seeds:")
    for key, rate in rates.items():
        print(f"  {key:<28} {rate:.2%}")
    for key, count in sorted(verdicts.items()):
        print(f"  {key:<28} {count / (2 * len(SEEDS)):.2%}")
    assert max(rates.values()) <= 0.05, rates
    assert verdicts["dataset drift"] == 0


@pytest.mark.parametrize("rows", [SMALL, LARGE])
def test_every_shift_kind_is_detected(fitted, rows: int) -> None:
    params, model, pool, profile = fitted

    def verdict(current: pd.DataFrame):
        return check_drift(profile, POLICY, current[FEATURES], model.predict(current[FEATURES]))

    for seed in range(5):
        # Covariate shift: the shifted features drift; all of them shifted is dataset drift.
        one = verdict(batch(pool, rows, seed, Shift("covariate", ("income",))))
        assert "income" in one.drifted_features
        everything = verdict(batch(pool, rows, seed, Shift("covariate")))
        assert everything.dataset_drift
        # Label shift: the predictions follow the labels.
        assert verdict(batch(pool, rows, seed, Shift("label", strength=1.5))).prediction.drifted
        # Rising null rates: the feature drifts on its missing values.
        nulls = verdict(batch(pool, rows, seed, Shift("nulls", ("age",))))
        assert "age" in nulls.drifted_features and nulls.features[0].nulls_drifted
        # Concept shift: the features do not move, the efficacy does.
        concept = batch(pool, rows, seed, Shift("concept"))
        assert not verdict(concept).dataset_drift
        scored = predict_frame(model, concept[FEATURES], classifier=True)
        _, efficacy, labelled = check_efficacy(model, concept["bought"], scored, params, POLICY, profile)
        assert efficacy is not None and efficacy.degraded and labelled == rows
        unshifted = batch(pool, rows, seed)
        scored = predict_frame(model, unshifted[FEATURES], classifier=True)
        _, efficacy, _ = check_efficacy(model, unshifted["bought"], scored, params, POLICY, profile)
        assert efficacy is not None and not efficacy.degraded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("covariate", Shift("covariate")),
        ("covariate:income,plan@2", Shift("covariate", ("income", "plan"), 2.0)),
        ("concept@0.5", Shift("concept", (), 0.5)),
        ("nulls:age", Shift("nulls", ("age",))),
    ],
)
def test_shift_syntax(text: str, expected: Shift) -> None:
    assert Shift.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("drift", "KIND[:FEATURE"), ("covariate@x", "KIND"), ("covariate@0", "positive"), ("label:age", "no features")],
)
def test_bad_shifts_are_config_errors(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match="--shift") as caught:
        Shift.parse(text)
    assert expected in str(caught.value)


def test_shifts_must_name_features_that_can_take_them() -> None:
    with pytest.raises(ConfigError, match="features of the use case"):
        check_shifts([Shift("covariate", ("height",))], FEATURES, NULLABLE)
    with pytest.raises(ConfigError, match=r"nullable features of the use case \(age\)"):
        check_shifts([Shift("nulls", ("income",))], FEATURES, NULLABLE)
    with pytest.raises(ConfigError, match=r"\(none\)"):
        check_shifts([Shift("nulls")], FEATURES, [])


def test_efficacy_reads_boolean_labels_with_gaps(fitted) -> None:
    """A CSV column of booleans with a missing value arrives as objects; the model's classes are booleans."""
    params, _, pool, profile = fitted
    target = pool["bought"] == "yes"
    model = build_pipeline(params).fit(pool[FEATURES], target)
    labels = target.astype(object)
    labels.iloc[:10] = None
    scored = predict_frame(model, pool[FEATURES], classifier=True)
    metrics, efficacy, labelled = check_efficacy(model, labels, scored, params, POLICY, profile)
    assert labelled == len(pool) - 10 and efficacy is not None and metrics["roc_auc"] > 0.8

    # Text labels that are not the model's classes would all read as True: refused, not scored.
    with pytest.raises(DataValidationError, match=r"--labels bought: expected values among the model's classes"):
        check_efficacy(model, pool["bought"], scored, params, POLICY, profile)


def test_reports_plot_every_drifted_column(fitted, tmp_path: Path) -> None:
    import json

    from factory.monitor.workflow import check_batch, write_reports

    params, model, pool, profile = fitted
    current = batch(pool, SMALL, 1, Shift("covariate", ("age", "region"), 2.0), Shift("label", strength=1.5))
    check = check_batch(current, params, POLICY, model, profile, labels="bought")
    assert {"age", "region"} <= set(check.drift.drifted_features) and check.drift.prediction.drifted
    record = check.record(
        checked_at="2026-11-29T12:00:00Z",
        use_case="shop",
        version="v1.0.0",
        input_shown="batch.csv",
        input_sha256="0" * 64,
        alert=True,
    )
    write_reports(record, ["prediction drift"], POLICY, profile, check, tmp_path / "r.json", tmp_path / "r.html")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["labelled_rows"] == SMALL and report["small_sample"] and report["reasons"] == ["prediction drift"]
    assert [column["name"] for column in report["features"] if column["drifted"]] == record.drifted_features
    page = (tmp_path / "r.html").read_text()
    assert page.count("data:image/png;base64,") == len(record.drifted_features) + 1
    assert 'alt="region: reference against current"' in page and "<b class=" in page
