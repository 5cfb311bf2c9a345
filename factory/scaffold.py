"""Scaffolding: a new use case, data product or component from the cookiecutter templates.

Each command checks its inputs first, renders into a temporary folder, validates the result
with the same code that `factory check` runs, and only then moves it into place: a refused
or invalid request writes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from factory import dvc_api, registry
from factory.artifacts.products import product_frame
from factory.compile import plan_compile, write_files
from factory.compose import load_policy, load_products, load_use_case, use_case_names
from factory.errors import ConfigError, FactoryError
from factory.io import atomic_write_text
from factory.paths import ProjectPaths
from factory.spec import EMAIL_PATTERN, RISK_TIERS, SLUG_PATTERN, DataProductSpec, TableSchema

TEMPLATES = Path(__file__).resolve().parent / "templates"
PRIMARY_METRIC = {"binary_classification": "roc_auc", "multiclass_classification": "accuracy", "regression": "r2"}
EXTRA_METRICS = {
    "binary_classification": ["accuracy", "f1"],
    "multiclass_classification": ["f1", "log_loss"],
    "regression": ["rmse", "mae"],
}
MAX_ALLOWED_VALUES = 20  # a text column with at most this many distinct values gets an `allowed` list
COMPONENT_NAME = r"^[a-z][a-z0-9_]{1,62}$"


@dataclass(frozen=True)
class UseCaseAnswers:
    """What `factory new use-case` asks."""

    name: str
    task: str
    product: str
    target: str
    model: str
    owner: str
    risk_tier: str = "low"
    description: str = ""


# ---------------------------------------------------------------- use cases


def new_use_case(root: Path, answers: UseCaseAnswers) -> list[Path]:
    """Render, validate and compile a new use case; return the files written."""
    paths = ProjectPaths(root)
    context = use_case_context(paths, answers)
    target = paths.use_case(answers.name).folder
    with _rendered("use-case", context, paths.use_cases) as rendered:
        shutil.move(str(rendered / answers.name), target)
    try:
        load_use_case(paths, answers.name, load_products(paths))
        written = write_files(plan_compile(paths, [answers.name]))
    except FactoryError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return [paths.use_case(answers.name).config, *written]


# The hyperparameter search a new use case starts with, per model preset: the one or two
# params that matter most, a few values each, 3-fold, so the first build stays quick.
DEFAULT_SEARCH: dict[str, dict[str, list[Any]]] = {
    "random_forest": {"min_samples_leaf": [1, 5, 20]},
    "extra_trees_classifier": {"min_samples_leaf": [1, 5, 20]},
    "extra_trees_regressor": {"min_samples_leaf": [1, 5, 20]},
    "gradient_boosting_classifier": {"learning_rate": [0.05, 0.1, 0.2]},
    "gradient_boosting_regressor": {"learning_rate": [0.05, 0.1, 0.2]},
    "logistic_regression": {"C": [0.1, 1.0, 10.0]},
    "ridge": {"alpha": [0.1, 1.0, 10.0]},
    "elastic_net": {"alpha": [0.01, 0.1, 1.0]},
}
SEARCH_FOLDS = 3

# The model preset a new use case starts from when none is given, per task.
DEFAULT_MODEL = {
    "binary_classification": "random_forest",
    "multiclass_classification": "random_forest",
    "regression": "gradient_boosting_regressor",
}


def proposed_task(paths: ProjectPaths, product: str, target: str) -> str:
    """The task a target suggests, from its declared schema: two classes, more, or numbers."""
    try:
        column = load_products(paths)[product].table_schema.columns.get(target)
    except (FactoryError, KeyError):
        column = None  # the answers are checked, with a clear message, when the use case is made
    if column is None:
        return "binary_classification"
    if column.allowed is not None:
        return "binary_classification" if len(set(column.allowed)) <= 2 else "multiclass_classification"
    if column.dtype in ("float64", "int64"):
        return "regression"
    return "binary_classification"


def use_case_context(paths: ProjectPaths, answers: UseCaseAnswers) -> dict[str, str]:
    """Check the answers against the project and work out the features from the product's schema."""
    shown = "factory new use-case"

    def refuse(key: str, expected: str, got: str) -> ConfigError:
        return ConfigError.single(shown, key, expected, repr(got))

    if not re.fullmatch(SLUG_PATTERN, answers.name):
        raise refuse("name", "a slug of lower-case letters, digits and hyphens, starting with a letter", answers.name)
    if answers.name in use_case_names(paths) or paths.use_case(answers.name).folder.exists():
        raise refuse("name", "a name no use case has yet", answers.name)
    if answers.task not in PRIMARY_METRIC:
        raise refuse("task", f"one of {', '.join(PRIMARY_METRIC)}", answers.task)
    if answers.risk_tier not in RISK_TIERS:
        raise refuse("risk_tier", "low, medium or high", answers.risk_tier)
    if not re.fullmatch(EMAIL_PATTERN, answers.owner):
        raise refuse("owner", "an e-mail address", answers.owner)
    products = load_products(paths)
    if answers.product not in products:
        raise refuse("product", f"a data product in conf/data/ ({', '.join(sorted(products))})", answers.product)
    columns = products[answers.product].table_schema.columns
    if answers.target not in columns:
        raise refuse("target", f"a column of {answers.product} ({', '.join(columns)})", answers.target)
    presets = sorted(file.stem for file in (paths.conf / "model").glob("*.yaml"))
    if answers.model not in presets:
        raise refuse("model", f"a preset in conf/model/ ({', '.join(presets)})", answers.model)
    preset = yaml.safe_load((paths.conf / "model" / f"{answers.model}.yaml").read_text(encoding="utf-8")) or {}
    if answers.task not in registry.get("model", str(preset.get("component"))).tasks:
        raise refuse("model", f"a preset whose model suits {answers.task}", answers.model)

    banned = set(load_policy(paths.root).banned(answers.risk_tier))
    if banned & set(columns[answers.target].tags):
        raise refuse(
            "target", f"a column not tagged {', '.join(sorted(banned))} (conf/governance/policy.yaml)", answers.target
        )
    numeric, categorical, slices = [], [], []
    for column, declared in columns.items():
        if "pii" not in declared.tags and (
            "protected" in declared.tags or (declared.dtype == "string" and declared.allowed is not None)
        ):
            slices.append(column)  # metrics per slice, and fairness gates on protected columns
        if column == answers.target or declared.unique or banned & set(declared.tags):
            continue  # identifiers predict nothing that generalises; the policy bans the rest
        if declared.dtype in ("int64", "float64", "bool"):
            numeric.append(column)
        elif declared.dtype == "string":
            categorical.append(column)
    slices = [column for column in slices if column != answers.target]
    space = DEFAULT_SEARCH.get(answers.model)
    search = {"method": "grid", "space": space, "cv": SEARCH_FOLDS, "seed": 0} if space else None
    classifier = answers.task != "regression"
    return {
        "name": answers.name,
        "description": answers.description or f"Predict {answers.target} from {answers.product}.",
        "owner": answers.owner,
        "risk_tier": answers.risk_tier,
        "task": answers.task,
        "product": answers.product,
        "target": answers.target,
        "model": answers.model,
        "numeric": json.dumps(numeric),
        "categorical": json.dumps(categorical),
        "primary_metric": PRIMARY_METRIC[answers.task],
        "metrics": json.dumps(EXTRA_METRICS[answers.task]),
        "stratify": "true" if classifier else "false",
        "slices": json.dumps(slices),
        "search": json.dumps(search) if search else "",
    }


