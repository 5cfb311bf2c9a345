"""The request a use case's endpoint accepts, generated from its declared features.

Each feature becomes a field typed from its product's dtype (numbers, text, booleans; a
declared `allowed` list becomes an enumeration), nullable only where the product says so,
and nothing else is accepted. Types are strict: `"3.5"` is not a number here, as it is not
in the product's schema. Ranges are then checked by the same schema `factory score` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from factory.spec import ColumnSchema, TableSchema, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd

_PYTHON_TYPES: dict[str, Any] = {"float64": float, "int64": int, "string": str, "bool": bool, "datetime64[ns]": str}


class RequestProblem(Exception):
    """A request the service refuses: an HTTP status and one message naming what was expected."""

    def __init__(self, status: int, message: str, detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail or []


@dataclass(frozen=True)
class RowContract:
    """The pydantic model of one row of a use case's request, and how to read a body with it."""

    row_model: type[BaseModel]
    rows: TypeAdapter[list[Any]]
    numeric: tuple[str, ...]
    columns: tuple[str, ...]
    ranges: dict[str, tuple[float | None, float | None]]  # numeric feature -> declared (min, max)

    def json_schema(self) -> dict[str, Any]:
        """The request body's JSON Schema: a list of rows, or one row."""
        row = self.row_model.model_json_schema()
        return {"anyOf": [{"type": "array", "items": row, "minItems": 1}, row], "title": row.get("title", "Row")}

    def frame(self, body: Any, max_rows: int) -> pd.DataFrame:
        """The request's rows as a table in the feature order, or `RequestProblem` (422/413)."""
        import numpy as np
        import pandas as pd

        rows = [body] if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise RequestProblem(422, f"expected a JSON list of records or one record; got {type(body).__name__}")
        if not rows:
            raise RequestProblem(422, "expected at least one record; got an empty list")
        if len(rows) > max_rows:
            raise RequestProblem(413, f"expected at most {max_rows} records per request; got {len(rows)}")
        try:
            parsed = self.rows.validate_python(rows)
        except ValidationError as exc:
            raise _problem(exc) from None
        numeric = set(self.numeric)
        # Built column by column in its final dtype: no copy to cast afterwards.
        columns = {
            name: np.array([getattr(row, name) for row in parsed], dtype="float64")
            if name in numeric
            else [getattr(row, name) for row in parsed]
            for name in self.columns
        }
        return pd.DataFrame(columns, columns=list(self.columns))

    def within_ranges(self, table: pd.DataFrame) -> bool:
        """Whether every number is inside its declared range: the one check types and enums leave.

        Cheap enough for every request; when it fails, the input schema names what failed.
        """
        import numpy as np

        for name, (low, high) in self.ranges.items():
            values = table[name].to_numpy()
            present = values[~np.isnan(values)]
            if (low is not None and (present < low).any()) or (high is not None and (present > high).any()):
                return False
        return True


def row_contract(name: str, version: str, params: UseCaseParams, schema: TableSchema) -> RowContract:
    """The request contract of one released version of use case `name`."""
    fields: dict[str, Any] = {
        column: (_field_type(schema.columns[column]), Field(...)) for column in params.features.columns
    }
    title = "".join(part.capitalize() for part in name.split("-")) + "Row"
    row_model: type[BaseModel] = create_model(
        title,
        __config__=ConfigDict(extra="forbid", strict=True, title=title),
        __doc__=f"One row to score with {name} {version}: its declared features.",
        **fields,
    )
    return RowContract(
        row_model=row_model,
        rows=TypeAdapter(list[row_model]),  # type: ignore[valid-type]
        numeric=tuple(params.features.numeric),
        columns=tuple(params.features.columns),
        ranges={
            name: (schema.columns[name].min, schema.columns[name].max)
            for name in params.features.numeric
            if schema.columns[name].min is not None or schema.columns[name].max is not None
        },
    )


def _field_type(column: ColumnSchema) -> Any:
    base: Any = _PYTHON_TYPES[column.dtype]
    if column.allowed:
        base = Literal[tuple(column.allowed)]
    return base | None if column.nullable else base


def _problem(exc: ValidationError) -> RequestProblem:
    """One message naming each row and field that failed, with what was expected."""
    detail, parts = [], []
    for error in exc.errors(include_url=False):
        location = list(error["loc"])
        row, field = (location[0], ".".join(str(part) for part in location[1:])) if location else (0, "")
        got = error.get("input")
        shown = f"; got {_short(got)}" if error["type"] != "missing" else ""
        parts.append(f"record {row}, field {field!r}: {error['msg'].lower()}{shown}")
        detail.append({"loc": ["body", *location], "msg": error["msg"], "type": error["type"]})
    more = f" (and {len(parts) - 5} more)" if len(parts) > 5 else ""
    return RequestProblem(422, "; ".join(parts[:5]) + more, detail)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
