"""Where a model came from: commit, config hash, data back to its raw sources, code, packages.

Assembled from the records a build leaves in Git: the use case's `lineage.json` (commit,
config and model hashes, package versions), its `dvc.lock` (the product files, component and
stage sources it was built from, with their hashes) and the root `dvc.lock` (how each data
product was made: its source, transforms, the raw files it read and the products it joined).
For a released version, all of them are read at the version's tag.
"""

from __future__ import annotations

import posixpath
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from factory.compose import check_name, use_case_names
from factory.errors import FactoryError
from factory.governance.inputs import InputCheck, compare_with_commit, recorded_inputs
from factory.governance.snapshot import Snapshot
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.records import ReleaseRecord

CODE_FOLDERS = ("components/", "factory/")


@dataclass(frozen=True)
class FileHash:
    """A file a build read, with the md5 DVC recorded for it."""

    path: str
    md5: str | None


@dataclass(frozen=True)
class ProductLineage:
    """How one data product was made, down to the raw files its source read."""

    name: str
    path: str
    md5: str | None
    source: dict[str, Any]
    transforms: list[str]
    raw_files: list[FileHash]
    code: list[FileHash]
    upstream: list[ProductLineage] = field(default_factory=list)


@dataclass(frozen=True)
class Lineage:
    """The full lineage of one build or released version of a use case."""

    use_case: str
    version: str | None
    tag: str | None
    commit: str | None
    dirty: bool
    config_sha256: str | None
    model_sha256: str | None
    model_md5: str | None
    products: list[ProductLineage]
    components: list[FileHash]
    stage_code: list[FileHash]
    packages: dict[str, str | None]
    record: dict[str, Any] | None = None
    # The build's recorded inputs against the version's commit (or HEAD, for the working tree).
    inputs: InputCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


def trace(root: Path, name: str, version: str | None = None) -> Lineage:
    """The lineage of `name` as built in the working tree, or of a released `version` read at its tag."""
    check_name(name, "use case", use_case_names(ProjectPaths(root)))
    record: ReleaseRecord | None = None
    if version is None:
        snapshot = Snapshot(root)
    else:
        info = registry_state.find_version(root, name, version)
        snapshot, record = Snapshot(root, info.tag), info.record
    return read_lineage(snapshot, name, version, record)


def read_lineage(snapshot: Snapshot, name: str, version: str | None, record: ReleaseRecord | None) -> Lineage:
    """Assemble the lineage of `name` from the records in `snapshot`."""
    folder = f"use_cases/{name}"
    built = snapshot.mapping(f"{folder}/artifacts/lineage.json")
    if not built:
        raise FactoryError(
            f"{name}: no build record (use_cases/{name}/artifacts/lineage.json) in {snapshot.where}; "
            f"run `factory build {name}` and commit"
        )
    lock = snapshot.mapping(f"{folder}/dvc.lock").get("stages", {})
    deps = {
        _from_folder(folder, dep["path"]): dep.get("md5") for entry in lock.values() for dep in entry.get("deps", [])
    }
    products_lock = snapshot.mapping("dvc.lock").get("stages", {})
    products = [
        _product_lineage(product, path, deps.get(path), products_lock, set())
        for product, path in sorted(built.get("params", {}).get("products", {}).items())
    ]
    return Lineage(
        inputs=_check_inputs(snapshot, folder, products),
        use_case=name,
        version=version,
        tag=snapshot.revision,
        commit=built.get("git", {}).get("commit"),
        dirty=bool(built.get("git", {}).get("dirty")),
        config_sha256=built.get("config_sha256"),
        model_sha256=built.get("model_sha256"),
        model_md5=locked_model_md5(snapshot, name),
        products=products,
        components=_files(deps, "components/"),
        stage_code=_files(deps, "factory/"),
        packages=dict(sorted(built.get("packages", {}).items())),
        record=record.model_dump(mode="json") if record else None,
    )


def _check_inputs(snapshot: Snapshot, folder: str, products: list[ProductLineage]) -> InputCheck:
    """The use case's and its data products' recorded inputs against the commit of `snapshot`."""
    names: set[str] = set()
    pending = list(products)
    while pending:
        product = pending.pop()
        names.add(product.name)
        pending.extend(product.upstream)
    root_lock = snapshot.mapping("dvc.lock")
    stages = root_lock.get("stages") or {}
    locks = {
        f"{folder}/dvc.lock": snapshot.mapping(f"{folder}/dvc.lock"),
        "dvc.lock": {"stages": {key: value for key, value in stages.items() if key in names}},
    }
    return compare_with_commit(snapshot.root, snapshot.revision or "HEAD", *recorded_inputs(locks))


def locked_model_md5(snapshot: Snapshot, name: str) -> str | None:
    """The md5 of the trained model that the use case's dvc.lock records in `snapshot`."""
    lock = snapshot.mapping(f"use_cases/{name}/dvc.lock").get("stages", {})
    for out in lock.get("train", {}).get("outs", []):
        if out.get("path") == "artifacts/model.skops":
            return out.get("md5")
    return None


def _product_lineage(
    name: str, path: str, consumed_md5: str | None, products_lock: dict[str, Any], seen: set[str]
) -> ProductLineage:
    entry = products_lock.get(name, {})
    spec: dict[str, Any] = next(iter(entry.get("params", {}).get("params.yaml", {}).values()), {})
    outputs = {out["path"]: product for product, stage in products_lock.items() for out in stage.get("outs", [])}
    upstream, raw, code = [], [], []
    for dep in entry.get("deps", []):
        file = FileHash(dep["path"], dep.get("md5"))
        if file.path.startswith(CODE_FOLDERS):
            code.append(file)
        elif file.path in outputs and outputs[file.path] not in seen | {name}:
            other = outputs[file.path]
            upstream.append(_product_lineage(other, file.path, file.md5, products_lock, seen | {name}))
        else:
            raw.append(file)
    return ProductLineage(
        name=name,
        path=path,
        md5=consumed_md5 or next((out.get("md5") for out in entry.get("outs", []) if out["path"] == path), None),
        source=spec.get("source", {}),
        transforms=[step.get("component", "?") for step in spec.get("transforms", [])],
        raw_files=raw,
        code=code,
        upstream=upstream,
    )


def _from_folder(folder: str, path: str) -> str:
    """A path DVC recorded relative to a use case folder, as a path from the project root."""
    return posixpath.normpath(posixpath.join(folder, path))


def _files(deps: dict[str, str | None], prefix: str) -> list[FileHash]:
    return [FileHash(path, md5) for path, md5 in sorted(deps.items()) if path.startswith(prefix)]
