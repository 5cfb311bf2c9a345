"""Report a use case's build: a first model card (Markdown) and its lineage (JSON)."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from factory.io import atomic_write_text, sha256_file, write_json
from factory.paths import ProjectPaths, UseCasePaths
from factory.spec import UseCaseParams

# The packages whose versions decide what a model is; recorded in every lineage.
RECORDED_PACKAGES = (
    "dvc",
    "hydra-core",
    "numpy",
    "pandas",
    "pandera",
    "pyarrow",
    "pydantic",
    "scikit-learn",
    "scipy",
    "skops",
)


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Write model_card.md and lineage.json."""
    metrics = json.loads(paths.metrics.read_text(encoding="utf-8"))
    slices = json.loads(paths.slice_metrics.read_text(encoding="utf-8"))
    lineage = build_lineage(params, paths)
    write_json(paths.lineage, lineage)
    atomic_write_text(paths.model_card, render_card(params, metrics, slices, lineage))


def build_lineage(params: UseCaseParams, paths: UseCasePaths) -> dict[str, Any]:
    """Commit, config hash, data product hashes, stage dependency hashes, params and package versions."""
    project = ProjectPaths(paths.root)
    product_locks = _lock_outs(project.dvc_lock)
    stage_locks = _read_lock(paths.dvc_lock).get("stages", {})
    return {
        "use_case": params.name,
        "git": _git_state(paths.root),
        "config_sha256": sha256_file(paths.params_yaml),
        "data_products": {
            name: {"path": path, "md5": product_locks.get(path)} for name, path in sorted(params.products.items())
        },
        "stages": {
            stage: {dep["path"]: dep.get("md5") for dep in entry.get("deps", [])}
            for stage, entry in sorted(stage_locks.items())
        },
        "model_sha256": sha256_file(paths.model),
        "params": params.model_dump(mode="json"),
        "packages": {name: _version(name) for name in RECORDED_PACKAGES},
    }


def render_card(params: UseCaseParams, metrics: dict[str, Any], slices: dict[str, Any], lineage: dict[str, Any]) -> str:
    """A first model card: details, intended use, data, metrics with gates, slices, plots, lineage."""
    model_params = ", ".join(f"`{key}={value}`" for key, value in sorted(params.model.params.items())) or "defaults"
    lines = [
        f"# Model card: {params.name}",
        "",
        "## Model details",
        "",
        f"- **Owner:** {params.owner}",
        f"- **Risk tier:** {params.risk_tier}",
        f"- **Task:** {params.task}",
        f"- **Algorithm:** `{params.model.component}` ({model_params})",
        f"- **Model file sha256:** `{lineage['model_sha256']}`",
        "",
        "## Intended use",
        "",
        params.description,
        "",
        "## Data",
        "",
        "| data product | file | md5 |",
        "| --- | --- | --- |",
        *[
            f"| {name} | `{item['path']}` | `{item['md5'] or 'not built'}` |"
            for name, item in lineage["data_products"].items()
        ],
        "",
        f"- **Target:** `{params.target}`",
        f"- **Numeric features:** {', '.join(f'`{c}`' for c in params.features.numeric) or 'none'}",
        f"- **Categorical features:** {', '.join(f'`{c}`' for c in params.features.categorical) or 'none'}",
        f"- **Split:** {_describe_split(params)}",
        "",
        "## Metrics",
        "",
        f"Evaluated on {metrics.get('n_test', '?')} held-out rows; "
        f"primary metric `{params.evaluation.primary_metric}`.",
        "",
        "| metric | value | release gate |",
        "| --- | --- | --- |",
        *[
            f"| {name} | {_number(metrics.get(name))} | {_gate(params, name)} |"
            for name in params.evaluation.all_metrics
        ],
        "",
    ]
    for column, values in slices.items():
        lines += [
            f"## Metrics by `{column}`",
            "",
            "| value | rows | " + " | ".join(params.evaluation.all_metrics) + " |",
            "| --- | --- | " + " | ".join("---" for _ in params.evaluation.all_metrics) + " |",
        ]
        for value, figures in values.items():
            cells = " | ".join(_number(figures.get(name)) for name in params.evaluation.all_metrics)
            lines.append(f"| {value} | {figures['n']} | {cells} |")
        lines.append("")
    images = (
        ["roc", "precision_recall", "confusion"]
        if params.task != "regression"
        else ["predicted_vs_actual", "residuals"]
    )
    lines += [
        "## Plots",
        "",
        *[f"![{name}](plots/{name}.png)" for name in images],
        "",
        "## Lineage",
        "",
        f"- **Built at commit:** `{lineage['git']['commit']}`"
        + (" (with uncommitted changes)" if lineage["git"]["dirty"] else ""),
        f"- **Config sha256:** `{lineage['config_sha256']}`",
        "- **Packages:** " + ", ".join(f"{k} {v}" for k, v in lineage["packages"].items()),
        "",
    ]
    return "\n".join(lines)


def _describe_split(params: UseCaseParams) -> str:
    split = params.split
    if split.kind == "random":
        return f"random, {split.test_size:.0%} test, seed {split.seed}" + (", stratified" if split.stratify else "")
    return f"by time on `{split.column}`, latest {split.test_size:.0%} as test"


def _gate(params: UseCaseParams, metric: str) -> str:
    gate = params.release.gates.get(metric)
    if gate is None:
        return ""
    bounds = [f">= {gate.min}" if gate.min is not None else "", f"<= {gate.max}" if gate.max is not None else ""]
    return " and ".join(bound for bound in bounds if bound)


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _read_lock(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def _lock_outs(path: Path) -> dict[str, str | None]:
    """Output path -> md5 over every stage of a dvc.lock."""
    outs: dict[str, str | None] = {}
    for entry in _read_lock(path).get("stages", {}).values():
        for out in entry.get("outs", []):
            outs[out["path"]] = out.get("md5")
    return outs


def _git_state(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    # Build records change while DVC runs; only edits to sources make a build "dirty".
    status = git(
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        ":(exclude,glob)**/dvc.lock",
        ":(exclude,glob)**/artifacts/**",
        ":(exclude,glob)data/products/**",
    )
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status)}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
