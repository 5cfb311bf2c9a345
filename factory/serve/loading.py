"""One released model made ready to answer requests: fetched, checked, with its input contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factory.datacheck import input_schema_for
from factory.errors import ModelFileError
from factory.io import load_model_bytes
from factory.release.scoring import fetch_model_bytes, released_params, resolve_version
from factory.serve.requests import RowContract, row_contract
from factory.spec import TableSchema, UseCaseParams


@dataclass(frozen=True)
class ServedModel:
    """A released version as the service holds it; replaced whole, never changed in place."""

    name: str
    version: str
    tag: str
    model_sha256: str
    params: UseCaseParams
    schema: TableSchema
    contract: RowContract
    model: Any
    loaded_at: str

    @property
    def classifier(self) -> bool:
        """Whether the model answers with classes and their probabilities."""
        return self.params.task != "regression"


def stage_version(root: Path, name: str, stage: str) -> str:
    """The version that holds `stage` now (raises `FactoryError` when none does)."""
    return resolve_version(root, name, stage, None).version


def load_version(root: Path, name: str, version: str) -> ServedModel:
    """Fetch, check and load one released version, as `factory score` does (sha256, trusted types)."""
    info = resolve_version(root, name, None, version)
    params, products = released_params(root, info)
    schema = input_schema_for(params, products)
    model = load_model_bytes(fetch_model_bytes(root, info), info.tag)
    if info.record is None:  # fetch_model_bytes has refused it already; this says so to the type checker
        raise ModelFileError(f"{info.tag}: no release record")
    return ServedModel(
        name=name,
        version=info.version,
        tag=info.tag,
        model_sha256=info.record.model_sha256,
        params=params,
        schema=schema,
        contract=row_contract(name, info.version, params, schema),
        model=model,
        loaded_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