@contextmanager
def _rendered(template: str, context: dict[str, str], near: Path) -> Iterator[Path]:
    """Render a cookiecutter template into a temporary folder next to where it will go."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    near.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=near, prefix=".new-") as folder:
        try:
            cookiecutter(
                str(TEMPLATES / template), no_input=True, extra_context=context, output_dir=folder, accept_hooks=True
            )
        except CookiecutterException as exc:
            raise FactoryError(f"template {template}: {exc}") from exc
        yield Path(folder)


# ---------------------------------------------------------------- data products


# The source component that reads each kind of file `factory new data-product --from` takes.
FILE_SOURCES = {".csv": "csv_file", ".parquet": "parquet_file", ".xlsx": "excel_file", ".duckdb": "sql_query"}


def new_data_product(
    root: Path, source: Path, name: str, owner: str | None = None, query: str | None = None
) -> list[Path]:
    """Add a CSV, Parquet, Excel or DuckDB file to DVC, infer its schema, and declare it in conf/data/<name>.yaml.

    The file is read by the source component the declaration names, from its place under
    data/raw/, so the inferred schema is the one a build will check.
    """
    paths = ProjectPaths(root)
    shown = "factory new data-product"
    if not re.fullmatch(SLUG_PATTERN, name):
        raise ConfigError.single(shown, "name", "a slug of lower-case letters, digits and hyphens", repr(name))
    if paths.product_config(name).exists():
        raise ConfigError.single(shown, "name", "a name no data product has yet", repr(name))
    if source.suffix not in FILE_SOURCES or not source.is_file():
        raise ConfigError.single(shown, "from", "an existing .csv, .parquet, .xlsx or .duckdb file", str(source))
    raw = root / "data" / "raw" / f"{name}{source.suffix}"
    if raw.exists() and raw.resolve() != source.resolve():
        raise ConfigError.single(shown, "name", "a name whose raw file data/raw/ does not hold yet", repr(name))
    component = registry.get("source", FILE_SOURCES[source.suffix])
    # A DuckDB file is read by a query (`--query`); every other file by its path.
    params: dict[str, Any] = {"database": paths.rel(raw), "query": query} if query else {"path": paths.rel(raw)}
    copied = raw.resolve() != source.resolve()
    raw.parent.mkdir(parents=True, exist_ok=True)
    if copied:
        shutil.copy2(source, raw)
    try:
        frame = _read_with(component, params, root)
        if frame.empty or not len(frame.columns):
            raise ConfigError.single(shown, "from", "a table with rows and columns", "an empty table")
    except FactoryError:
        if copied:
            raw.unlink(missing_ok=True)
        raise
    declaration = {
        "description": f"{name}, from {source.name} ({len(frame)} rows when declared).",
        **({"owner": owner} if owner else {}),
        "source": {"component": component.name, "params": params},
        "schema": {"columns": infer_columns(frame)},
    }
    text = (
        f"# {name}: declared by `factory new data-product --from {source.name}`; review the schema.\n"
        + yaml.safe_dump(declaration, sort_keys=False, allow_unicode=True, width=120)
    )
    atomic_write_text(paths.product_config(name), text)
    try:
        load_products(paths)
        dvc_api.add(root, paths.rel(raw))
        written = write_files(plan_compile(paths, []))
    except FactoryError:
        paths.product_config(name).unlink(missing_ok=True)
        raise
    return [paths.product_config(name), raw.with_name(raw.name + ".dvc"), *written]


def _read_with(component: registry.Component, params: dict[str, Any], root: Path) -> Any:
    """The table a source component reads with `params`, or `ConfigError` naming why not."""
    try:
        return component(component.parse_params(params), registry.RunContext(root=root, product_paths={}))
    except Exception as exc:  # a source raises what its reader raises
        raise ConfigError.single(
            "factory new data-product", "from", "a readable table", " ".join(str(exc).split())
        ) from exc


def built_product(root: Path, name: str) -> tuple[Any, DataProductSpec]:
    """A declared product's rows, built now in memory (its source and transforms), with its declaration."""
    paths = ProjectPaths(root)
    products = load_products(paths)
    if name not in products:
        known = ", ".join(sorted(products))
        raise ConfigError.single(
            "factory infer-schema", "name", f"a declared data product (one of: {known})", repr(name)
        )
    try:
        return product_frame(products[name], products, root), products[name]
    except FactoryError:
        raise
    except Exception as exc:  # a component raises what its library raises
        raise FactoryError(f"data product {name!r}: cannot build it to infer its schema ({exc})") from exc


