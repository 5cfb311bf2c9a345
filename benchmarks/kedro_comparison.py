"""Cold build of churn by the factory against `kedro run` of the same pipeline in Kedro, side by side.

The factory side is the project (this working tree, or the commit `--revision` names) in a Git +
DVC repository of its own, built from nothing (no DVC cache, no outputs) by `factory build
churn` with the project's interpreter, as `process_model.py` builds its variants. The Kedro side
is a minimal Kedro project generated here (settings, pipeline registry, one pipeline of five
nodes, a catalog of Parquet, skops and JSON datasets, parameters taken from churn's compiled
params.yaml), run by `kedro run` in a fresh copy each round. Kedro is never a dependency of the
project: it lives in a virtualenv of its own (default ~/.cache/model-factory/kedro-venv), with
every package both environments hold pinned to the project interpreter's version.

Both sides generate the two data products with the project's own source and transform
functions (the Kedro nodes import them from a copy of components/ and factory/), so they train
on the same table; the Kedro nodes then join, split, fit, predict and score with scikit-learn
directly, with the same steps, params and seeds as the factory's components. What only the
factory does is counted in its time and listed in the output: pandera validation and stats of
each product, the reference profile, plots, model card and lineage, DVC's bookkeeping.

The rounds alternate which side runs first. After them, the outputs are compared (products,
tables, predictions, metrics), and each run is cut into parts: the factory's by its
per-pipeline times and the times of its outputs and locks, Kedro's by a node-timing hook. Then,
measured alone: a no-op factory build, the compile check with and without its composition
cache, each side's imports, and each factory stage without DVC (in a fork of a process that
imported the stage server's libraries, as the server runs it), with its factory-only parts.

    .venv/bin/python benchmarks/kedro_comparison.py [--rounds N] [--revision REV] [--venv PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
USE_CASE = "churn"
TARGET_RATIO = 1.10
DEFAULT_VENV = Path.home() / ".cache" / "model-factory" / "kedro-venv"
# What the Kedro side installs beyond what it pins. Only the datasets the port uses: the
# `pandas` extra would also pull BigQuery, Delta, Excel, HDF5 and SQL clients it never loads.
KEDRO_PACKAGES = ("kedro", "kedro-datasets[pandas-parquetdataset,json-jsondataset,pickle-pickledataset]")
# Installed explicitly at the project's versions: what the nodes import (pydantic for the
# project's components). Every other package both environments hold is pinned by constraint.
PINNED = ("scikit-learn", "pandas", "pyarrow", "skops", "numpy", "scipy", "pydantic")
PROJECT_ITEMS = (
    "factory",
    "components",
    "conf",
    "data",  # the raw files some products read: the compile check validates every product
    "use_cases",
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    ".dvcignore",
    ".gto",
)
# What the port supports; a change of churn beyond these makes the script stop rather than
# compare against a pipeline that no longer does the same work.
PORTED_TRANSFORMS = ("cast", "parse_currency", "parse_percentage", "parse_boolean", "fill_nulls")
PORTED_METRICS = ("roc_auc", "accuracy", "f1", "log_loss")
FACTORY_ONLY = (
    "pandera validation of each data product against its declared schema, and its stats JSON",
    "prepare: the join's cardinality and the target checked, data-quality tests (a shallow tree per feature"
    " for leakage, and more), quality.json",
    "DVC: status, per-stage dependency hashing, dvc.lock, outputs moved into its cache",
    "the factory's compile check and its stage server (imports once, forks each stage)",
    "evaluate: reference profile for monitoring, ROC / precision-recall / confusion plots (CSV + PNG)",
    "report stage: lineage.json, model_card.md and model_card.html (plots embedded)",
    "canonical, byte-stable skops archive (Kedro saves with skops' own dump, also deflate level 1)",
)


# --- the Kedro project -------------------------------------------------------------------------

KEDRO_PYPROJECT = """\
[project]
name = "churn_kedro"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = []

[tool.kedro]
package_name = "churn_kedro"
project_name = "churn-kedro"
kedro_init_version = "@KEDRO_VERSION@"
source_dir = "src"
"""

KEDRO_SETTINGS = '''\
"""Project settings: Kedro's defaults, plus a hook that records when each node ran."""

from churn_kedro.hooks import NodeTimes

HOOKS = (NodeTimes(),)
'''

KEDRO_HOOKS = '''\
"""Node timing for the benchmark: the first and last moment of each node, inputs and outputs included."""

import json
import time
from pathlib import Path

from kedro.framework.hooks import hook_impl


class NodeTimes:
    """Writes node_times.json: node name -> [first event, last event] (epoch seconds)."""

    def __init__(self):
        self.times = {}

    def _mark(self, node):
        now = time.time()
        self.times.setdefault(node.name, [now, now])[1] = now

    @hook_impl
    def before_dataset_loaded(self, dataset_name, node):
        self._mark(node)

    @hook_impl
    def before_node_run(self, node):
        self._mark(node)

    @hook_impl
    def after_node_run(self, node):
        self._mark(node)

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node):
        self._mark(node)

    @hook_impl
    def after_pipeline_run(self):
        Path("node_times.json").write_text(json.dumps(self.times))
