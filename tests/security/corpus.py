"""Hostile configs, each what a pull-request author could write, and the few honest odd ones.

Every case edits a copy of a small project (`Probe`): the use case `probe` reads the data
product `flowers` (scikit-learn's iris, as a CSV under data/raw/). A case may rewrite the use
case's config, the product's declaration, a preset, or plant files and symlinks. The project
holds secrets where an attacker would look for them (the environment, `.git/config`,
`.dvc/config.local`, a YAML file outside the project) and a marker file that only code run by
a config would create.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SECRET = "corpus-secret-5f0c9a1e77"
SECRET_VARIABLE = "AWS_SECRET_ACCESS_KEY"

BASE_CONFIG: dict[str, Any] = {
    "defaults": [{"/model@model": "logistic_regression"}, "_self_"],
    "description": "Which iris species a flower is, from its measurements.",
    "owner": "botany@example.com",
    "risk_tier": "low",
    "task": "multiclass_classification",
    "data": [{"product": "flowers"}],
    "target": "species",
    "features": {"numeric": ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]},
    "evaluation": {"primary_metric": "accuracy"},
}

BASE_PRODUCT: dict[str, Any] = {
    "description": "Iris flowers and their measurements (scikit-learn's copy).",
    "owner": "botany@example.com",
    "source": {"component": "csv_file", "params": {"path": "data/raw/flowers.csv"}},
    "schema": {
        "columns": {
            "sample_id": {"dtype": "int64", "unique": True},
            "sepal_length_cm": {"dtype": "float64", "min": 0},
            "sepal_width_cm": {"dtype": "float64", "min": 0},
            "petal_length_cm": {"dtype": "float64", "min": 0},
            "petal_width_cm": {"dtype": "float64", "min": 0},
            "species": {"dtype": "string", "allowed": ["setosa", "versicolor", "virginica"]},
        }
    },
}


@dataclass(frozen=True)
class Probe:
    """A project copy under attack, with the places a case may aim at."""

    root: Path
    outside: Path  # a folder beside the project, holding a YAML file full of secrets
    marker: Path  # created only if a config managed to run code

    @property
    def config(self) -> Path:
        return self.root / "use_cases/probe/config.yaml"

    @property
    def product(self) -> Path:
        return self.root / "conf/data/flowers.yaml"


Edit = Callable[[Probe], None]


@dataclass(frozen=True)
class Case:
    """One hostile input: its id, its category, and how it changes the project."""

    id: str
    category: str
    edit: Edit


def dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000)


def config(change: Callable[[dict[str, Any]], Any]) -> Edit:
    """The base use case config, changed by `change` (which edits it in place)."""

    def edit(probe: Probe) -> None:
        value = yaml.safe_load(dump(BASE_CONFIG))
        change(value)
        probe.config.write_text(dump(value), encoding="utf-8")

    return edit


def raw_config(text: str) -> Edit:
    """The use case config as this exact text; `{marker}` and `{outside}` are filled in."""

    def edit(probe: Probe) -> None:
        probe.config.write_text(_filled(text, probe), encoding="utf-8")

    return edit


def appended(text: str) -> Edit:
    """The base config, without the keys `text` sets, then `text` as written (YAML the dumper cannot make)."""

    def edit(probe: Probe) -> None:
        extra = _filled(text, probe)
        keys = {line.split(":", 1)[0] for line in extra.splitlines() if line and not line.startswith((" ", "-", "#"))}
        value = {key: item for key, item in yaml.safe_load(dump(BASE_CONFIG)).items() if key not in keys}
        probe.config.write_text(dump(value) + extra, encoding="utf-8")

    return edit


def product(change: Callable[[dict[str, Any]], Any]) -> Edit:
    """The base data product declaration, changed by `change`."""

    def edit(probe: Probe) -> None:
        value = yaml.safe_load(dump(BASE_PRODUCT))
        change(value)
        probe.product.write_text(dump(value), encoding="utf-8")

    return edit


def raw_product(text: str) -> Edit:
    def edit(probe: Probe) -> None:
        probe.product.write_text(_filled(text, probe), encoding="utf-8")

    return edit


def source_path(path: str) -> Edit:
    """The product reads its CSV from `path` (`{outside}` is filled in)."""

    def edit(probe: Probe) -> None:
        product(lambda p: p["source"]["params"].update(path=_filled(path, probe)))(probe)

    return edit


def preset(name: str, text: str, use: bool = True) -> Edit:
    """A model preset conf/model/<name>.yaml with `text`, picked by the use case when `use`."""

    def edit(probe: Probe) -> None:
        (probe.root / "conf/model" / f"{name}.yaml").write_text(_filled(text, probe), encoding="utf-8")
        if use:
            config(lambda c: c.update(defaults=[{"/model@model": name}, "_self_"]))(probe)

    return edit


def symlink(link: str, target: str, then: Edit | None = None) -> Edit:
    """A symlink at `link` (relative to the root) to `target` (`{outside}` and `{root}` filled in)."""

    def edit(probe: Probe) -> None:
        path = probe.root / link
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        os.symlink(_filled(target, probe), path)
        if then is not None:
            then(probe)

    return edit


def both(*edits: Edit) -> Edit:
    def edit(probe: Probe) -> None:
        for each in edits:
            each(probe)

    return edit


def write(path: str, text: str | bytes) -> Edit:
    def edit(probe: Probe) -> None:
        file = probe.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            file.write_bytes(text)
        else:
            file.write_text(_filled(text, probe), encoding="utf-8")

    return edit


def _filled(text: str, probe: Probe) -> str:
    return (
        text.replace("{marker}", str(probe.marker))
        .replace("{outside}", str(probe.outside))
        .replace("{root}", str(probe.root))
    )


def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted key of the config (creating mappings on the way)."""

    def change(target: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value

    return change


def model(params: dict[str, Any], component: str = "logistic_regression", **extra: Any) -> Edit:
    return config(set_in("model", {"component": component, "params": params, **extra}))


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


def laughs(levels: int, fan: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan)}]")
    return "\n".join(lines) + "\n"