def schema_differences(frame: Any, declared: TableSchema) -> list[str]:
    """Where the data and the declared schema disagree, one line each; declared bounds the data keep are fine."""
    import pandas as pd

    inferred = infer_columns(frame)
    lines = [
        f"+ {name}: {inferred[name]} (in the data, not declared)" for name in inferred if name not in declared.columns
    ]
    for name, column in declared.columns.items():
        if name not in frame.columns:
            lines.append(f"- {name}: declared, not in the data")
            continue
        values, seen = frame[name], inferred[name]
        if seen["dtype"] != column.dtype:
            lines.append(f"~ {name}: declared dtype {column.dtype}, the data are {seen['dtype']}")
        if values.isna().any() and not column.nullable:
            lines.append(f"~ {name}: declared not nullable, {int(values.isna().sum())} value(s) missing")
        if column.unique and not values.dropna().is_unique:
            lines.append(f"~ {name}: declared unique, values repeat")
        numbers = pd.to_numeric(values, errors="coerce") if column.dtype in ("int64", "float64") else None
        if numbers is not None and column.min is not None and (numbers < column.min).any():
            lines.append(f"~ {name}: declared min {column.min}, the data go down to {_plain(numbers.min())}")
        if numbers is not None and column.max is not None and (numbers > column.max).any():
            lines.append(f"~ {name}: declared max {column.max}, the data go up to {_plain(numbers.max())}")
        if column.allowed is not None:
            unexpected = sorted({str(v) for v in values.dropna().unique()} - {str(v) for v in column.allowed})
            if unexpected:
                lines.append(f"~ {name}: values not in allowed: {', '.join(unexpected[:10])}")
    return lines