'''

KEDRO_REGISTRY = '''\
"""The project's pipelines."""

from kedro.pipeline import Pipeline

from churn_kedro.pipelines.churn import create_pipeline


def register_pipelines() -> dict[str, Pipeline]:
    churn = create_pipeline()
    return {"__default__": churn, "churn": churn}
'''

KEDRO_PIPELINE = '''\
"""Churn: two data products, joined and split, a random forest, its metrics."""

from kedro.pipeline import Pipeline, node

from churn_kedro.pipelines.churn.nodes import data_product, evaluate, prepare, train


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                data_product,
                ["params:customers.source", "params:customers.transforms"],
                "customers",
                name="customers",
            ),
            node(
                data_product,
                ["params:customer_usage.source", "params:customer_usage.transforms"],
                "customer_usage",
                name="customer_usage",
            ),
            node(prepare, ["customers", "customer_usage", "params:churn"], ["train", "test"], name="prepare"),
            node(train, ["train", "test", "params:churn"], ["model", "predictions"], name="train"),
            node(
                evaluate,
                ["predictions", "test", "train", "params:churn"],
                ["metrics", "slice_metrics"],
                name="evaluate",
            ),
        ]
    )
'''

KEDRO_NODES = '''\
"""The churn nodes: what the factory's data-product, prepare, train and evaluate stages compute.

The data products come from the factory's own source and transform functions (imported from
a copy of the project), so both sides train on the same table. The rest is scikit-learn, with
the steps, params and seeds of churn's compiled params.yaml.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, "@PROJECT_CODE@")

from components.sources.synthetic_customers import SyntheticCustomersParams, synthetic_customers  # noqa: E402
from components.transforms.cast import CastParams, cast  # noqa: E402
from components.transforms.fill_nulls import FillNullsParams, fill_nulls  # noqa: E402
from components.transforms.parse_boolean import ParseBooleanParams, parse_boolean  # noqa: E402
from components.transforms.parse_currency import ParseCurrencyParams, parse_currency  # noqa: E402
from components.transforms.parse_percentage import ParsePercentageParams, parse_percentage  # noqa: E402
from factory.registry import RunContext  # noqa: E402

TRANSFORMS = {
    "cast": (cast, CastParams),
    "parse_currency": (parse_currency, ParseCurrencyParams),
    "parse_percentage": (parse_percentage, ParsePercentageParams),
    "parse_boolean": (parse_boolean, ParseBooleanParams),
    "fill_nulls": (fill_nulls, FillNullsParams),
}


def data_product(source, transforms):
    """A synthetic customer table, through its transforms."""
    context = RunContext(root=Path.cwd())
    frame = synthetic_customers(SyntheticCustomersParams.model_validate(source), context)
    for step in transforms:
        function, params = TRANSFORMS[step["component"]]
        frame = function(params.model_validate(step["params"]), frame, context)
    return frame


def prepare(customers, customer_usage, churn):
    """Join on customer_id, keep the used columns, split (seeded, stratified)."""
    table = customers.merge(customer_usage, on=churn["join_keys"], how="inner", sort=False)
    used = list(dict.fromkeys([*churn["numeric"], *churn["categorical"], churn["target"], *churn["slices"]]))
    table = table[used].reset_index(drop=True)
    table[churn["numeric"]] = table[churn["numeric"]].astype("float64")
    table = table.dropna(subset=[churn["target"]])
    split = churn["split"]
    stratify = table[churn["target"]] if split["stratify"] else None
    train, test = train_test_split(table, test_size=split["test_size"], random_state=split["seed"], stratify=stratify)
    return train.sort_index(), test.sort_index()


def train(train, test, churn):
    """Fit imputer + scaler / imputer + one-hot, then the forest; predict the test rows."""
    numeric = Pipeline(
        [
            ("0_simple_imputer", SimpleImputer(**churn["numeric_imputer"])),
            ("1_standard_scaler", StandardScaler(**churn["scaler"])),
        ]
    )
    categorical = Pipeline(
        [
            ("0_simple_imputer", SimpleImputer(**churn["categorical_imputer"])),
            (
                "1_one_hot_encoder",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", sparse_output=False, dtype=np.uint8, **churn["one_hot"]
                ),
            ),
        ]
    )
    features = ColumnTransformer(
        [("numeric", numeric, churn["numeric"]), ("categorical", categorical, churn["categorical"])],
        remainder="drop",
        verbose_feature_names_out=True,
    )
    model = Pipeline([("features", features), ("model", RandomForestClassifier(**churn["model"]))])
    columns = [*churn["numeric"], *churn["categorical"]]
    model.fit(train[columns], train[churn["target"]].to_numpy())
    proba = model.predict_proba(test[columns])
    predictions = pd.DataFrame({"prediction": model.classes_[proba.argmax(axis=1)]})
    for index in range(proba.shape[1]):
        predictions[f"probability_{index}"] = proba[:, index]
    return model, predictions


def _scores(y_true, y_pred, proba, labels, names):
    """The named metrics, rounded to 6 digits; None where undefined (one class only)."""
    scores = {
        "roc_auc": lambda: roc_auc_score(y_true == labels[1], proba[:, 1]),
        "accuracy": lambda: accuracy_score(y_true, y_pred),
        "f1": lambda: f1_score(y_true, y_pred, average="binary", pos_label=labels[-1], zero_division=0),
        "log_loss": lambda: log_loss(y_true, proba, labels=labels),
    }
    result = {}
    for name in names:
        try:
            value = float(scores[name]())
        except ValueError:
            if len(set(y_true.tolist())) > 1:
                raise
            value = None
        result[name] = None if value is None or not np.isfinite(value) else round(value, 6)
    return result


def evaluate(predictions, test, train, churn):
    """Metrics on the test rows, a prior-predicting baseline's, and metrics per slice."""
    target, names = churn["target"], churn["metrics"]
    y_true = test[target].to_numpy()
    labels = np.unique(train[target].to_numpy()).tolist()
    y_pred = predictions["prediction"].to_numpy()
    proba = predictions[[f"probability_{index}" for index in range(len(labels))]].to_numpy()
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(train), 1)), train[target].to_numpy())
    dummy_proba = dummy.predict_proba(np.zeros((len(test), 1)))
    baseline = _scores(y_true, dummy.classes_[dummy_proba.argmax(axis=1)], dummy_proba, labels, names)
    metrics = {**_scores(y_true, y_pred, proba, labels, names), "n_test": len(test), "baseline": baseline}
    slices = {}
    for column in churn["slices"]:
        values = test[column].astype("string").fillna("(missing)").to_numpy()
        slices[column] = {}
        for value in sorted(set(values.tolist())):
            mask = values == value
            scores = _scores(y_true[mask], y_pred[mask], proba[mask], labels, names)
            slices[column][str(value)] = {"n": int(mask.sum()), **scores}
    return metrics, slices