EXEC = "touch {marker}"

CASES: list[Case] = []


def case(category: str, id: str, edit: Edit) -> None:
    CASES.append(Case(f"{category}-{id}", category, edit))


# ---------------------------------------------------------------- unknown keys and types
K = "keys"
case(K, "unknown-top-key", config(lambda c: c.update(evaluaton={"primary_metric": "accuracy"})))
case(K, "owner-a-number", config(set_in("owner", 42)))
case(K, "owner-not-an-email", config(set_in("owner", "nobody")))
case(K, "risk-tier-unknown", config(set_in("risk_tier", "extreme")))
case(K, "task-unknown", config(set_in("task", "clustering")))
case(K, "data-a-string", config(set_in("data", "flowers")))
case(K, "data-empty", config(set_in("data", [])))
case(K, "features-a-list", config(set_in("features", ["a", "b"])))
case(K, "features-empty", config(set_in("features", {"numeric": []})))
case(K, "metric-a-number", config(set_in("evaluation.primary_metric", 3)))
case(K, "split-kind-unknown", config(set_in("split", {"kind": "weird"})))
case(K, "param-unknown", model({"n_trees": 10}))
case(K, "component-unknown", model({}, component="xgboost"))
case(K, "component-homoglyph", model({}, component="logistic_regressiоn"))
case(K, "gate-empty", config(set_in("release", {"gates": {"accuracy": {}}})))
case(K, "card-field-a-list", config(set_in("card.intended_use", ["a", "b"])))
case(K, "config-a-list", raw_config("- a\n- b\n"))
case(K, "config-a-scalar", raw_config("just text\n"))
case(K, "config-empty", raw_config(""))
case(K, "product-unknown-key", product(lambda p: p.update(colour="red")))
case(K, "product-dtype-unknown", product(set_in("schema.columns.species", {"dtype": "int128"})))
case(K, "product-source-unknown", product(set_in("source", {"component": "http_get", "params": {}})))
case(K, "thousands-of-keys", config(lambda c: c.update({f"key{index}": index for index in range(1500)})))

