"""Memory: peak RSS of the train stage on 1,000,000 training rows, beside a plain scikit-learn script.

The target: the train stage's peak is at most 1.25x the peak of a plain script that reads the
same training table with pandas and fits the same pipeline (median and most-frequent
imputers, a scaler, a one-hot encoder, the same model and params) with scikit-learn alone,
in one process, measured side by side. The figures against the table's own size follow.

Builds the churn use case's data products in a fresh Git + DVC repository, with enough
customers that its split leaves `--rows` training rows (1,333,334 customers for 1,000,000),
runs `dvc repro` up to the prepare stage, then runs `factory stage train churn` as its own
process (no stage server) and reads that process's peak RSS from the kernel.

The same is done with 1,000 customers (750 training rows): that run's peak is the stage's
fixed cost (the interpreter, scikit-learn, pandas, pyarrow, skops, pandera and the factory's
own code, about 260 MiB), which does not grow with the data. Two ratios are printed against
the training table's size in memory (pandas, deep, as `pd.read_parquet` gives it): the whole
peak RSS, as the target states it, and the peak above that fixed cost, which is what the
data costs and what the target can be held to for a table smaller than the libraries.

A third figure is a floor no implementation of the stage can go below with these
libraries: the peak of a process that only imports what reading Parquet and fitting the
model need (pyarrow's Parquet reader and gradient boosting's scikit-learn module, which
imports pandas itself), plus the feature matrix the model must hold (scikit-learn's
gradient boosting and most of its models take float64: rows x the fitted model's input
features x 8 bytes).

    .venv/bin/python benchmarks/memory.py [--rows 1000000] [--model hist_gradient_boosting_classifier]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from overhead import make_repo  # noqa: E402
from peak_memory import own_peak_rss  # noqa: E402

from tests.conftest import BIN  # noqa: E402
from tests.conftest import project_env as environment  # noqa: E402

SMALL_ROWS = 1_000
MIB = 1024 * 1024


TABLE_SIZE = """
import sys, pandas as pd
table = pd.read_parquet(sys.argv[1])
print(len(table), int(table.memory_usage(deep=True).sum()))
"""


# What a process must import to read the table and fit the model; the peak it reaches doing so.
LIBRARIES = """
import pyarrow.parquet, sklearn.ensemble  # scikit-learn's import brings pandas with it
from peak_memory import own_peak_rss
print(own_peak_rss())
"""

# The same fit as the train stage, written as anyone would with scikit-learn alone.
PLAIN_FIT = """
import json, sys
import pandas as pd
from sklearn import ensemble, linear_model
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from peak_memory import own_peak_rss

spec = json.loads(sys.argv[2])
table = pd.read_parquet(sys.argv[1])
numeric, categorical = spec["numeric"], spec["categorical"]
encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
features = ColumnTransformer([
    ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
    ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical),
])
estimator = {
    "hist_gradient_boosting_classifier": ensemble.HistGradientBoostingClassifier,
    "random_forest_classifier": ensemble.RandomForestClassifier,
    "logistic_regression": linear_model.LogisticRegression,
}[spec["model"]](**spec["params"])
Pipeline([("features", features), ("model", estimator)]).fit(table[numeric + categorical], table[spec["target"]])
print(own_peak_rss())
"""

# The saved model's input features: the width of the matrix it was fitted on.
MODEL_FEATURES = """
import sys
from pathlib import Path
from factory.io import load_model
print(load_model(Path(sys.argv[1]))[-1].n_features_in_)
"""


def peak_rss(command: list[str], root: Path) -> int:
    """Peak RSS in bytes of `command` run as a child in the project's environment (see `peak_rss_of`)."""
    # no stage server is named in this environment: the stage runs in this very child
    return peak_rss_of(command, root, environment(root))


def peak_rss_of(command: list[str], root: Path, env: dict[str, str]) -> int:
    """Peak resident set size in bytes of `command` run as a child process.

    Linux starts a child's peak at its parent's when the child is started with vfork, as
    Python does: the figure is only the child's while this script stays smaller than it, so
    this script reads no table itself (`main` checks).
    """
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return usage.ru_maxrss * 1024  # kilobytes on Linux


