"""The compiled params.yaml files, read back: a use case's resolved config and the data products'.

A stage reads only these (never the Hydra configs), so what ran is what was reviewed and recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factory.bounded_yaml import RECORD_LIMITS
from factory.errors import ConfigError
from factory.io import read_yaml_mapping
from factory.paths import ProjectPaths, UseCasePaths
from factory.spec import DataProductSpec, UseCaseParams, parse_model


def read_params(file: Path, shown: str) -> dict[str, Any]:
    """Read a generated params.yaml, naming the fix when it is missing."""
    if not file.is_file():
        raise ConfigError.single(shown, "", "a compiled params file (run `factory compile`)", "no such file")
    return read_yaml_mapping(file, shown, RECORD_LIMITS)


def load_use_case_params(paths: UseCasePaths) -> UseCaseParams:
    """The resolved config of one use case, as compiled into its params.yaml."""
    shown = f"use_cases/{paths.name}/params.yaml"
    params, problems = parse_model(UseCaseParams, read_params(paths.params_yaml, shown))
    if problems:
        raise ConfigError(shown, problems)
    assert isinstance(params, UseCaseParams)
    return params


def load_product_params(paths: ProjectPaths) -> dict[str, DataProductSpec]:
    """Every data product, as compiled into the root params.yaml."""
    raw = read_params(paths.params_yaml, "params.yaml").get("products") or {}
    products = {}
    for name, value in raw.items():
        product, problems = parse_model(DataProductSpec, value)
        if problems:
            raise ConfigError(f"params.yaml (products.{name})", problems)
        products[name] = product
    return products