# ---------------------------------------------------------------- instantiation keys
T = "target"
case(T, "top", config(lambda c: c.update(_target_="os.system")))
case(T, "model", config(set_in("model", {"_target_": "sklearn.svm.SVC"})))
case(T, "model-params", model({"_target_": "builtins.eval", "_args_": ["__import__('os').system('x')"]}))
case(
    T,
    "feature-step",
    config(set_in("features.numeric_steps", [{"component": "standard_scaler", "params": {"_target_": "os.system"}}])),
)
case(T, "card", config(set_in("card.intended_use", {"_target_": "os.getenv", "_args_": [SECRET_VARIABLE]})))
case(T, "monitoring", config(set_in("monitoring", {"numeric": {"small": {"_target_": "os.system"}}})))
case(T, "args-only", config(set_in("model._args_", ["x"])))
case(T, "partial", config(lambda c: c.update(_partial_=True)))
case(T, "recursive-convert", config(lambda c: c.update(_recursive_=False, _convert_="all")))
case(T, "product-source", product(set_in("source.params._target_", "os.system")))
case(T, "product-transform", product(set_in("transforms", [{"_target_": "subprocess.run", "_args_": [["id"]]}])))
case(T, "preset", preset("evil", "_target_: os.system\n_args_: ['" + EXEC + "']\n"))

# ---------------------------------------------------------------- YAML tags
Y = "yaml-tag"
case(Y, "python-apply", appended("description: !!python/object/apply:os.system ['" + EXEC + "']\n"))
case(Y, "python-name", appended("description: !!python/name:os.system ''\n"))
case(Y, "python-new", appended("description: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n"))
case(Y, "python-module", appended("description: !!python/module:os ''\n"))
case(Y, "python-tuple", appended("description: !!python/tuple [1, 2]\n"))
case(Y, "binary", appended("description: !!binary aGVsbG8=\n"))
case(Y, "set", appended("description: !!set {a, b}\n"))
case(Y, "timestamp", appended("description: !!timestamp 2024-01-01\n"))
case(Y, "implicit-date", appended("description: 2024-01-01\n"))
case(Y, "omap", appended("description: !!omap [a: 1]\n"))
case(Y, "local-tag", appended("description: !secret value\n"))
case(
    Y,
    "tag-directive",
    raw_config("%TAG !p! tag:yaml.org,2002:python/object/apply:\n---\ndescription: !p!os.system ['" + EXEC + "']\n"),
)
case(Y, "nan-gate", appended("release:\n  gates:\n    accuracy: {min: .nan}\n"))
case(Y, "inf-gate", appended("release:\n  gates:\n    accuracy: {max: .inf}\n"))
case(Y, "two-documents", raw_config(dump(BASE_CONFIG) + "---\n_target_: os.system\n"))
case(Y, "product-python-tag", raw_product("description: !!python/object/apply:os.system ['" + EXEC + "']\n"))
case(Y, "preset-python-tag", preset("tagged", "component: !!python/object/apply:os.system ['" + EXEC + "']\n"))
case(Y, "duplicate-key", appended("owner: botany@example.com\nowner: other@example.com\n"))
case(Y, "merge-key-tag", appended("card: !!merge {intended_use: x}\n"))