def customers_for(training_rows: int) -> int:
    """Customers whose churn split leaves `training_rows` rows to train on (scikit-learn rounds the test part up)."""
    test_size = yaml.safe_load((REPO / "use_cases/churn/config.yaml").read_text())["split"]["test_size"]
    customers = math.floor(training_rows / (1 - test_size))
    while customers - math.ceil(customers * test_size) < training_rows:
        customers += 1
    return customers


def train_stage(rows: int, model: str) -> tuple[int, int, int, int, int]:
    """Training rows, the training table's bytes in memory, the train stage's peak RSS, the
    fitted model's input features, and the plain script's peak RSS, at `rows` customers."""
    with tempfile.TemporaryDirectory(prefix="factory-memory-") as folder:
        root = Path(folder)
        make_repo(root, rows)
        config = root / "use_cases/churn/config.yaml"
        config.write_text(
            config.read_text().replace("  - /model@model: random_forest\n", "") + f"model:\n  component: {model}\n"
        )
        env = environment(root)
        for command in (
            [str(BIN / "factory"), "compile"],
            [sys.executable, "-m", "dvc", "repro", "use_cases/churn/dvc.yaml:prepare"],
        ):
            subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
        # read in a child of its own, so this script stays smaller than the stage it measures
        table = str(root / "use_cases/churn/artifacts/train.parquet")
        done = subprocess.run([sys.executable, "-c", TABLE_SIZE, table], check=True, capture_output=True, text=True)
        table_rows, table_bytes = (int(figure) for figure in done.stdout.split())
        peak = peak_rss([str(BIN / "factory"), "stage", "train", "churn"], root)
        model_file = str(root / "use_cases/churn/artifacts/model.skops")
        done = subprocess.run(
            [sys.executable, "-c", MODEL_FEATURES, model_file], env=env, check=True, capture_output=True, text=True
        )
        params = yaml.safe_load((root / "use_cases/churn/params.yaml").read_text())
        spec = {
            "numeric": params["features"]["numeric"],
            "categorical": params["features"]["categorical"],
            "target": params["target"],
            "model": model,
            "params": params["model"]["params"],
        }
        plain_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}  # for `peak_memory`
        plain = peak_rss_of([sys.executable, "-c", PLAIN_FIT, table, json.dumps(spec)], root, plain_env)
        return table_rows, table_bytes, peak, int(done.stdout), plain


def libraries_peak() -> int:
    """Peak RSS in bytes of a process that only imports the libraries training needs."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}  # for `peak_memory`
    done = subprocess.run([sys.executable, "-c", LIBRARIES], env=env, check=True, capture_output=True, text=True)
    return int(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the training table")
    parser.add_argument("--model", default="hist_gradient_boosting_classifier", help="registered model component")
    args = parser.parse_args()
    rows, table_bytes, peak, features, plain = train_stage(customers_for(args.rows), args.model)
    small_rows, _, fixed, _, _ = train_stage(SMALL_ROWS, args.model)
    libraries = libraries_peak()
    matrix = rows * features * 8
    if own_peak_rss() >= min(peak, fixed):
        raise SystemExit(f"this script grew to {own_peak_rss() / MIB:.0f} MiB: the children's peaks may be its own")
    print(f"training table       {rows:>9,} rows   {table_bytes / MIB:>8.1f} MiB in memory")
    print(f"train stage ({args.model}) peak RSS {peak / MIB:>8.1f} MiB")
    print(f"plain scikit-learn script, same table and model   peak RSS {plain / MIB:>8.1f} MiB")
    print(f"ratio, train stage / plain script   {peak / plain:>8.2f}x   (target <= 1.25x)")
    print(f"same stage on {small_rows:,} training rows (fixed cost)   peak RSS {fixed / MIB:>8.1f} MiB")
    print(f"peak above the fixed cost   {(peak - fixed) / MIB:>8.1f} MiB")
    print(f"ratio, whole peak    {peak / table_bytes:>8.2f}x the table")
    print(f"ratio, above fixed   {(peak - fixed) / table_bytes:>8.2f}x the table")
    print(f"floor: importing pandas, pyarrow, scikit-learn   peak RSS {libraries / MIB:>8.1f} MiB")
    print(f"floor: the float64 feature matrix ({rows:,} x {features})   {matrix / MIB:>8.1f} MiB")
    print(f"ratio, floor         {(libraries + matrix) / table_bytes:>8.2f}x the table   (no stage can go below it)")


if __name__ == "__main__":
    main()
