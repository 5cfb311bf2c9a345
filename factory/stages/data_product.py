"""Build one data product: source, transforms, schema validation, Parquet out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from factory.artifacts.products import product_frame
from factory.datacheck import validate_frame
from factory.io import write_json, write_parquet
from factory.paths import ProjectPaths
from factory.spec import DataProductSpec

if TYPE_CHECKING:
    import pandas as pd


def run(product: DataProductSpec, products: Mapping[str, DataProductSpec], paths: ProjectPaths) -> None:
    """Build `product`; nothing is written unless the result satisfies its declared schema."""
    frame = product_frame(product, products, paths.root)
    validate_frame(frame, product.table_schema, f"data product {product.name!r}")
    write_parquet(paths.root / product.output_path, frame)
    write_json(paths.product_stats(product.output_path), table_stats(frame))


def table_stats(frame: pd.DataFrame) -> dict[str, object]:
    """Row count and null count per column, for `dvc metrics` and the model card."""
    nulls = frame.isna().sum()
    return {
        "rows": len(frame),
        "columns": len(frame.columns),
        "nulls": {str(column): int(nulls[column]) for column in frame.columns},
    }
