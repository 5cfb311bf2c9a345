"""Monitoring a large batch: time and peak memory of `factory monitor`'s checks on 1,000,000 rows x 20 features.

The setup (in this process) makes an evaluation table of 20,000 rows with 16 numeric and 4
categorical features, fits a logistic regression pipeline, builds the reference profile the
evaluate stage would write, saves the model with skops, and writes a 1,000,000-row batch drawn
from the reference rows as Parquet. The measurement runs in a fresh process and times what
`factory monitor` does after fetching the released files: read the batch, validate it with
pandera, predict, test every feature and the predictions for drift, write the JSON and HTML
reports, under the allocator setting `factory monitor` uses for that work. Memory is the
process's own peak resident size (`peak_memory`) above its peak before reading the batch,
against the batch's size in memory.

    .venv/bin/python benchmarks/monitoring.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from peak_memory import own_peak_rss

REPO = Path(__file__).resolve().parents[1]
NUMERIC = [f"x{index:02d}" for index in range(16)]
CATEGORICAL = ["region", "plan", "channel", "segment"]


def params_dict() -> dict:
    policy = yaml.safe_load((REPO / "conf/monitoring/default.yaml").read_text())
    return {
        "name": "bench",
        "description": "Benchmark use case.",
        "owner": "bench@example.com",
        "risk_tier": "low",
        "task": "binary_classification",
        "data": [{"product": "bench"}],
        "target": "label",
        "features": {"numeric": NUMERIC, "categorical": CATEGORICAL},
        "model": {"component": "logistic_regression", "params": {"C": 1.0}},
        "evaluation": {"primary_metric": "accuracy"},
        "products": {"bench": "bench.parquet"},
        "monitoring": policy,
    }


def reference_rows(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(index, 1 + index / 4, rows) for index, name in enumerate(NUMERIC)})
    for index, name in enumerate(CATEGORICAL):
        frame[name] = rng.choice([f"{name}_{level}" for level in range(3 + index)], rows)
    frame["label"] = np.where(frame[NUMERIC[:4]].sum(axis=1) + rng.normal(0, 2, rows) > 6, "yes", "no")
    return frame


def prepare(folder: Path, rows: int) -> None:
    from factory.artifacts.profile import build_profile
    from factory.io import save_model, write_json
    from factory.monitor.simulate import simulate_batch
    from factory.spec import UseCaseParams
    from factory.stages.train import build_pipeline

    params = UseCaseParams.model_validate(params_dict())
    columns = params.features.columns
    train, evaluation = reference_rows(20_000, 1), reference_rows(20_000, 2)
    model = build_pipeline(params).fit(train[columns], train["label"])
    predictions = model.predict(evaluation[columns])
    profile = build_profile(
        evaluation, NUMERIC, CATEGORICAL, predictions, params.task, "label", {"accuracy": 0.8}, "accuracy"
    )
    write_json(folder / "profile.json", profile)
    save_model(folder / "model.skops", model)
    simulate_batch(evaluation, columns, "label", rows, 0).to_parquet(folder / "batch.parquet", index=False)


def measure(folder: Path) -> None:
    """In a fresh process: the monitoring checks on the batch, with time and peak memory."""
    from factory.allocator import freed_buffers_returned
    from factory.datacheck import input_schema_for
    from factory.io import load_model
    from factory.monitor.drift import check_drift
    from factory.monitor.efficacy import check_efficacy
    from factory.monitor.workflow import BatchCheck, predict_in_chunks, validate_batch, write_reports
    from factory.release.scoring import read_table
    from factory.spec import ColumnSchema, DataProductSpec, UseCaseParams

    params = UseCaseParams.model_validate(params_dict())
    columns = {name: ColumnSchema(dtype="float64") for name in NUMERIC}
    columns |= {name: ColumnSchema(dtype="string") for name in CATEGORICAL}
    columns["label"] = ColumnSchema(dtype="string")
    product = DataProductSpec.model_validate(
        {"name": "bench", "description": "x", "source": {"component": "csv_file"}, "schema": {"columns": columns}}
    )
    schema = input_schema_for(params, {"bench": product})
    model = load_model(folder / "model.skops")
    profile = json.loads((folder / "profile.json").read_text())
    import matplotlib.figure  # noqa: F401  (imported before the baseline, like the other libraries)
    import scipy.stats  # noqa: F401

    baseline = own_peak_rss()
    marks = [("start", time.perf_counter(), time.process_time(), baseline)]

    def mark(step: str) -> None:
        marks.append((step, time.perf_counter(), time.process_time(), own_peak_rss()))

    with freed_buffers_returned():  # as `factory monitor` reads and checks a batch
        table = read_table(folder / "batch.parquet")
        mark("read Parquet")
        validate_batch(table, schema, "label", "batch.parquet")
        mark("pandera validation")
        scored = predict_in_chunks(model, table, params)
        mark("predictions")
        drift = check_drift(profile, params.monitoring, table, scored["prediction"].to_numpy())
        mark("drift: 20 features + prediction")
        metrics, efficacy, labelled = check_efficacy(model, table["label"], scored, params, params.monitoring, profile)
        mark("efficacy (labels given)")
        check = BatchCheck(table, scored, drift, metrics, efficacy, labelled)
        record = check.record(
            checked_at="2026-01-01T00:00:00Z",
            use_case="bench",
            version="v1.0.0",
            input_shown="batch.parquet",
            input_sha256="0" * 64,
            alert=False,
        )
        write_reports(record, [], params.monitoring, profile, check, folder / "report.json", folder / "report.html")
        mark("reports")
    peak = own_peak_rss()
    size = int(table.memory_usage(deep=True).sum())
    print(f"rows x features                  {len(table):,} x {len(NUMERIC) + len(CATEGORICAL)}")
    print(f"{'step':<33}{'wall s':>8}{'cpu s':>8}{'peak above baseline, MiB':>26}")
    for (_, wall_before, cpu_before, _), (step, wall, cpu, high) in itertools.pairwise(marks):
        print(f"{step:<33}{wall - wall_before:>8.2f}{cpu - cpu_before:>8.2f}{(high - baseline) / 2**20:>26.0f}")
    without = marks[-3][1] - marks[0][1]
    print(f"{'total without labels':<33}{without:>8.2f}{marks[-3][2] - marks[0][2]:>8.2f}   (target <= 10 s)")
    print(f"{'total with labels and reports':<33}{marks[-1][1] - marks[0][1]:>8.2f}{marks[-1][2] - marks[0][2]:>8.2f}")
    above = peak - baseline
    print(f"batch in memory                  {size / 2**20:.0f} MiB")
    print(f"peak memory above baseline       {above / 2**20:.0f} MiB = {above / size:.2f}x the batch (target <= 3x)")
    print(f"drifted features                 {len(drift.drifted_features)} (unshifted batch)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as folder:
        prepare(Path(folder), args.rows)
        subprocess.run([sys.executable, __file__, "--measure", folder], check=True)


if __name__ == "__main__":
    main()