# ---------------------------------------------------------------- resolvers
R = "resolver"
for index, expression in enumerate(
    [
        "${oc.env:" + SECRET_VARIABLE + "}",
        "${oc.env:" + SECRET_VARIABLE + ",fallback}",
        "${oc.env:HOME}",
        "${oc.decode:${oc.env:" + SECRET_VARIABLE + "}}",
        "${oc.create:{a: 1}}",
        "${oc.select:missing,default}",
        "${oc.deprecated:description}",
        "${oc.dict.keys:card}",
        "${oc.dict.values:card}",
        "${now:%Y-%m-%d}",
        "${hydra:runtime.cwd}",
        "${hydra:job.name}",
        "${no_such_resolver:x}",
        "Flowers ${oc.env:" + SECRET_VARIABLE + "} flowers",
        "\\${oc.env:" + SECRET_VARIABLE + "}",
        "${${oc.env:" + SECRET_VARIABLE + "}}",
        "${ oc.env:" + SECRET_VARIABLE + " }",
        "${oc.env:${target}}",
        "${description:x}",
    ]
):
    case(R, f"description-{index}", config(set_in("description", expression)))
case(R, "owner-secret", config(set_in("owner", "${oc.env:" + SECRET_VARIABLE + "}")))
case(R, "list-item", config(set_in("evaluation.metrics", ["${oc.env:" + SECRET_VARIABLE + "}"])))
case(R, "key", config(set_in("card", {"${oc.env:" + SECRET_VARIABLE + "}": "x"})))
case(
    R, "defaults-option", config(set_in("defaults", [{"/model@model": "${oc.env:" + SECRET_VARIABLE + "}"}, "_self_"]))
)
case(R, "model-param", model({"C": "${oc.decode:'1e9'}"}))
case(R, "monitoring-threshold", config(set_in("monitoring.dataset_drift_share", "${oc.env:" + SECRET_VARIABLE + "}")))
case(R, "product-description", product(set_in("description", "${oc.env:" + SECRET_VARIABLE + "}")))
case(R, "product-path", product(set_in("source.params.path", "data/raw/${oc.env:" + SECRET_VARIABLE + "}.csv")))
case(
    R,
    "preset-env",
    preset("leaky", "component: logistic_regression\nparams:\n  C: ${oc.env:" + SECRET_VARIABLE + "}\n"),
)

# ---------------------------------------------------------------- defaults outside conf/
D = "defaults"
WITHOUT_DEFAULTS = {key: value for key, value in BASE_CONFIG.items() if key != "defaults"}
case(D, "relative-global", config(set_in("defaults", [{"../../outside/leak@_global_": "leak"}, "_self_"])))
case(
    D,
    "relative-outside",
    raw_config("defaults:\n  - ../../../outside/leak@_global_\n  - _self_\n" + dump(WITHOUT_DEFAULTS)),
)
case(D, "absolute-entry", raw_config("defaults:\n  - {outside}/leak@_global_\n  - _self_\n" + dump(WITHOUT_DEFAULTS)))
case(D, "root-dots", config(set_in("defaults", [{"/../../outside/leak@_global_": "leak"}, "_self_"])))
case(D, "global-package", config(set_in("defaults", [{"/model@_global_": "logistic_regression"}, "_self_"])))
case(D, "option-relative", config(set_in("defaults", [{"/model@model": "../../../outside/leak"}, "_self_"])))
case(D, "option-absolute", config(set_in("defaults", [{"/model@model": "{outside}/leak"}, "_self_"])))
case(D, "string-entry", config(set_in("defaults", ["../../outside/leak", "_self_"])))
case(D, "override-hydra", config(set_in("defaults", [{"override hydra/launcher": "basic"}, "_self_"])))
case(D, "hydra-group", config(set_in("defaults", [{"hydra/job_logging": "default"}, "_self_"])))
case(D, "optional", config(set_in("defaults", [{"optional /model@model": "nope"}, "_self_"])))
case(D, "unknown-group", config(set_in("defaults", [{"/nope@x": "y"}, "_self_"])))
case(D, "option-list", config(set_in("defaults", [{"/model@model": ["ridge", "logistic_regression"]}, "_self_"])))
case(D, "option-null", config(set_in("defaults", [{"/model@model": None}, "_self_"])))
case(D, "not-a-list", config(set_in("defaults", {"/model@model": "ridge"})))
case(D, "missing-preset", config(set_in("defaults", [{"/model@model": "xgboost"}, "_self_"])))
case(
    D,
    "shadow-group",
    both(write("use_cases/probe/model/logistic_regression.yaml", "component: ridge\n"), config(lambda c: None)),
)
case(
    D,
    "chained-preset",
    preset("chained", "defaults:\n  - ../../outside/leak@_global_\ncomponent: logistic_regression\n"),
)
case(
    D,
    "symlinked-preset",
    symlink(
        "conf/model/linked.yaml",
        "{outside}/leak.yaml",
        config(set_in("defaults", [{"/model@model": "linked"}, "_self_"])),
    ),
)
case(D, "product-defaults-outside", raw_product("defaults:\n  - ../../outside/leak@_global_\n" + dump(BASE_PRODUCT)))

