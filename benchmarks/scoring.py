"""Batch scoring overhead: the factory's scoring path against a raw `model.predict_proba`.

Both score the same 1,000,000 rows with the same fitted churn pipeline in one process. The
factory path is what `factory score` does after fetching the model: pandera validation of
the input against the use case's declared input schema, the float cast of numeric features,
then predictions and per-class probabilities assembled into the output frame.

    .venv/bin/python benchmarks/scoring.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from factory.datacheck import input_schema_for, validate_frame
from factory.paths import ProjectPaths
from factory.release.scoring import predict_frame
from factory.stages import load_product_params, load_use_case_params, run_stage
from factory.stages.train import build_pipeline

REPO = Path(__file__).resolve().parents[1]
NAME = "churn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    paths = ProjectPaths(REPO)
    params = load_use_case_params(paths.use_case(NAME))
    products = load_product_params(paths)
    for product in ("customers", "customer-usage"):
        if not (REPO / products[product].output_path).is_file():
            run_stage("data-product", product, REPO)
    table = pd.read_parquet(REPO / products["customers"].output_path).merge(
        pd.read_parquet(REPO / products["customer-usage"].output_path), on="customer_id"
    )
    columns = params.features.columns
    train = table[[*columns, params.target]].copy()
    train[params.features.numeric] = train[params.features.numeric].astype("float64")
    model = build_pipeline(params).fit(train[columns], train[params.target])
    batch = table.sample(n=args.rows, replace=True, random_state=0).reset_index(drop=True)
    schema = input_schema_for(params, products)

    started = time.perf_counter()
    raw_input = batch[columns].copy()
    raw_input[params.features.numeric] = raw_input[params.features.numeric].astype("float64")
    model.predict_proba(raw_input)
    raw = time.perf_counter() - started

    started = time.perf_counter()
    validate_frame(batch, schema, "benchmark batch", coerce=True)
    features = batch[columns].copy()
    features[params.features.numeric] = features[params.features.numeric].astype("float64")
    scored = predict_frame(model, features, classifier=True)
    factory = time.perf_counter() - started

    print(f"rows                          {len(scored):>10,}")
    print(f"raw model.predict_proba       {raw:>10.2f} s")
    print(f"factory scoring path          {factory:>10.2f} s")
    print(f"ratio factory / raw           {factory / raw:>10.2f}   (target <= 1.1)")


if __name__ == "__main__":
    main()
