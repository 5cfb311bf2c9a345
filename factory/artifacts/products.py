"""A data product's rows as its declaration makes them: the source, then each transform in order."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from factory import registry
from factory.spec import DataProductSpec

if TYPE_CHECKING:
    import pandas as pd


def product_frame(product: DataProductSpec, products: Mapping[str, DataProductSpec], root: Path) -> pd.DataFrame:
    """Run `product`'s source and transforms (products it joins are read from their built files)."""
    context = registry.RunContext(
        root=root, product_paths={name: root / other.output_path for name, other in products.items()}
    )
    source = registry.get("source", product.source.component)
    frame = source(source.parse_params(product.source.params), context)
    for ref in product.transforms:
        transform = registry.get("transform", ref.component)
        frame = transform(transform.parse_params(ref.params), frame, context)
    return frame
