"""`factory ci verify`: the reproducibility gate.

HEAD is cloned into a temporary folder with no DVC cache and no outputs, the named pipelines
are rebuilt there with `dvc repro --force`, and every output's md5 is compared with what the
committed dvc.lock records.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from factory.build import OUTPUT_TAIL_LINES, build_environment
from factory.compose import load_project
from factory.dvcrun import DvcServer
from factory.errors import BuildError
from factory.gitrepo import git, head_commit
from factory.kernels import describe
from factory.paths import ProjectPaths
from factory.stage_server import StageServer

UNVERIFIED_STAGES = ("report",)


@dataclass(frozen=True)
class Mismatch:
    """A build output whose rebuilt bytes differ from what dvc.lock records."""

    path: str
    locked: str | None
    rebuilt: str | None


def verify(root: Path, names: list[str] | None = None) -> tuple[list[Mismatch], dict[str, Any]]:
    """Rebuild the named use cases (all by default) from a clean clone of HEAD; list what differs.

    The clone has no DVC cache and no outputs, so every stage runs; each rebuilt output's md5
    is compared with the md5 that the committed dvc.lock records. Also returns, per use case,
    the kernels the rebuild computed with (its lineage's).
    """
    paths = ProjectPaths(root)
    selected = sorted(load_project(paths, names).use_cases)
    with tempfile.TemporaryDirectory(prefix="factory-verify-") as folder:
        clone = Path(folder) / "clone"
        git(root, "clone", "--quiet", "--no-hardlinks", str(root), str(clone))
        git(clone, "checkout", "--quiet", head_commit(root))
        clone_paths = ProjectPaths(clone)
        pipelines = [clone_paths.rel(clone_paths.use_case(name).dvc_yaml) for name in selected]
        # in a build's environment, with a stage server of its own: the clone's own code, and a
        # string hash seed of its own, so what varies from run to run shows
        with StageServer(build_environment(1)) as stages, DvcServer(clone, stages.environment) as worker:
            rebuild, output = worker.reproduce(tuple(pipelines), force=True)
        if not rebuild.ok:  # the clean rebuild failed: a build failure, not bad input
            tail = "\n".join(output.strip().splitlines()[-OUTPUT_TAIL_LINES:])
            raise BuildError(f"ci verify: the clean rebuild of HEAD failed: {rebuild.error}\n{tail}")
        mismatches = []
        for lock in [paths.dvc_lock, *(paths.use_case(name).dvc_lock for name in selected)]:
            locked = locked_outputs(lock, paths.root)
            rebuilt = locked_outputs(clone / lock.relative_to(paths.root), clone)
            for path in sorted(set(locked) | set(rebuilt)):
                if locked.get(path) != rebuilt.get(path):
                    mismatches.append(Mismatch(path, locked.get(path), rebuilt.get(path)))
        kernels = {name: _kernels_of(clone_paths.use_case(name).lineage) for name in selected}
        return mismatches, {name: found for name, found in kernels.items() if found is not None}


def check_reproducible(root: Path, names: list[str] | None = None) -> None:
    """Raise `BuildError` naming every output that a clean rebuild of HEAD does not reproduce.

    Where a use case's committed lineage says its build computed with other CPU kernels than
    the rebuild did, the message says so: that alone changes the last bits of a model.
    """
    mismatches, kernels = verify(root, names)
    if mismatches:
        listing = "\n".join(f"  - {m.path}: dvc.lock {m.locked}, rebuilt {m.rebuilt}" for m in mismatches)
        hints = "".join(f"\n{hint}" for hint in _kernel_differences(root, mismatches, kernels))
        raise BuildError(f"{len(mismatches)} output(s) are not reproducible from HEAD:\n{listing}{hints}")


def _kernel_differences(root: Path, mismatches: list[Mismatch], rebuilt: dict[str, Any]) -> list[str]:
    """One line per affected use case whose committed build ran on other kernels than its rebuild."""
    paths = ProjectPaths(root)
    names = sorted({m.path.split("/")[1] for m in mismatches if m.path.startswith("use_cases/")})
    hints = []
    for name in names:
        lineage = paths.use_case(name).lineage
        built, again = _kernels_of(lineage), rebuilt.get(name)
        if built is not None and again is not None and built != again:
            hints.append(
                f"  {paths.rel(lineage)}: built with {describe(built)}; rebuilt with {describe(again)}"
                " (see factory/kernels.py)"
            )
    return hints


def _kernels_of(lineage: Path) -> dict[str, Any] | None:
    """The kernels a build's lineage.json records, or None."""
    try:
        kernels = json.loads(lineage.read_text(encoding="utf-8")).get("kernels")
    except (OSError, ValueError, AttributeError):
        return None
    return kernels if isinstance(kernels, dict) else None


def locked_outputs(lock: Path, root: Path) -> dict[str, str]:
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