'''

KEDRO_CATALOG = """\
customers:
  type: pandas.ParquetDataset
  filepath: data/02_intermediate/customers.parquet
  save_args: {index: false}

customer_usage:
  type: pandas.ParquetDataset
  filepath: data/02_intermediate/customer_usage.parquet
  save_args: {index: false}

train:
  type: pandas.ParquetDataset
  filepath: data/05_model_input/train.parquet
  save_args: {index: false}

test:
  type: pandas.ParquetDataset
  filepath: data/05_model_input/test.parquet
  save_args: {index: false}

model:
  type: pickle.PickleDataset
  filepath: data/06_models/model.skops
  backend: skops.io
  save_args: {compression: 8, compresslevel: 1}  # zipfile.ZIP_DEFLATED at level 1, as the factory saves

predictions:
  type: pandas.ParquetDataset
  filepath: data/07_model_output/predictions.parquet
  save_args: {index: false}

metrics:
  type: json.JSONDataset
  filepath: data/08_reporting/metrics.json
  save_args: {indent: 2, sort_keys: true}

slice_metrics:
  type: json.JSONDataset
  filepath: data/08_reporting/slice_metrics.json
  save_args: {indent: 2, sort_keys: true}
"""

KEDRO_FOLDERS = ("02_intermediate", "05_model_input", "06_models", "07_model_output", "08_reporting")


def kedro_parameters(root: Path) -> dict[str, Any]:
    """parameters.yml from churn's and its products' compiled params, or stop if the port does not cover them."""
    import yaml

    products = yaml.safe_load((root / "params.yaml").read_text())["products"]
    churn = yaml.safe_load((root / "use_cases" / USE_CASE / "params.yaml").read_text())
    features = churn["features"]
    steps = {
        "numeric": [step["component"] for step in features["numeric_steps"]],
        "categorical": [step["component"] for step in features["categorical_steps"]],
    }
    data = [(item["product"], item["how"], item["join_keys"]) for item in churn["data"]]
    transforms = [
        step["component"] for name in ("customers", "customer-usage") for step in products[name]["transforms"]
    ]
    evaluation = churn["evaluation"]
    expected = {
        "task binary_classification": churn["task"] == "binary_classification",
        "data: customers, then customer-usage inner-joined": [(p, h) for p, h, _ in data]
        == [("customers", "inner"), ("customer-usage", "inner")],
        "sources synthetic_customers": all(
            products[name]["source"]["component"] == "synthetic_customers" for name in ("customers", "customer-usage")
        ),
        f"transforms among {', '.join(PORTED_TRANSFORMS)}": set(transforms) <= set(PORTED_TRANSFORMS),
        "numeric steps simple_imputer, standard_scaler": steps["numeric"] == ["simple_imputer", "standard_scaler"],
        "categorical steps simple_imputer, one_hot_encoder": steps["categorical"]
        == ["simple_imputer", "one_hot_encoder"],
        "model random_forest_classifier, no search": churn["model"]["component"] == "random_forest_classifier"
        and churn["model"]["search"] is None,
        "a random split": churn["split"]["kind"] == "random",
        "no prepare steps after the join": not churn.get("prepare"),
        f"metrics among {', '.join(PORTED_METRICS)}": {evaluation["primary_metric"], *evaluation["metrics"]}
        <= set(PORTED_METRICS),
    }
    problems = [what for what, ok in expected.items() if not ok]
    if problems:
        expects = "; ".join(problems)
        raise SystemExit(f"use_cases/{USE_CASE} is no longer what the Kedro port does; it expects: {expects}")
    return {
        "customers": {
            "source": products["customers"]["source"]["params"],
            "transforms": products["customers"]["transforms"],
        },
        "customer_usage": {
            "source": products["customer-usage"]["source"]["params"],
            "transforms": products["customer-usage"]["transforms"],
        },
        "churn": {
            "join_keys": data[1][2],
            "target": churn["target"],
            "numeric": features["numeric"],
            "categorical": features["categorical"],
            "slices": evaluation["slices"],
            "numeric_imputer": features["numeric_steps"][0]["params"],
            "scaler": features["numeric_steps"][1]["params"],
            "categorical_imputer": features["categorical_steps"][0]["params"],
            "one_hot": features["categorical_steps"][1]["params"],
            "model": churn["model"]["params"],
            "split": {key: churn["split"][key] for key in ("test_size", "seed", "stratify")},
            "metrics": list(dict.fromkeys([evaluation["primary_metric"], *evaluation["metrics"]])),
        },
    }


def write_kedro_project(folder: Path, parameters: Mapping[str, Any], project_code: Path, kedro_version: str) -> Path:
    """The Kedro project, generated into `folder`; each round runs a fresh copy of it."""
    import yaml

    package = folder / "src" / "churn_kedro"
    files = {
        "pyproject.toml": KEDRO_PYPROJECT.replace("@KEDRO_VERSION@", kedro_version),
        "conf/base/catalog.yml": KEDRO_CATALOG,
        "conf/base/parameters.yml": yaml.safe_dump(dict(parameters), sort_keys=False),
        "conf/local/.gitkeep": "",
        "src/churn_kedro/__init__.py": '"""Churn, ported from the model factory."""\n',
        "src/churn_kedro/settings.py": KEDRO_SETTINGS,
        "src/churn_kedro/hooks.py": KEDRO_HOOKS,
        "src/churn_kedro/pipeline_registry.py": KEDRO_REGISTRY,
        "src/churn_kedro/pipelines/__init__.py": "",
        "src/churn_kedro/pipelines/churn/__init__.py": "from .pipeline import create_pipeline\n",
        "src/churn_kedro/pipelines/churn/pipeline.py": KEDRO_PIPELINE,
        "src/churn_kedro/pipelines/churn/nodes.py": KEDRO_NODES.replace("@PROJECT_CODE@", str(project_code)),
        **{f"data/{name}/.gitkeep": "" for name in KEDRO_FOLDERS},
    }
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert package.is_dir()
    return folder


# --- the Kedro environment ---------------------------------------------------------------------


def project_versions() -> dict[str, str]:
    """Every distribution of the project's interpreter (this one), by normalised name."""
    versions = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            versions[re.sub(r"[-_.]+", "-", name).lower()] = distribution.version
    return versions


def kedro_venv(venv: Path) -> str:
    """Create (or reuse) the Kedro virtualenv; return its Kedro version.

    Reused when it was made from the same requirements and constraints; otherwise made again.
    """
    versions = project_versions()
    missing = [name for name in PINNED if name not in versions]
    if missing:
        raise SystemExit(f"the project's interpreter lacks {', '.join(missing)}")
    requirements = [*KEDRO_PACKAGES, *(f"{name}=={versions[name]}" for name in PINNED)]
    # Constraints apply only to packages pip installs anyway: every one the two environments share.
    constraints = "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))
    recipe = "\n".join([sys.version, *requirements, constraints])
    marker = venv / "benchmark-recipe.txt"
    python = venv / "bin" / "python"
    if not (marker.is_file() and marker.read_text() == recipe and (venv / "bin" / "kedro").is_file()):
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        print(f"creating {venv} (pip install {' '.join(requirements)}, the rest constrained)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        constraints_file = venv / "constraints.txt"
        constraints_file.write_text(constraints)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-c", str(constraints_file), *requirements],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"pip could not make the Kedro environment:\n{done.stdout}\n{done.stderr}")
        marker.write_text(recipe)
    listed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('kedro'), m.version('kedro-datasets'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    kedro_version, datasets_version = listed.stdout.split()
    print(f"Kedro {kedro_version}, kedro-datasets {datasets_version} in {venv}", flush=True)
    return kedro_version


# --- running and timing ------------------------------------------------------------------------


@dataclass
class Run:
    """One timed cold run."""

    seconds: float
    started: float  # epoch seconds, to read output modification times and hook records against
    stdout: str
    parts: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def process_group(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A child in a process group of its own; whatever of the group is left is killed on the way out."""
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        yield child
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def timed(command: Sequence[str], cwd: Path, env: Mapping[str, str], what: str) -> Run:
    """Run `command` to its end and time it (wall clock, from before the start to after the exit)."""
    started_at = time.time()
    started = time.perf_counter()
    with process_group(command, cwd, env) as child:
        stdout, stderr = child.communicate()
        seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{what} failed (exit {child.returncode}):\n{stdout}\n{stderr}")
    return Run(seconds, started_at, stdout + stderr)


def _untracked(folder: str, names: list[str]) -> set[str]:
    """What a copy of the working tree leaves out: bytecode, and the built products Git ignores.

    The variant's first commit takes every file it holds; DVC refuses to build an output Git tracks.
    """
    skipped = {name for name in names if name == "__pycache__"}
    if Path(folder).resolve() == (REPO / "data" / "products").resolve():
        skipped |= {name for name in names if name.endswith(".parquet")}
    return skipped


def factory_variant(folder: Path, revision: str | None) -> Path:
    """The project at `revision` (None: this working tree) in a fresh Git + DVC repository.

    Made as process_model.py makes its variants: no DVC cache, no outputs, no locks.
    """
    root = folder / "factory"
    root.mkdir()
    if revision is None:
        for item in PROJECT_ITEMS:
            source = REPO / item
            if source.is_dir():
                shutil.copytree(source, root / item, ignore=_untracked)
            elif source.exists():
                shutil.copy2(source, root / item)
    else:
        items = [item for item in PROJECT_ITEMS if (REPO / item).exists()]
        archive = subprocess.run(["git", "archive", revision, *items], cwd=REPO, capture_output=True, check=True)
        subprocess.run(["tar", "x"], cwd=root, input=archive.stdout, check=True)
    for generated in root.glob("use_cases/*/artifacts"):
        shutil.rmtree(generated)
    for lock in [root / "dvc.lock", *root.glob("use_cases/*/dvc.lock")]:
        lock.unlink(missing_ok=True)
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)  # type: ignore[call-overload]
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "p"], **run)  # type: ignore[call-overload]
    return root


def described(revision: str | None) -> str:
    """What the factory side builds, in words: a commit, or the working tree and whether it has changes."""
    git = {"cwd": REPO, "capture_output": True, "text": True, "check": True}
    if revision is not None:
        return f"commit {subprocess.run(['git', 'rev-parse', '--short', revision], **git).stdout.strip()}"  # type: ignore[call-overload]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **git).stdout.strip()  # type: ignore[call-overload]
    changes = subprocess.run(["git", "status", "--porcelain", "--", *PROJECT_ITEMS], **git).stdout.strip()  # type: ignore[call-overload]
    return f"the working tree at {head}" + (", with uncommitted changes" if changes else "")


def clean_factory(root: Path) -> None:
    """Forget every build: outputs, locks, DVC's cache and run cache."""
    for folder in [root / ".dvc/cache", root / ".dvc/tmp", root / "data/products", *root.glob("use_cases/*/artifacts")]:
        shutil.rmtree(folder, ignore_errors=True)
    for lock in [root / "dvc.lock", *root.glob("use_cases/*/dvc.lock")]:
        lock.unlink(missing_ok=True)


def latest_mtime(paths: Sequence[Path]) -> float:
    """The latest modification time among `paths` and the files under those that are folders."""
    files = [file for path in paths for file in ([path] if path.is_file() else path.rglob("*")) if file.is_file()]
    return max(file.stat().st_mtime for file in files)


def factory_round(root: Path, products: Sequence[str]) -> Run:
    """One cold `factory build churn`, cut into parts by its per-pipeline times and the times of its records.

    The marks: each product's Parquet file, each stage's last output (DVC copies a cached
    output back from its cache, so that time includes DVC's caching of it), and the `dvc.lock`
    of each pipeline, which DVC writes last. A pipeline's start is its lock's time less the
    seconds the factory printed for it.
    """
    clean_factory(root)
    env = {**os.environ, "PYTHONPATH": str(root), "DVC_NO_ANALYTICS": "1"}
    run = timed([str(Path(sys.executable).parent / "factory"), "build", USE_CASE], root, env, "factory build")
    targets = {m[1]: float(m[2]) for m in re.finditer(r"^(.+?): built \(.*\) ([0-9.]+) s$", run.stdout, re.M)}
    if set(targets) != {"data products", USE_CASE}:
        raise SystemExit(f"factory build: expected the data products and {USE_CASE} to be built:\n{run.stdout}")
    artifacts = root / "use_cases" / USE_CASE / "artifacts"
    products_end = (root / "dvc.lock").stat().st_mtime
    churn_end = (root / "use_cases" / USE_CASE / "dvc.lock").stat().st_mtime
    built = sorted((root / "data" / "products" / f"{name}.parquet").stat().st_mtime for name in products)
    ends = {
        "prepare": latest_mtime([artifacts / "train.parquet", artifacts / "test.parquet"]),
        "train": latest_mtime([artifacts / "model.skops", artifacts / "predictions.parquet"]),
        "evaluate": latest_mtime(
            [artifacts / name for name in ("metrics.json", "slice_metrics.json", "reference_profile.json", "plots")]
        ),
        "report": latest_mtime([artifacts / name for name in ("lineage.json", "model_card.md", "model_card.html")]),
    }
    products_start = products_end - targets["data products"]
    churn_start = churn_end - targets[USE_CASE]
    run.parts = {
        "start: CLI, compile check, plan, DVC worker, status": products_start - run.started,
        "first data product (waits for the stage server's imports)": built[0] - products_start,
        "second data product": built[-1] - built[0],
        "products' lock, status again, churn's DVC start": churn_start - built[-1],
        "prepare": ends["prepare"] - churn_start,
        "train": ends["train"] - ends["prepare"],
        "evaluate (metrics, slices, profile, plots)": ends["evaluate"] - ends["train"],
        "report (lineage, model card)": ends["report"] - ends["evaluate"],
        "churn's lock, metrics table, servers stopped, exit": run.started + run.seconds - ends["report"],
    }
    return run


def kedro_round(template: Path, folder: Path, venv: Path) -> Run:
    """One `kedro run` in a fresh copy of the generated project, with its parts from the node-timing hook."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(template, folder)
    # No telemetry: with no network it could only wait; and nothing of the project's environment.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "VIRTUAL_ENV": str(venv)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run = timed([str(venv / "bin" / "kedro"), "run"], folder, env, "kedro run")
    nodes = json.loads((folder / "node_times.json").read_text())
    first = min(start for start, _ in nodes.values())
    last = max(end for _, end in nodes.values())
    run.parts = {"start-up before the first node: Kedro, session, catalog, node imports": first - run.started}
    labels = {
        "customers": "node customers (source, transforms, save)",
        "customer_usage": "node customer_usage (source, save)",
        "prepare": "node prepare (load, join, split, save)",
        "train": "node train (load, fit, predict, save model and predictions)",
        "evaluate": "node evaluate (load, metrics, slices, save)",
    }
    for name, label in labels.items():
        run.parts[label] = nodes[name][1] - nodes[name][0]
    run.parts["between nodes"] = (last - first) - sum(end - start for start, end in nodes.values())
    run.parts["after the last node: hooks, exit"] = run.started + run.seconds - last
    return run


# --- checks and the factory-only work ----------------------------------------------------------

COMPARE = """\
import json, sys
from pathlib import Path
import numpy as np
import pandas as pd
factory, kedro = Path(sys.argv[1]), Path(sys.argv[2])
art = factory / "use_cases" / "churn" / "artifacts"
same = {}
for ours, theirs in (("customers", "customers"), ("customer-usage", "customer_usage")):
    a = pd.read_parquet(factory / "data" / "products" / f"{ours}.parquet")
    b = pd.read_parquet(kedro / "data" / "02_intermediate" / f"{theirs}.parquet")
    same[f"data product {ours}"] = a.equals(b)
for name in ("train", "test"):
    a = pd.read_parquet(art / f"{name}.parquet")
    b = pd.read_parquet(kedro / "data" / "05_model_input" / f"{name}.parquet")
    same[f"{name} table"] = a.equals(b)
a = pd.read_parquet(art / "predictions.parquet")
b = pd.read_parquet(kedro / "data" / "07_model_output" / "predictions.parquet")
proba = [frame.filter(like="probability_").to_numpy() for frame in (a, b)]
same["predicted probabilities"] = bool(np.array_equal(*proba))
for name in ("metrics.json", "slice_metrics.json"):
    theirs = kedro / "data" / "08_reporting" / name
    same[name] = json.loads((art / name).read_text()) == json.loads(theirs.read_text())
print(json.dumps(same))
"""

# Each stage's own work, and the factory-only parts of it, without DVC: each in a child forked
# from a process that imported the stage server's libraries, as the server runs a stage. The
# stages rewrite the last build's outputs (the same bytes).
STAGES_ALONE = """\
import gc, importlib, json, os, sys, tempfile, time, traceback
from pathlib import Path
from factory.stage_server import PRELOAD
for module in PRELOAD:
    importlib.import_module(module)
gc.freeze()
root, name, products = Path.cwd(), sys.argv[1], sys.argv[2:]

def in_child(work):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            os.write(write, json.dumps(work()).encode())
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    os.close(write)
    data = b""
    while chunk := os.read(read, 1 << 16):
        data += chunk
    os.close(read)
    if os.waitpid(pid, 0)[1] != 0:
        raise SystemExit("a stage failed")
    return json.loads(data)

def stage(which, target):
    def work():
        started = time.perf_counter()
        from factory.stages import run_stage
        run_stage(which, target, root)
        return time.perf_counter() - started
    return work

def inputs():
    import pandas as pd
    from factory.artifacts.params import load_product_params, load_use_case_params
    from factory.artifacts.predictions import read_predictions
    from factory.paths import ProjectPaths
    project = ProjectPaths(root)
    paths = project.use_case(name)
    params = load_use_case_params(paths)
    test = pd.read_parquet(paths.test_data)
    return project, paths, params, test, read_predictions(paths.predictions, test[params.target].to_numpy())

def pandera():
    import pandas as pd
    from factory.artifacts.params import load_product_params
    from factory.datacheck import validate_frame
    project, paths, params, test, predictions = inputs()
    specs = load_product_params(project)
    frames = {p: pd.read_parquet(root / specs[p].output_path) for p in products}
    started = time.perf_counter()
    for p, frame in frames.items():
        validate_frame(frame, specs[p].table_schema, p)
    return time.perf_counter() - started

def profile():
    from factory.artifacts.metrics import compute_metrics
    from factory.artifacts.profile import build_profile
    project, paths, params, test, p = inputs()
    metrics = compute_metrics(p, params)
    started = time.perf_counter()
    build_profile(test, params.features.numeric, params.features.categorical, p.y_pred, params.task,
                  params.target, metrics, params.evaluation.primary_metric)
    return time.perf_counter() - started

def quality():
    import pandas as pd
    from factory.artifacts.quality import quality_findings
    project, paths, params, test, p = inputs()
    train = pd.read_parquet(paths.train_data)
    started = time.perf_counter()
    quality_findings(train, test, params)
    return time.perf_counter() - started

def plots():
    from factory.stages import plots
    project, paths, params, test, p = inputs()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        plots.write_plots(Path(folder), p.y_true, p.y_pred, p.y_proba, p.labels, params.task)
        return time.perf_counter() - started

def report():
    from factory.stages import report
    project, paths, params, test, p = inputs()
    started = time.perf_counter()
    report.run(params, paths)
    return time.perf_counter() - started

stages = {f"data-product {p}": stage("data-product", p) for p in products}
stages |= {s: stage(s, name) for s in ("prepare", "train", "evaluate", "report")}
parts = {
    "pandera validation of both data products": pandera,
    "data-quality tests (in prepare)": quality,
    "reference profile": profile,
    "plots (3 CSV, 3 PNG)": plots,
    "lineage and model card (the report stage's work)": report,
}
result = {"stages": {k: in_child(w) for k, w in stages.items()}}
result["parts"] = {k: in_child(w) for k, w in parts.items()}
print(json.dumps(result))
"""


def python_json(python: str, script: str, args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Any:
    """Run `script` with `python` and return the JSON its last line prints."""
    with process_group([python, "-c", script, *args], cwd, env) as child:
        stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"a check failed:\n{stdout}\n{stderr}")
    return json.loads(stdout.strip().splitlines()[-1])


def medians(runs: Sequence[Run]) -> dict[str, float]:
    """The median of each part over the runs, in the order of the first run."""
    return {part: statistics.median(run.parts[part] for run in runs) for part in runs[0].parts}


def fixed_costs(root: Path, env: Mapping[str, str], venv: Path) -> dict[str, float]:
    """Start-up costs measured alone, after the rounds (the last build's outputs in place)."""
    factory = str(Path(sys.executable).parent / "factory")
    costs = {}
    noop = timed([factory, "build", USE_CASE], root, env, "no-op factory build")
    if noop.stdout.count("up to date, nothing ran") != 2:
        raise SystemExit(f"the factory build after the rounds was not a no-op:\n{noop.stdout}")
    costs["factory: no-op build (everything up to date: CLI, compile check, DVC status, exit)"] = noop.seconds
    shutil.rmtree(root / ".factory", ignore_errors=True)
    costs["factory: compile --check without the composition cache (a fresh clone's)"] = timed(
        [factory, "compile", "--check"], root, env, "factory compile --check"
    ).seconds
    costs["factory: compile --check with it (every round after the first)"] = timed(
        [factory, "compile", "--check"], root, env, "factory compile --check"
    ).seconds
    imports = (
        "from factory.stage_server import PRELOAD; import importlib; [importlib.import_module(m) for m in PRELOAD]"
    )
    costs["factory: the stage server's imports in a new process"] = timed(
        [sys.executable, "-c", imports], root, env, "imports"
    ).seconds
    kedro_env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    kedro_imports = "import kedro.framework.cli, kedro.framework.session, kedro_datasets.pandas, sklearn.ensemble"
    costs["kedro: import of Kedro's CLI and session, pandas datasets, scikit-learn"] = timed(
        [str(venv / "bin" / "python"), "-c", kedro_imports], root, kedro_env, "imports"
    ).seconds
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the Kedro virtualenv, made when missing")
    parser.add_argument("--revision", help="build the project at this commit (default: the working tree)")
    args = parser.parse_args()
    kedro_version = kedro_venv(args.venv)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    with tempfile.TemporaryDirectory(prefix="kedro-comparison-") as temporary:
        folder = Path(temporary)
        print(f"factory side: {described(args.revision)}", flush=True)
        factory_root = factory_variant(folder, args.revision)
        # The code the Kedro nodes import the data product functions from: a copy of its own,
        # so the comparison never reads the working tree while others edit it.
        code = folder / "code"
        for package in ("factory", "components"):
            shutil.copytree(factory_root / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
        parameters = kedro_parameters(factory_root)
        products = ["customers", "customer-usage"]
        template = write_kedro_project(folder / "kedro-template", parameters, code, kedro_version)
        kedro_folder = folder / "kedro-run"
        runs: dict[str, list[Run]] = {"factory": [], "kedro": []}
        for round_number in range(args.rounds):
            order = ["factory", "kedro"] if round_number % 2 == 0 else ["kedro", "factory"]
            for side in order:
                if side == "factory":
                    run = factory_round(factory_root, products)
                else:
                    run = kedro_round(template, kedro_folder, args.venv)
                runs[side].append(run)
                print(f"round {round_number + 1}: {side} {run.seconds:.2f} s", flush=True)
        load = os.getloadavg()
        print(f"load average after the rounds: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        factory_env = {**os.environ, "PYTHONPATH": str(factory_root), "DVC_NO_ANALYTICS": "1"}
        same = python_json(sys.executable, COMPARE, [str(factory_root), str(kedro_folder)], folder, factory_env)
        artifacts = factory_root / "use_cases" / USE_CASE / "artifacts"
        primary = parameters["churn"]["metrics"][0]
        metric = {
            "factory": json.loads((artifacts / "metrics.json").read_text())[primary],
            "kedro": json.loads((kedro_folder / "data" / "08_reporting" / "metrics.json").read_text())[primary],
        }
        sizes = {
            "factory": (artifacts / "model.skops").stat().st_size,
            "kedro": (kedro_folder / "data" / "06_models" / "model.skops").stat().st_size,
        }
        costs = fixed_costs(factory_root, factory_env, args.venv)
        alone = python_json(sys.executable, STAGES_ALONE, [USE_CASE, *products], factory_root, factory_env)

    median = {side: statistics.median(run.seconds for run in side_runs) for side, side_runs in runs.items()}
    ratio = median["factory"] / median["kedro"]
    print(f"\ncold run of {USE_CASE}, median of {args.rounds}:")
    each = {side: ", ".join(f"{run.seconds:.2f}" for run in side_runs) for side, side_runs in runs.items()}
    print(f"  factory build {USE_CASE}: {median['factory']:.2f} s ({each['factory']})")
    print(f"  kedro run: {median['kedro']:.2f} s ({each['kedro']})")
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    print(f"  ratio factory / kedro: {ratio:.2f} (target <= {TARGET_RATIO:.2f}: {verdict})")
    print("\nthe same results?")
    for what, equal in same.items():
        print(f"  {what}: {'identical' if equal else 'DIFFERENT'}")
    print(f"  {primary}: factory {metric['factory']}, kedro {metric['kedro']}")
    print(f"  model file: factory {sizes['factory'] / 1e6:.2f} MB, kedro {sizes['kedro'] / 1e6:.2f} MB")
    for side, side_runs in runs.items():
        print(f"\nparts of the {side} run (medians, s):")
        for part, seconds in medians(side_runs).items():
            print(f"  {seconds:6.2f}  {part}")
    print("\nmeasured alone, after the rounds (s):")
    for what, seconds in costs.items():
        print(f"  {seconds:6.2f}  {what}")
    print("\nthe factory's stages without DVC, each in a fork of a process with the server's imports (s):")
    for what, seconds in alone["stages"].items():
        print(f"  {seconds:6.2f}  {what}")
    total = sum(alone["stages"].values())
    print(f"  {total:6.2f}  all six")
    print("  of which, factory-only work:")
    for what, seconds in alone["parts"].items():
        print(f"  {seconds:6.2f}    {what}")
    noop = next(seconds for what, seconds in costs.items() if "no-op" in what)
    print(
        f"\nfactory median {median['factory']:.2f} s = no-op build {noop:.2f} + stages alone {total:.2f}"
        f" + the rest {median['factory'] - noop - total:.2f} (DVC per stage, hand-over to the server, waiting for"
        " its imports)"
    )
    print("\ncounted in the factory's time, not done by the Kedro port:")
    for item in FACTORY_ONLY:
        print(f"  - {item}")


if __name__ == "__main__":
    main()
