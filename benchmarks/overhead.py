"""Framework overhead: `factory build` of the churn use case against a plain scikit-learn script.

Both do the same work on the same 200,000-row synthetic customer table (generate both
tables, parse the raw columns, join, split, fit the same pipeline, predict, score), timed in
one run. The plain script runs twice: fitting and scoring only, and also saving the model with
skops, a metrics file and the same three plots, as the factory does. The factory side runs
in a fresh Git + DVC repository, so it pays for everything a user pays for: composition
check, DVC, one process per stage, schema validation, plots, card.

    .venv/bin/python benchmarks/overhead.py [--rows 200000] [--repeats 3]

Also times `factory --help` (the CLI must import lazily). Prints figures and ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from tests.conftest import BIN  # noqa: E402
from tests.conftest import project_env as environment  # noqa: E402

ITEMS = ("factory", "components", "conf", "pyproject.toml", ".gitignore")


def make_repo(root: Path, rows: int) -> None:
    """A repository holding only the churn use case, with its products scaled to `rows`."""
    for item in ITEMS:
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, root / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / item)
    shutil.copytree(
        REPO / "use_cases" / "churn",
        root / "use_cases" / "churn",
        ignore=shutil.ignore_patterns("artifacts", "dvc.lock", "dvc.yaml", "params.yaml"),
    )
    for declaration in (root / "conf" / "data").glob("*.yaml"):  # churn reads these two products only
        if declaration.stem not in ("customers", "customer-usage"):
            declaration.unlink()
    for name in ("customers", "customer-usage"):
        file = root / "conf" / "data" / f"{name}.yaml"
        file.write_text(file.read_text().replace("rows: 5000", f"rows: {rows}"))
    env = environment(root)
    for command in (
        ["git", "init", "-q"],
        [sys.executable, "-m", "dvc", "init", "-q"],
        [str(BIN / "factory"), "compile"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "bench"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)


def time_factory(rows: int) -> float:
    with tempfile.TemporaryDirectory(prefix="factory-bench-") as folder:
        root = Path(folder)
        make_repo(root, rows)
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "factory"), "build"], cwd=root, env=environment(root), capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"factory build failed:\n{done.stdout}\n{done.stderr}")
        return elapsed


PLAIN_SCRIPT = r"""
import sys, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from components.sources.synthetic_customers import SyntheticCustomersParams, synthetic_customers

rows = int(sys.argv[1])
profile = synthetic_customers(SyntheticCustomersParams(rows=rows, seed=7, table="profile"), None)
usage = synthetic_customers(SyntheticCustomersParams(rows=rows, seed=7, table="usage"), None)
profile["signup_date"] = pd.to_datetime(profile["signup_date"])
profile["monthly_charges"] = profile["monthly_charges"].str.replace(r"[$,]", "", regex=True).astype(float)
profile["discount"] = profile["discount"].str.rstrip("%").astype(float).div(100).fillna(0.0)
for column in ("paperless_billing", "churned"):
    profile[column] = profile[column].map({"t": True, "f": False})
table = profile.merge(usage, on="customer_id")
numeric = ["age", "tenure_months", "monthly_charges", "discount", "support_calls", "paperless_billing",
           "avg_monthly_minutes", "data_gb", "dropped_calls", "days_since_last_login"]
categorical = ["region", "plan"]
table[numeric] = table[numeric].astype("float64")
train, test = train_test_split(table, test_size=0.25, random_state=7, stratify=table["churned"])
model = Pipeline([
    ("features", ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                  ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
         categorical)])),
    ("model", RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=0, n_jobs=1)),
])
model.fit(train[numeric + categorical], train["churned"])
proba = model.predict_proba(test[numeric + categorical])
predicted = model.classes_[proba.argmax(axis=1)]
metrics = {"roc_auc": roc_auc_score(test["churned"], proba[:, 1]),
           "accuracy": accuracy_score(test["churned"], predicted),
           "f1": f1_score(test["churned"], predicted), "log_loss": log_loss(test["churned"], proba)}
print(metrics)
if sys.argv[2] == "with-outputs":
    import json, pathlib, tempfile, zipfile, skops.io as sio
    from matplotlib.figure import Figure
    from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve
    out = pathlib.Path(tempfile.mkdtemp(prefix="plain-outputs-"))
    # compressed as the factory compresses its model file
    sio.dump(model, out / "model.skops", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    (out / "metrics.json").write_text(json.dumps(metrics))
    fpr, tpr, _ = roc_curve(test["churned"], proba[:, 1])
    precision, recall, _ = precision_recall_curve(test["churned"], proba[:, 1])
    for name, (x, y) in {"roc": (fpr, tpr), "pr": (recall, precision)}.items():
        figure = Figure(figsize=(5, 4), dpi=100)
        figure.subplots().plot(x, y)
        figure.savefig(out / f"{name}.png")
    figure = Figure(figsize=(5, 4), dpi=100)
    figure.subplots().imshow(confusion_matrix(test["churned"], predicted), cmap="Blues")
    figure.savefig(out / "confusion.png")
    import shutil
    shutil.rmtree(out)
"""


def time_plain(rows: int, variant: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", PLAIN_SCRIPT, str(rows), variant],
        cwd=REPO,
        env=environment(REPO),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def time_help(repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([str(BIN / "factory"), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each; medians are reported")
    args = parser.parse_args()

    help_seconds = time_help()
    runs: dict[str, list[float]] = {"plain": [], "with outputs": [], "factory": []}
    for repeat in range(args.repeats):
        # interleaved, so a slow spell of the machine hits every contender alike
        runs["plain"].append(time_plain(args.rows, "minimal"))
        runs["with outputs"].append(time_plain(args.rows, "with-outputs"))
        runs["factory"].append(time_factory(args.rows))
        print(f"run {repeat + 1}: " + ", ".join(f"{name} {times[-1]:.1f} s" for name, times in runs.items()))
    plain, plain_with_outputs, factory = (statistics.median(times) for times in runs.values())
    # the forest's fit varies by several seconds from run to run, so each run is compared too
    per_run = [f / p for f, p in zip(runs["factory"], runs["plain"], strict=True)]
    print(f"rows                                   {args.rows:>10,}")
    print(f"plain script, fit + score only         {plain:>10.1f} s   (median of {args.repeats})")
    print(f"plain script, also saves model + plots {plain_with_outputs:>10.1f} s")
    print(f"factory build (fresh repo)             {factory:>10.1f} s")
    print(f"ratio factory / plain (fit + score)    {factory / plain:>10.2f}   (targets: 1.15, 1.10)")
    print(f"ratio factory / plain (with outputs)   {factory / plain_with_outputs:>10.2f}")
    each = ", ".join(f"{ratio:.2f}" for ratio in per_run)
    print(f"ratio within each run (fit + score)    {each}   (median {statistics.median(per_run):.2f})")
    print(f"factory --help (median)                {help_seconds:>10.3f} s   (target <= 0.3 s)")


if __name__ == "__main__":
    main()
