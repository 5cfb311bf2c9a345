"""Paths, atomic writes, hashing and safe, byte-stable model persistence.

Everything the factory writes goes through `atomic_write_bytes`, so a killed process leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from factory.errors import ConfigError, ModelFileError, ProjectError

PROJECT_MARKERS = ("conf", "use_cases")

# Types that the factory's own feature and model components put inside a pipeline and that
# skops does not trust by default. Reviewed by hand: each is a plain data container in
# numpy or scikit-learn, with no code of its own to run at load time.
TRUSTED_MODEL_TYPES = (
    "numpy.dtype",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def find_root(start: Path | None = None) -> Path:
    """Return the project root: the nearest folder at or above `start` with conf/ and use_cases/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).is_dir() for marker in PROJECT_MARKERS):
            return folder
    raise ProjectError(
        f"{here}: not inside a model factory project "
        f"(expected a folder with {' and '.join(m + '/' for m in PROJECT_MARKERS)} at or above it)"
    )


def relative_to_root(path: Path, root: Path) -> str:
    """Return `path` as a POSIX path relative to `root`, refusing paths that escape it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError as exc:
        raise ProjectError(f"{resolved}: outside the project root {root}") from exc


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def canonical_json(value: Any) -> str:
    """Serialise to JSON with sorted keys and a trailing newline, so equal data gives equal bytes."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: Path, value: Any) -> None:
    """Write `value` as canonical JSON, atomically."""
    atomic_write_text(path, canonical_json(value))


def read_yaml_mapping(path: Path, shown: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; any other content is a `ConfigError` naming `shown`."""
    import yaml

    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError.single(shown, "", "valid YAML", problem) from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError.single(shown, "", "a mapping of keys to values", type(value).__name__)
    return value


def write_parquet(path: Path, frame: Any) -> None:
    """Write a pandas frame as Parquet without its index, atomically."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue())


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Leaf values that are immutable: whether two places share one object or hold equal copies
# depends on how the model was built (a Dask worker returns pickled copies), not on the model.
_UNSHARED_LOADERS = frozenset({"JsonNode", "DTypeNode"})


class _Renumbering:
    """New skops ids in order of appearance in the key-sorted schema, and the array files they rename."""

    def __init__(self) -> None:
        self.count = 0
        self.ids: dict[int, int] = {}
        self.files: dict[str, str] = {}  # new file name -> file name in the original archive

    def _new_id(self) -> int:
        self.count += 1
        return self.count

    def visit(self, node: Any, unshare: bool = False) -> None:
        """Renumber `node` in place; inside immutable leaves every occurrence gets its own id."""
        if isinstance(node, list):
            for item in node:
                self.visit(item, unshare)
            return
        if not isinstance(node, dict):
            return
        unshare = unshare or node.get("__loader__") in _UNSHARED_LOADERS
        old_id = node.get("__id__")
        if isinstance(old_id, int):
            if unshare or old_id not in self.ids:
                self.ids[old_id] = self._new_id()
            node["__id__"] = self.ids[old_id]
        file = node.get("file")
        if isinstance(file, str) and re.fullmatch(r"\d+\.npy", file):
            node["file"] = f"{node['__id__']}.npy"
            self.files[node["file"]] = file
        for key, value in sorted(node.items()):
            if key not in ("__id__", "file"):
                self.visit(value, unshare)


def canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops archive so the same model always gives the same bytes.

    skops names arrays after `id()` of the objects and stamps zip entries with the current
    time; both change from run to run. Ids are renumbered in their order of appearance in
    the key-sorted schema (immutable leaves unshared), entries are sorted and dated at the
    zip epoch. Deflate level 1: a forest's arrays shrink about 4x, at a third of the time
    of the default level.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = json.loads(source.read("schema.json"))
        renumbering = _Renumbering()
        renumbering.visit(schema)
        entries = {"schema.json": json.dumps(schema, sort_keys=True).encode("utf-8")}
        for info in source.infolist():
            if info.filename != "schema.json" and info.filename not in renumbering.files.values():
                raise ModelFileError(f"skops archive entry {info.filename} is not referenced by its schema")
        for name, old in renumbering.files.items():
            entries[name] = source.read(old)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name], compresslevel=1)
    return buffer.getvalue()


def save_model(path: Path, model: Any) -> str:
    """Save a fitted estimator with skops in canonical form; return its sha256."""
    import skops.io as sio

    data = canonical_skops(sio.dumps(model))
    atomic_write_bytes(path, data)
    return sha256_bytes(data)


def load_model(path: Path, trusted: Iterable[str] = TRUSTED_MODEL_TYPES) -> Any:
    """Load a skops model file, refusing any type outside the reviewed `trusted` list."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror})") from exc
    return load_model_bytes(data, str(path), trusted)


def load_model_bytes(data: bytes, source: str, trusted: Iterable[str] = TRUSTED_MODEL_TYPES) -> Any:
    """Load a skops model from bytes (named `source` in errors), trusting only `trusted` types."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        # One pass: skops itself refuses any type outside `trusted` before it builds anything.
        return sio.loads(data, trusted=list(trusted))
    except UntrustedTypesFoundException:
        refused = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
        raise ModelFileError(
            f"{source}: refusing to load untrusted types {', '.join(refused)}; "
            "expected only the reviewed types in factory.io.TRUSTED_MODEL_TYPES"
        ) from None
    except Exception as exc:  # skops raises many types for a damaged archive
        raise ModelFileError(f"{source}: not a valid skops model file ({type(exc).__name__}: {exc})") from exc
