"""Score a table with a released model, from any clone, without building anything.

The version is resolved from the Git tags; the model is read from the DVC remote at the
version's commit; its sha256 must equal the release record's; skops loads it trusting only
the reviewed types; the input is validated against the use case's declared input schema.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from factory.artifacts.predictions import predict_frame
from factory.compose import check_name, use_case_names
from factory.datacheck import input_schema_for, validate_frame
from factory.errors import ConfigError, DataValidationError, FactoryError, ModelFileError
from factory.gitrepo import file_at
from factory.io import atomic_write_bytes, load_model_bytes, read_parquet, sha256_bytes, sha256_file, write_parquet
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.anchors import require_anchored
from factory.spec import DataProductSpec, UseCaseParams, parse_model

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ScoreSummary:
    """What was scored, with which model."""

    name: str
    version: str
    rows: int
    output: Path


def resolve_version(root: Path, name: str, stage: str | None, version: str | None) -> registry_state.VersionInfo:
    """The version asked for, or the one holding `stage` (production by default)."""
    check_name(name, "use case", use_case_names(ProjectPaths(root)))
    if version is not None:
        return registry_state.find_version(root, name, version)
    stage = stage or "production"
    if stage not in registry_state.STAGES:
        raise FactoryError(f"unknown stage {stage!r}; expected one of: {', '.join(registry_state.STAGES)}")
    held = registry_state.holders(root, name).get(stage)
    if held is None:
        raise FactoryError(
            f"{name}: no version is in {stage}; release a committed build with `factory release {name}` "
            f"(see `factory releases {name}`), or pass --version"
        )
    return registry_state.find_version(root, name, held)


def fetch_model_bytes(root: Path, info: registry_state.VersionInfo) -> bytes:
    """The released model file, from the DVC remote at the version's tag, checked against its record."""
    if info.record is None:
        raise ModelFileError(f"{info.tag}: no release record; refusing to score with an unverifiable model")
    (model,) = fetch_verified(root, info, [(info.record.model_path, info.record.model_sha256, "model file")])
    return model


def fetch_verified(root: Path, info: registry_state.VersionInfo, files: Sequence[tuple[str, str, str]]) -> list[bytes]:
    """DVC-tracked files as released in version `info`, each refused unless its sha256 is the record's.

    The record itself is first held against its tagged commit (`anchors.require_anchored`), so
    a rewritten record cannot vouch for another file. `files` holds (path, sha256, what)
    triples. One DVC file system serves them all: opening one reads every pipeline of the revision.
    """
    from dvc.api import DVCFileSystem

    require_anchored(root, info)
    tag = info.tag

    contents = []
    fs = None
    for path, sha256, what in files:
        try:
            fs = fs or DVCFileSystem(url=str(root), rev=tag)
            data = fs.read_bytes(path)
        except Exception as exc:  # DVC raises many types for a missing remote or object
            raise ModelFileError(f"{tag}: cannot fetch {path} from the DVC remote ({exc})") from exc
        digest = sha256_bytes(data)
        if digest != sha256:
            raise ModelFileError(
                f"{tag}: {what} sha256 {digest} differs from the release record's {sha256}; refusing to use it"
            )
        contents.append(data)
    return contents


def released_params(root: Path, info: registry_state.VersionInfo) -> tuple[UseCaseParams, dict[str, DataProductSpec]]:
    """The use case's compiled params and its data products, as they were at the version's tag."""
    name = info.record.use_case if info.record else info.tag.split("@")[0]
    shown = f"use_cases/{name}/params.yaml@{info.tag}"
    text = file_at(root, info.tag, f"use_cases/{name}/params.yaml")
    products_text = file_at(root, info.tag, "params.yaml")
    if text is None or products_text is None:
        raise ConfigError.single(shown, "", "compiled params at the released commit", "no such file")
    params, problems = parse_model(UseCaseParams, yaml.safe_load(text))
    if problems:
        raise ConfigError(shown, problems)
    products = {}
    for product_name, raw in (yaml.safe_load(products_text) or {}).get("products", {}).items():
        product, problems = parse_model(DataProductSpec, raw)
        if problems:
            raise ConfigError(f"params.yaml@{info.tag}", problems)
        products[product_name] = product
    return params, products


def read_table(path: Path) -> pd.DataFrame:
    """Read CSV or Parquet input, or a folder of Parquet files (as `factory serve` captures); never an empty table."""
    import pandas as pd

    if path.is_dir():
        return _read_folder(path)[0]
    if not path.is_file():
        raise FactoryError(f"{path}: no such input file")
    try:
        table = read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:
        raise DataValidationError(f"{path}: cannot read it as {path.suffix or 'CSV'} ({exc})") from exc
    if table.empty:
        raise DataValidationError(f"{path}: the table has no rows")
    return table


def batch_files(folder: Path) -> list[Path]:
    """The Parquet files of a folder batch, in name order (captured files are named by time)."""
    return sorted(path for path in folder.glob("*.parquet") if path.is_file() and not path.is_symlink())


def read_batch(path: Path) -> tuple[pd.DataFrame, str]:
    """`read_table`, with the sha256 of what was read: of the file, or of each file of a folder."""
    if not path.is_dir():
        return read_table(path), sha256_file(path)
    return _read_folder(path)


def _read_folder(folder: Path) -> tuple[pd.DataFrame, str]:
    """The rows of every Parquet file in `folder`, and a digest of the files read (files added later are not)."""
    import pandas as pd

    files = batch_files(folder)
    if not files:
        raise DataValidationError(f"{folder}: expected Parquet files in the folder; found none")
    tables, listing = [], []
    for file in files:
        data = file.read_bytes()
        try:
            tables.append(pd.read_parquet(io.BytesIO(data)))
        except Exception as exc:
            raise DataValidationError(f"{file}: cannot read it as Parquet ({exc})") from exc
        listing.append(f"{file.name} {sha256_bytes(data)}\n")
    table = pd.concat(tables, ignore_index=True)
    if table.empty:
        raise DataValidationError(f"{folder}: the files hold no rows")
    return table, sha256_bytes("".join(listing).encode())


def score(
    root: Path, name: str, input_path: Path, output_path: Path, stage: str | None = None, version: str | None = None
) -> ScoreSummary:
    """Write predictions (and class probabilities) of the chosen version for every input row."""
    if output_path.suffix not in (".csv", ".parquet"):
        raise FactoryError(f"{output_path}: the output must end in .csv or .parquet")
    info = resolve_version(root, name, stage, version)
    params, products = released_params(root, info)
    table = read_table(input_path)
    columns = params.features.columns
    schema = input_schema_for(params, products)
    validate_frame(table, schema, f"input {input_path}", coerce=True)
    features = table[columns].copy()
    features[params.features.numeric] = features[params.features.numeric].astype("float64")
    model = load_model_bytes(fetch_model_bytes(root, info), str(info.tag))
    predictions = predict_frame(model, features, params.task != "regression")
    result = table.assign(**{column: predictions[column] for column in predictions.columns})
    result["model"] = name
    result["model_version"] = info.version
    _write_table(output_path, result)
    return ScoreSummary(name=name, version=info.version, rows=len(result), output=output_path)


def _write_table(path: Path, table: pd.DataFrame) -> None:
    if path.suffix == ".parquet":
        write_parquet(path, table)
    else:
        atomic_write_bytes(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