# ---------------------------------------------------------------- hydra sections
H = "hydra"
case(H, "searchpath", config(lambda c: c.update(hydra={"searchpath": ["file:///tmp"]})))
case(H, "env-set", config(lambda c: c.update(hydra={"job": {"env_set": {"X": "y"}}})))
case(H, "run-dir", config(lambda c: c.update(hydra={"run": {"dir": "/tmp/x"}})))
case(H, "callbacks", config(lambda c: c.update(hydra={"callbacks": {"x": {"_target_": "os.system"}}})))
case(H, "in-product", product(lambda p: p.update(hydra={"searchpath": ["file:///"]})))
case(H, "in-preset", preset("hydrated", "component: logistic_regression\nhydra:\n  searchpath: [file:///]\n"))

# ---------------------------------------------------------------- names and paths
P = "path"
case(P, "name-dots", config(set_in("name", "../escape")))
case(P, "name-slash", config(set_in("name", "probe/../../x")))
case(P, "product-dots", config(set_in("data", [{"product": "../../etc/passwd"}])))
case(P, "product-file-name", both(write("conf/data/Bad_Name.yaml", dump(BASE_PRODUCT))))
case(P, "feature-path", config(set_in("features.numeric", ["../../etc/passwd"])))
case(P, "target-path", config(set_in("target", "../target")))
case(P, "slice-path", config(set_in("evaluation.slices", ["a/b"])))
case(P, "output-tracked-file", product(lambda p: p.update(output="components/__init__.py")))
case(P, "output-relative", product(lambda p: p.update(output="../outside/x.parquet")))
case(P, "output-absolute", product(lambda p: p.update(output="/tmp/x.parquet")))
case(
    P,
    "sql-database-outside",
    product(lambda p: p.update(source={"component": "sql_query", "params": {"database": "/etc/passwd", "query": "x"}})),
)
case(
    P,
    "sql-database-git",
    product(lambda p: p.update(source={"component": "sql_query", "params": {"database": ".git/config", "query": "x"}})),
)
case(
    R,
    "sql-connection-a-variable",
    product(
        lambda p: p.update(
            source={"component": "sql_query", "params": {"connection": SECRET_VARIABLE, "query": "SELECT 1"}}
        )
    ),
)
for index, path in enumerate(
    [
        "../outside/secret.csv",
        "/etc/passwd",
        ".git/config",
        ".dvc/config.local",
        "data/../.git/config",
        "data/./raw/flowers.csv",
        "data//raw/flowers.csv",
        "data\\raw\\flowers.csv",
        "C:/data/flowers.csv",
        "data/.hidden/flowers.csv",
        "factory/cli.py",
        "data",
        "data/raw/missing.csv",
        "data/raw/.env",
        ".github/workflows/pr.yml",
        ".factory/cache/x.csv",
        "{outside}/leak.yaml",
        "data/raw/flowers.csv\u0000.txt",
    ]
):
    case(P, f"source-{index}", source_path(path))
