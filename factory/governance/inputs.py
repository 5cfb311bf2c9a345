"""Whether a build's recorded inputs are the files of a commit.

A build usually runs before its edits are committed (edit, build, commit the results), so
the commit a build ran on says little. What a build consumed is in its `dvc.lock` files:
each input's md5 and each parameter's value. Comparing those with the files a commit holds
answers the question that matters for a released version: was it built from exactly what
its commit contains? An input that another stage produced is compared with that stage's
recorded output, and a DVC-tracked file with its `.dvc` record, since neither is in Git.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.bounded_yaml import RECORD_LIMITS
from factory.bounded_yaml import load as load_yaml
from factory.errors import ConfigError, GitError
from factory.gitrepo import blobs_at, commit_of


@dataclass(frozen=True)
class RecordedInput:
    """One input as a stage's lock recorded it: a file's md5, or a parameter's value."""

    path: str  # from the project root
    md5: str | None = None
    key: str | None = None  # set for a parameter: its dotted key in `path`
    value: Any = None

    @property
    def name(self) -> str:
        """How people see it: the path, with the key for a parameter."""
        return f"{self.path}:{self.key}" if self.key is not None else self.path


@dataclass(frozen=True)
class InputCheck:
    """The recorded inputs of a build compared with the files of `commit`."""

    commit: str | None
    matched: int = 0
    differing: list[str] = field(default_factory=list)
    problem: str | None = None  # why nothing could be compared

    @property
    def clean(self) -> bool:
        """Whether every recorded input is what the commit holds."""
        return self.problem is None and not self.differing and self.matched > 0


def recorded_inputs(locks: dict[str, dict[str, Any]]) -> tuple[list[RecordedInput], dict[str, str | None]]:
    """The inputs of every stage in `locks` (lock path -> parsed lock), and every output's md5.

    Paths in a lock are relative to its folder; both results use paths from the project root.
    """
    inputs: list[RecordedInput] = []
    outputs: dict[str, str | None] = {}
    for lock_path, lock in sorted(locks.items()):
        folder = posixpath.dirname(lock_path)
        for stage in (lock.get("stages") or {}).values():
            for out in stage.get("outs") or []:
                outputs[_join(folder, out["path"])] = out.get("md5")
            for dep in stage.get("deps") or []:
                inputs.append(RecordedInput(_join(folder, dep["path"]), md5=dep.get("md5")))
            for params_file, values in sorted((stage.get("params") or {}).items()):
                for key, value in sorted((values or {}).items()):
                    inputs.append(RecordedInput(_join(folder, params_file), key=key, value=value))
    return _unique(inputs), outputs


def compare_with_commit(
    root: Path, revision: str, inputs: list[RecordedInput], outputs: dict[str, str | None]
) -> InputCheck:
    """Compare recorded inputs with the files at `revision` (a commit, tag or `HEAD`)."""
    try:
        commit = commit_of(root, revision)
    except GitError:
        return InputCheck(commit=None, problem=f"no commit {revision} to compare with")
    files = sorted({item.path for item in inputs if item.path not in outputs})
    blobs = blobs_at(root, commit, files + [f"{path}.dvc" for path in files])
    parsed: dict[str, Any] = {}
    matched, differing = 0, []
    for item in inputs:
        if item.key is not None:
            if item.path not in parsed:
                parsed[item.path] = _yaml(blobs.get(item.path))
            same = _lookup(parsed[item.path], item.key) == (True, item.value)
        elif item.path in outputs:
            same = outputs[item.path] == item.md5
        else:
            same = _file_md5(blobs.get(item.path), blobs.get(f"{item.path}.dvc")) == item.md5
        if same:
            matched += 1
        else:
            differing.append(item.name)
    return InputCheck(commit=commit, matched=matched, differing=differing)


def _file_md5(content: bytes | None, dvc_record: bytes | None) -> str | None:
    """The md5 DVC records for a file: of its bytes in Git, or from its `.dvc` record."""
    if content is not None:
        return hashlib.md5(content, usedforsecurity=False).hexdigest()
    outs = _yaml(dvc_record).get("outs") if dvc_record is not None else None
    return outs[0].get("md5") if isinstance(outs, list) and outs and isinstance(outs[0], dict) else None


def _lookup(mapping: Any, dotted: str) -> tuple[bool, Any]:
    """A parameter as DVC names it (a dotted path), and whether it exists."""
    value = mapping
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _yaml(content: bytes | None) -> dict[str, Any]:
    """A committed record as a mapping; empty when absent or not readable (its inputs then differ)."""
    try:
        text = content.decode() if content is not None else ""
        value = load_yaml(text, "a committed record", RECORD_LIMITS, core_schema=True)
    except (ConfigError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path))


def _unique(inputs: Iterable[RecordedInput]) -> list[RecordedInput]:
    """One entry per input (stages share code files); order kept for stable output."""
    seen: dict[str, RecordedInput] = {}
    for item in inputs:
        key = f"{item.name}\0{item.md5}\0{item.value!r}"
        seen.setdefault(key, item)
    return list(seen.values())
