"""Trust anchors of a release: the record in the tag must agree with what its commit records.

A release record is the message of an annotated tag, and anyone who can push tags can write
one. So before a released model is used, the record is held against what Git itself keeps
at the tagged commit, which a tag cannot change: the build's `dvc.lock` (the model's md5)
and `lineage.json` (its sha256). A lightweight tag, a record for another use case, version
or commit, or a record whose hashes the commit does not confirm is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

from factory.bounded_yaml import RECORD_LIMITS
from factory.bounded_yaml import load as load_yaml
from factory.errors import ConfigError, ModelFileError
from factory.gitrepo import file_at, git
from factory.paths import ProjectPaths
from factory.release.registry_state import VersionInfo


def record_problems(root: Path, info: VersionInfo) -> list[str]:
    """Where the version's tag and record disagree with the tagged commit; empty when they agree."""
    record = info.record
    if record is None:
        return ["no release record in the tag's message (made outside `factory release`?)"]
    name = info.tag.split("@", 1)[0]
    problems = []
    if git(root, "cat-file", "-t", f"refs/tags/{info.tag}", check=False) != "tag":
        problems.append("a lightweight tag: release records live only in annotated tags")
    if (record.use_case, record.version) != (name, info.version):
        problems.append(f"the record is for {record.use_case} {record.version}, not {name} {info.version}")
    if record.commit != info.commit:
        problems.append(f"the record names commit {record.commit[:12]}, the tag points at {info.commit[:12]}")
    expected_model = ProjectPaths(root).rel(ProjectPaths(root).use_case(name).model)
    if record.model_path != expected_model:
        problems.append(f"the record's model path is {record.model_path}, not {expected_model}")
    locked = _locked_model_md5(root, info.commit, name)
    if locked != record.model_md5:
        problems.append(f"the tag's dvc.lock records model md5 {locked}, the release record {record.model_md5}")
    built = _lineage_model_sha256(root, info.commit, name)
    if built != record.model_sha256:
        problems.append(
            f"the tag's lineage.json records model sha256 {built}, the release record {record.model_sha256}"
        )
    return problems


def require_anchored(root: Path, info: VersionInfo) -> None:
    """Raise `ModelFileError` unless the version's record agrees with its tagged commit."""
    problems = record_problems(root, info)
    if problems:
        raise ModelFileError(f"{info.tag}: refusing an unverifiable release: " + "; ".join(problems))


def _locked_model_md5(root: Path, commit: str, name: str) -> str | None:
    text = file_at(root, commit, f"use_cases/{name}/dvc.lock")
    if text is None:
        return None
    try:
        lock = load_yaml(text, f"use_cases/{name}/dvc.lock@{commit[:12]}", RECORD_LIMITS) or {}
    except ConfigError:
        return None
    stages = lock.get("stages") if isinstance(lock, dict) else None
    train = stages.get("train") if isinstance(stages, dict) else None
    for out in train.get("outs", []) if isinstance(train, dict) else []:
        if isinstance(out, dict) and out.get("path") == "artifacts/model.skops":
            return str(out.get("md5"))
    return None


def _lineage_model_sha256(root: Path, commit: str, name: str) -> str | None:
    text = file_at(root, commit, f"use_cases/{name}/artifacts/lineage.json")
    try:
        lineage = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return str(lineage.get("model_sha256")) if isinstance(lineage, dict) else None