case(P, "parquet-dev-zero", product(set_in("source", {"component": "parquet_file", "params": {"path": "/dev/zero"}})))
case(P, "symlinked-source", symlink("data/raw/link.csv", "../../.git/config", source_path("data/raw/link.csv")))
case(P, "symlinked-source-dir", symlink("data/raw", "{outside}", source_path("data/raw/leak.yaml")))
case(P, "symlinked-use-case", symlink("use_cases/linked", "{outside}/use-case"))
case(P, "symlinked-config", symlink("use_cases/probe/config.yaml", "{outside}/leak.yaml"))
case(P, "symlinked-artifacts", symlink("use_cases/probe/artifacts", "{outside}"))
case(P, "symlinked-product-config", symlink("conf/data/linked.yaml", "{outside}/leak.yaml"))
case(P, "symlinked-products-folder", symlink("data/products", "{outside}"))
case(P, "symlinked-conf-folder", symlink("conf/release", "{outside}"))
case(P, "use-case-folder-name", both(write("use_cases/Probe Case/config.yaml", dump(BASE_CONFIG))))

# ---------------------------------------------------------------- dot-folders as inputs
case("dot", "git-folder-source", source_path(".git/HEAD"))
case("dot", "dvc-cache-source", source_path(".dvc/cache/files/md5/00/x"))
case("dot", "hidden-use-case-file", config(set_in("features.numeric", [".hidden"])))
case("dot", "git-folder-preset", config(set_in("defaults", [{"/model@model": ".git"}, "_self_"])))
case("dot", "hidden-group", config(set_in("defaults", [{"/.git@model": "config"}, "_self_"])))

# ---------------------------------------------------------------- alias bombs
A = "alias"
case(A, "billion-laughs", appended(laughs(9, 9)))
case(A, "fan-out", appended("l0: &l0 [a, b, c, d, e, f, g, h, i, j]\nmany: [" + ", ".join(["*l0"] * 6000) + "]\n"))
case(A, "recursive", appended("loop: &loop [1, *loop]\n"))
case(
    A,
    "merge-keys",
    appended(
        "base: &base {"
        + ", ".join(f"k{i}: {i}" for i in range(100))
        + "}\n"
        + "".join(f"m{i}: {{<<: *base}}\n" for i in range(600))
    ),
)
case(A, "in-product", raw_product(laughs(9, 9)))
case(A, "in-preset", preset("bomb", laughs(9, 9)))

# ---------------------------------------------------------------- size and depth
S = "size"
case(S, "300-kib", config(set_in("description", "x" * 300_000)))
case(S, "50-mib", raw_config("description: '" + "y" * 50_000_000 + "'\n"))
case(S, "nested-200-mappings", config(set_in("card.intended_use", nested(200))))
case(S, "nested-5000-lists", appended("deep: " + "[" * 5000 + "]" * 5000 + "\n"))
case(S, "long-key", config(lambda c: c.update({"k" * 10_000: 1})))
case(S, "deep-params", model(nested(40)))
case(S, "product-300-kib", product(set_in("description", "z" * 300_000)))

