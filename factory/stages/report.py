"""Report a use case's build: its lineage (JSON) and its model card (Markdown and HTML)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from factory.artifacts import card
from factory.compile import USE_CASE_STAGES
from factory.io import atomic_write_text, parse_yaml, sha256_file, write_json
from factory.kernels import loaded_kernels
from factory.paths import ProjectPaths, UseCasePaths
from factory.spec import UseCaseParams

# The params.yaml keys this stage reads: DVC reruns it when one changes (factory.compile reads
# this tuple; tests/test_stage_params.py holds the stage to it). It also reads the declarations
# of its data products from the root params.yaml, which the compiler adds.
PARAMS = (
    "name",
    "description",
    "owner",
    "risk_tier",
    "task",
    "data",
    "prepare",
    "target",
    "features",
    "split",
    "model",
    "evaluation",
    "release",
    "quality",
    "card",
    "products",
)
UNTRACKED = ()

# The stages whose dvc.lock entries are final when this one runs: DVC records a stage's
# entry after its command ends, so this stage's own entry would be the previous build's.
RECORDED_STAGES = USE_CASE_STAGES[: USE_CASE_STAGES.index("report")]

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
    """Write lineage.json, model_card.md and model_card.html."""
    lineage = build_lineage(params, paths)
    write_json(paths.lineage, lineage)
    markdown = card.render_markdown(card.read_inputs(params, paths, lineage))
    atomic_write_text(paths.model_card, markdown)
    atomic_write_text(paths.model_card_html, card.render_html(markdown, paths.artifacts, f"Model card: {params.name}"))


def build_lineage(params: UseCaseParams, paths: UseCasePaths) -> dict[str, Any]:
    """Commit, config hash, data product hashes, stage dependency hashes, params, package versions, kernels."""
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
            if stage in RECORDED_STAGES
        },
        "model_sha256": sha256_file(paths.model),
        "params": params.model_dump(mode="json"),
        "packages": {name: _version(name) for name in RECORDED_PACKAGES},
        # the build's CPU kernels: a rebuild on other kernels gives other bytes (factory.kernels)
        "kernels": loaded_kernels(),
    }


def _read_lock(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    value = parse_yaml(path.read_text(encoding="utf-8"))
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
