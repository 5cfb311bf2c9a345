"""`factory ci plan`: which use cases a change from a base revision to HEAD affects.

A use case is affected by its own config, the conf/ presets it composes, the files its
pipeline depends on (component modules, stage code, data product files), the declarations
and raw inputs of the products it reads (and of the products those join), and by the
factory's own code or pinned dependencies, which affect every use case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.bounded_yaml import RECORD_LIMITS
from factory.compose import composed_presets, load_project
from factory.errors import FactoryError
from factory.gitrepo import GitError, git
from factory.io import read_yaml_mapping
from factory.paths import ProjectPaths
from factory.release.workflow import APPROVALS_FILE

EVERYTHING = ("factory/", "pyproject.toml", "constraints.txt")


@dataclass(frozen=True)
class PlannedUseCase:
    """An affected use case and the changed files that affect it."""

    name: str
    because: list[str] = field(default_factory=list)


def changed_files(root: Path, base: str) -> list[str]:
    """Files changed between the merge base of `base` and HEAD."""
    try:
        output = git(root, "diff", "--name-only", f"{base}...HEAD")
    except GitError as exc:
        raise FactoryError(f"cannot compare with base {base!r}: expected a Git revision ({exc})") from exc
    return sorted(line for line in output.splitlines() if line)


def use_case_inputs(paths: ProjectPaths, name: str, product_inputs: dict[str, set[str]]) -> set[str]:
    """Every project file (relative to the root) whose change can change this use case's build."""
    use_case = paths.use_case(name)
    # the approvals are a release input: a change that only adds one must be released
    approvals = use_case.folder / APPROVALS_FILE
    inputs = {
        paths.rel(use_case.config),
        paths.rel(approvals),
        *(paths.rel(file) for file in composed_presets(paths, use_case.config)),
    }
    pipeline = _mapping(paths, use_case.dvc_yaml)
    for stage in pipeline.get("stages", {}).values():
        inputs |= {paths.rel(use_case.folder / dep) for dep in stage.get("deps", [])}
    for product in _mapping(paths, use_case.params_yaml).get("products", {}):
        inputs |= product_inputs.get(product, set())
    return inputs


def product_inputs(paths: ProjectPaths) -> dict[str, set[str]]:
    """Per data product: its declaration, its stage's deps, and those of the products it reads."""
    stages = _mapping(paths, paths.dvc_yaml).get("stages", {})
    outputs = {out: name for name, stage in stages.items() for out in _out_paths(stage)}
    direct = {name: {paths.rel(paths.product_config(name)), *stage.get("deps", [])} for name, stage in stages.items()}
    closed: dict[str, set[str]] = {}

    def close(name: str, seen: frozenset[str]) -> set[str]:
        files = set(direct.get(name, set()))
        for dep in list(files):
            upstream = outputs.get(dep)
            if upstream and upstream not in seen:
                files |= close(upstream, seen | {upstream})
        return files

    for name in direct:
        closed[name] = close(name, frozenset({name}))
    return closed


def plan_ci(root: Path, base: str) -> list[PlannedUseCase]:
    """The use cases affected by the changes from `base` to HEAD, in name order."""
    paths = ProjectPaths(root)
    changed = changed_files(root, base)
    project = load_project(paths)
    everything = [file for file in changed if file.startswith(EVERYTHING)]
    products = product_inputs(paths)
    planned = []
    for name in sorted(project.use_cases):
        because = everything or sorted(set(changed) & use_case_inputs(paths, name, products))
        if because:
            planned.append(PlannedUseCase(name, because))
    return planned


def _out_paths(stage: dict[str, Any]) -> list[str]:
    """The output paths of a dvc.yaml stage: each is a path, or {path: options}."""
    return [next(iter(out)) if isinstance(out, dict) else out for out in stage.get("outs", [])]


def _mapping(paths: ProjectPaths, file: Path) -> dict[str, Any]:
    """A generated YAML file as a mapping (empty when it does not exist yet); a clean error if malformed."""
    return read_yaml_mapping(file, paths.rel(file), RECORD_LIMITS) if file.is_file() else {}
