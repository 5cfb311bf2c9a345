"""CI workflows: `plan_ci` (which use cases a change affects) and `verify` (the reproducibility gate).

A use case is affected by its own config, the conf/ presets it composes, the files its
pipeline depends on (component modules, stage code, data product files), the declarations
and raw inputs of the products it reads (and of the products those join), and by the
factory's own code or pinned dependencies, which affect every use case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from factory.compose import composed_presets, load_project
from factory.errors import BuildError, FactoryError
from factory.gitrepo import GitError, git
from factory.paths import ProjectPaths

EVERYTHING = ("factory/", "pyproject.toml", "constraints.txt")
UNVERIFIED_STAGES = ("report",)


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
    inputs = {paths.rel(use_case.config), *(paths.rel(file) for file in composed_presets(paths, use_case.config))}
    pipeline = yaml.safe_load(use_case.dvc_yaml.read_text(encoding="utf-8")) if use_case.dvc_yaml.is_file() else {}
    for stage in (pipeline or {}).get("stages", {}).values():
        inputs |= {paths.rel(use_case.folder / dep) for dep in stage.get("deps", [])}
    params = yaml.safe_load(use_case.params_yaml.read_text(encoding="utf-8")) if use_case.params_yaml.is_file() else {}
    for product in (params or {}).get("products", {}):
        inputs |= product_inputs.get(product, set())
    return inputs


def product_inputs(paths: ProjectPaths) -> dict[str, set[str]]:
    """Per data product: its declaration, its stage's deps, and those of the products it reads."""
    root_pipeline = yaml.safe_load(paths.dvc_yaml.read_text(encoding="utf-8")) if paths.dvc_yaml.is_file() else {}
    stages = (root_pipeline or {}).get("stages", {})
    outputs = {out: name for name, stage in stages.items() for out in stage.get("outs", [])}
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


@dataclass(frozen=True)
class Mismatch:
    """A build output whose rebuilt bytes differ from what dvc.lock records."""

    path: str
    locked: str | None
    rebuilt: str | None


def verify(root: Path, names: list[str] | None = None) -> list[Mismatch]:
    """Rebuild the named use cases (all by default) from a clean clone of HEAD; list what differs.

    The clone has no DVC cache and no outputs, so every stage runs; each rebuilt output's md5
    is compared with the md5 that the committed dvc.lock records.
    """
    import tempfile

    from factory.dvcrun import dvc_checked

    paths = ProjectPaths(root)
    selected = sorted(load_project(paths, names).use_cases)
    with tempfile.TemporaryDirectory(prefix="factory-verify-") as folder:
        clone = Path(folder) / "clone"
        git(root, "clone", "--quiet", "--no-hardlinks", str(root), str(clone))
        git(clone, "checkout", "--quiet", git(root, "rev-parse", "HEAD"))
        clone_paths = ProjectPaths(clone)
        pipelines = [clone_paths.rel(clone_paths.use_case(name).dvc_yaml) for name in selected]
        dvc_checked(clone, "repro", "--force", *pipelines)
        mismatches = []
        for lock in [paths.dvc_lock, *(paths.use_case(name).dvc_lock for name in selected)]:
            locked = _locked_outs(lock, paths.root)
            rebuilt = _locked_outs(clone / lock.relative_to(paths.root), clone)
            for path in sorted(set(locked) | set(rebuilt)):
                if locked.get(path) != rebuilt.get(path):
                    mismatches.append(Mismatch(path, locked.get(path), rebuilt.get(path)))
        return mismatches


def check_reproducible(root: Path, names: list[str] | None = None) -> None:
    """Raise `BuildError` naming every output that a clean rebuild of HEAD does not reproduce."""
    mismatches = verify(root, names)
    if mismatches:
        listing = "\n".join(f"  - {m.path}: dvc.lock {m.locked}, rebuilt {m.rebuilt}" for m in mismatches)
        raise BuildError(f"{len(mismatches)} output(s) are not reproducible from HEAD:\n{listing}")


def _locked_outs(lock: Path, root: Path) -> dict[str, str]:
    """Output path (relative to the project root) -> md5, over the stages of a dvc.lock.

    The report stage is left out: its lineage and card name the commit they were built at,
    which a rebuild at a later commit changes by design.
    """
    if not lock.is_file():
        return {}
    stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
    return {
        Path(os.path.relpath(lock.parent / out["path"], root)).as_posix(): str(out.get("md5"))
        for name, stage in stages.items()
        if name not in UNVERIFIED_STAGES
        for out in stage.get("outs", [])
    }