def infer_columns(frame: Any) -> dict[str, dict[str, Any]]:
    """A first schema from a sample, with pandera's inference plus allowed values for small text columns."""
    import pandera.pandas as pa

    inferred = pa.infer_schema(frame)
    columns: dict[str, dict[str, Any]] = {}
    for name, column in inferred.columns.items():
        series = frame[name]
        dtype = _declared_dtype(str(column.dtype))
        entry: dict[str, Any] = {"dtype": dtype}
        if column.nullable:
            entry["nullable"] = True
        # Only the sign: a sample's largest value is no bound on production's (a customer of 60
        # when the sample's oldest was 55 is plausible), but a count or an amount stays >= 0.
        if dtype in ("int64", "float64") and series.notna().any() and series.min() >= 0:
            entry["min"] = 0
        if dtype in ("int64", "string") and series.is_unique and not series.isna().any():
            entry["unique"] = True
        if dtype == "string" and not entry.get("unique") and series.nunique() <= MAX_ALLOWED_VALUES:
            entry["allowed"] = sorted(str(value) for value in series.dropna().unique())
        columns[str(name)] = entry
    return columns


def _declared_dtype(pandera_dtype: str) -> str:
    if pandera_dtype.startswith("int"):
        return "int64"
    if pandera_dtype.startswith("float"):
        return "float64"
    if pandera_dtype.startswith("bool"):
        return "bool"
    if pandera_dtype.startswith("datetime"):
        return "datetime64[ns]"
    return "string"


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------- components

# The kinds the component template has a branch for (drift tests are written by hand for now).
TEMPLATE_KINDS: tuple[registry.Kind, ...] = ("source", "transform", "feature", "model", "metric")


def new_component(root: Path, kind: str, name: str) -> list[Path]:
    """A new component module in components/<kind>/ and a test for it, both passing as generated."""
    shown = "factory new component"
    if kind not in TEMPLATE_KINDS:
        raise ConfigError.single(shown, "kind", f"one of {', '.join(TEMPLATE_KINDS)}", repr(kind))
    if not re.fullmatch(COMPONENT_NAME, name):
        raise ConfigError.single(
            shown, "name", "a Python-style name: lower-case letters, digits and underscores", repr(name)
        )
    if name in registry.names(kind):
        raise ConfigError.single(shown, "name", f"a name no {kind} component has yet", repr(name))
    module = root / "components" / f"{kind}s" / f"{name}.py"
    test = root / "tests" / "components" / f"test_{name}.py"
    for path in (module, test):
        if path.exists():
            raise ConfigError.single(shown, "name", "a name with no module or test file yet", str(path))
    context = {"kind": kind, "name": name, "title": name.replace("_", " ")}
    with _rendered("component", context, root / "components") as rendered:
        produced = rendered / name
        module.parent.mkdir(parents=True, exist_ok=True)
        test.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(produced / "component.py", module)
        shutil.copy2(produced / "test_component.py", test)
    return [module, test]
