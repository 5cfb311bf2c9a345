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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from factory import bounded_yaml
from factory.bounded_yaml import CONFIG_LIMITS, YamlLimits
from factory.errors import ConfigError, ModelFileError, ProjectError

PROJECT_MARKERS = ("conf", "use_cases")

# Types that the factory's own feature and model components put inside a pipeline and that
# skops does not trust by default. Reviewed by hand: each is a plain data container in numpy
# or scikit-learn with no code of its own to run at load time, or (components.*) a subclass
# of one that changes only how it fits. Released models name these classes: a component
# class must stay importable under its name for as long as a version that holds it is scored.
TRUSTED_MODEL_TYPES = (
    "components.features.simple_imputer.LowMemorySimpleImputer",
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


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import, before any thread starts: setting it to read it is not thread-safe.
_FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    The file gets the mode any new file would get (0666 less the umask), not the temporary
    file's private 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, _FILE_MODE)
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


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object the factory wrote (a build record), or the empty mapping when the file is absent."""
    if not path.is_file():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def parse_yaml(text: str) -> Any:
    """YAML text as plain values, with the safe loader (libyaml's where PyYAML has it: 10x faster)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml_mapping(path: Path, shown: str, limits: YamlLimits = CONFIG_LIMITS) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping, within `limits`; else a `ConfigError` naming `shown`."""
    value = bounded_yaml.read(path, shown, limits)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError.single(shown, "", "a mapping of keys to values", type(value).__name__)
    return value


def read_parquet(path: Path, columns: Sequence[str] | None = None, categorical: Iterable[str] = ()) -> Any:
    """Parquet into pandas in little memory: about the frame's own size above it at the peak.

    Arrow's buffers are released column by column as pandas takes them, and they come from the
    system's allocator: Arrow's own (mimalloc) keeps what it frees for later Arrow buffers,
    which numpy never asks for, about 45 MiB of a million-row training run's peak. Text columns
    named in `categorical` are read as pandas categoricals: each distinct value is one Python
    string shared by its rows, where a text column gives each row a string object of its own
    once a model converts it to numpy.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    pa.set_memory_pool(pa.system_memory_pool())
    schema = pq.read_schema(path)
    text = [name for name in categorical if name in schema.names and _is_text(schema.field(name).type)]
    table = pq.read_table(path, columns=columns, read_dictionary=text or None)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    return frame


def _is_text(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


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
# Each occurrence gets its own id, so both give the same file.
_UNSHARED_TYPES: tuple[type, ...] = (str, int, float, bool, type(None))
_ARRAY_FILE = re.compile(r"\d+\.npy")


def _stable_save_context(zip_file: zipfile.ZipFile) -> Any:
    """A skops save context that numbers objects in the order it meets them, not by `id()`.

    skops names objects and array files after `id()`, which changes from run to run; the
    order in which it walks a model does not. Immutable leaves (and numpy dtypes, which
    skops saves through a throwaway array) are numbered at every occurrence.
    """
    import numpy as np

    from factory.skops_api import save_context_class

    base: Any = save_context_class()
    unshared = (*_UNSHARED_TYPES, np.dtype)

    class StableSaveContext(base):
        def memoize(self, obj: Any) -> int:
            if isinstance(obj, unshared):
                key = len(self.memo)  # a fresh number: never an id() of a live object
                self.memo[("leaf", key)] = obj
                return key + 1
            if id(obj) not in self.memo:
                self.memo[id(obj)] = (len(self.memo) + 1, obj)  # keeps obj alive: ids are not reused
            number: int = self.memo[id(obj)][0]
            return number

    return StableSaveContext(zip_file=zip_file)


class _StableZip(zipfile.ZipFile):
    """A zip writer whose entries carry no time stamp, compressed at deflate level 1.

    Level 1: a forest's arrays shrink about 4x, at a third of the time of the default level.
    """

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        name = zinfo_or_arcname if isinstance(zinfo_or_arcname, str) else zinfo_or_arcname.filename
        if name != "schema.json" and not _ARRAY_FILE.fullmatch(name):
            # skops names raw bytes objects with a random uuid
            raise ModelFileError(f"cannot save the model byte-stably: it holds a skops entry {name}")
        info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        super().writestr(info, data, compresslevel=1)


def model_bytes(model: Any) -> bytes:
    """A fitted estimator as a skops archive; the same model always gives the same bytes.

    This is skops' own save (skops.io.dumps) with two sources of noise removed: object ids
    become numbers in walk order, and zip entries are undated. The schema's keys are sorted.
    """
    import skops

    from factory.skops_api import get_state

    buffer = io.BytesIO()
    with _StableZip(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        context = _stable_save_context(archive)
        state = get_state(model, context)
        state["protocol"] = context.protocol
        state["_skops_version"] = skops.__version__
        context.memo.clear()
        archive.writestr("schema.json", json.dumps(state, sort_keys=True).encode("utf-8"))
    return buffer.getvalue()


def save_model(path: Path, model: Any) -> str:
    """Save a fitted estimator with skops in canonical form; return its sha256."""
    data = model_bytes(model)
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