# ---------------------------------------------------------------- unbounded params
U = "bounds"
case(U, "trees-1e9", model({"n_estimators": 1_000_000_000}, component="random_forest_classifier"))
case(U, "model-jobs-1e5", model({"n_jobs": 100_000}, component="random_forest_classifier"))
case(U, "runtime-jobs-1e5", config(set_in("runtime", {"n_jobs": 100_000})))
case(U, "runtime-jobs-0", config(set_in("runtime", {"n_jobs": 0})))
case(U, "iterations-1e12", model({"max_iter": 10**12}))
case(
    U,
    "search-folds-1000",
    config(set_in("model", {"component": "logistic_regression", "search": {"space": {"C": [0.1, 1.0]}, "cv": 1000}})),
)
case(
    U,
    "search-iterations-1e6",
    config(
        set_in(
            "model",
            {
                "component": "logistic_regression",
                "search": {
                    "method": "random",
                    "space": {"C": {"distribution": "loguniform", "low": 0.01, "high": 10}},
                    "n_iter": 10**6,
                },
            },
        )
    ),
)
case(
    U,
    "grid-1e6",
    config(
        set_in(
            "model",
            {
                "component": "logistic_regression",
                "search": {
                    "space": {
                        "C": [float(i + 1) for i in range(100)],
                        "max_iter": list(range(100, 200)),
                        "random_state": list(range(100)),
                    }
                },
            },
        )
    ),
)
case(U, "trees-true", model({"n_estimators": True}, component="random_forest_classifier"))
case(U, "trees-text", model({"n_estimators": "100"}, component="random_forest_classifier"))
case(U, "trees-fraction", model({"n_estimators": 1.5}, component="random_forest_classifier"))
case(U, "seed-negative", model({"random_state": -1}))
case(U, "seed-huge", model({"random_state": 2**70}))
case(U, "test-size-2", config(set_in("split", {"test_size": 2})))
case(U, "regularisation-huge", model({"C": 1e308}))
case(U, "tolerance-negative", config(set_in("release", {"primary_tolerance": -1})))
case(U, "rows-1e10", product(set_in("source", {"component": "synthetic_customers", "params": {"rows": 10**10}})))
case(
    U,
    "psi-bins-1e6",
    config(set_in("monitoring", {"numeric": {"large": {"component": "psi", "params": {"bins": 10**6}}}})),
)
case(U, "small-sample-negative", config(set_in("monitoring", {"small_sample_rows": -1})))
case(U, "max-age-huge", config(set_in("monitoring", {"max_age_days": 10**6})))
case(U, "importance-repeats-huge", config(set_in("quality", {"importance_repeats": 10**6})))
case(U, "slice-min-rows-huge", config(set_in("release", {"slices": {"min_rows": 10**12}})))
case(U, "slice-gap-infinite", config(set_in("release", {"slices": {"max_gap": float("inf")}})))
case(K, "column-tag-unknown", product(set_in("schema.columns.species.tags", ["secret"])))
case(U, "bool-for-float", model({"C": True}))
case(U, "dask-address", config(set_in("runtime", {"engine": "dask", "address": "tcp://127.0.0.1:8786"})))
case(U, "dask-address-null", config(set_in("runtime", {"address": None})))

# ---------------------------------------------------------------- unicode and control characters
C = "unicode"
case(C, "nul", config(set_in("description", "Iris\u0000flowers")))
case(C, "bidi-override", config(set_in("description", "Iris \u202eeulav\u202c flowers")))
case(C, "bidi-isolate", config(set_in("owner", "botany\u2066@example.com")))
case(C, "zero-width-feature", config(set_in("features.numeric", ["sepal_length_cm\u200b"])))
case(C, "control-in-key", config(lambda c: c.update({"card\u0007": {}})))
case(C, "ansi-escape", config(set_in("description", "\u001b[31mred\u001b[0m")))
case(C, "delete-character", config(set_in("description", "Iris\u007fflowers")))
case(
    C,
    "not-utf8",
    write("use_cases/probe/config.yaml", dump(BASE_CONFIG).encode("utf-8").replace(b"Which", b"Wh\xffich")),
)
case(C, "utf16", write("use_cases/probe/config.yaml", dump(BASE_CONFIG).encode("utf-16")))
case(C, "bom-inside", config(set_in("description", "Iris\ufeffflowers")))
case(C, "product-control", product(set_in("description", "Iris\u0001")))
case(
    C,
    "column-bidi",
    product(set_in("schema.columns", {**BASE_PRODUCT["schema"]["columns"], "spec\u202eies": {"dtype": "string"}})),
)

# ---------------------------------------------------------------- honest configs that must build
ACCEPTED: dict[str, dict[str, Any]] = {
    "probe-reference": {"description": "Predicts ${target} from ${features.numeric[0]} and three more."},
    "probe-unicode": {
        "description": "Which iris 🌸 a flower is: 花の種類を推定します。 أي نوع من زهرة السوسن",
        "card": {"intended_use": "鸢尾花分类"},
    },
}
