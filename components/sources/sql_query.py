"""Source `sql_query`: the result of one SQL query, from a DuckDB file in the project or a database server."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from components.sources._frames import with_nanosecond_dates
from components.sources._paths import DataPath
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

# A config names a connection, never a URL nor an environment variable: the operator sets the
# URL of connection `warehouse` in FACTORY_SQL_WAREHOUSE, so no config can reach any other
# part of the environment.
URL_VARIABLE_PREFIX = "FACTORY_SQL_"
FETCH_ROWS = 50_000
DUCKDB_MEMORY_LIMIT = "2GB"


class SqlQueryParams(ComponentParams):
    """Parameters of `sql_query`."""

    query: str = Field(min_length=1, max_length=100_000, description="One SQL query; end it with ORDER BY (see below).")
    database: DataPath | None = Field(
        None, description="A DuckDB file under data/ (e.g. data/raw/warehouse.duckdb), opened read-only."
    )
    connection: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description=f"A server connection the operator set up: its SQLAlchemy URL is in {URL_VARIABLE_PREFIX}<NAME>.",
    )
    max_rows: int = Field(10_000_000, ge=1, le=100_000_000, description="Refuse a result with more rows.")
    timeout_seconds: int = Field(600, ge=1, le=86_400, description="Cancel the query after this long.")

    @model_validator(mode="after")
    def _one_database(self) -> SqlQueryParams:
        if (self.database is None) == (self.connection is None):
            raise ValueError("exactly one of database (a DuckDB file under data/) or connection")
        return self


def _files(params: SqlQueryParams) -> list[str]:
    return [params.database] if params.database else []


@register("source", "sql_query", SqlQueryParams, reads_files=_files, external=lambda p: p.connection is not None)
def sql_query(params: SqlQueryParams, context: RunContext) -> pd.DataFrame:
    """Run one SQL query and return its rows.

    With `database`, the DuckDB file is opened read-only with every access outside it off
    (no other files, no extensions, no network, settings locked). With `connection`, the URL
    is read from the operator's FACTORY_SQL_<CONNECTION> variable when the source runs, used through SQLAlchemy in a
    read-only transaction, and never written to any output, log or error. The result is
    fetched in blocks up to `max_rows`; the query is cancelled after `timeout_seconds`.
    Without ORDER BY a database may return rows in any order, which changes the product's
    bytes and so rebuilds the use cases that read it.
    """
    if params.database is not None:
        frame = _from_duckdb(params, str(context.data_file(params.database)))
    else:
        frame = _from_server(params)
    return with_nanosecond_dates(frame)


def _from_duckdb(params: SqlQueryParams, path: str) -> pd.DataFrame:
    import duckdb

    locked = {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "lock_configuration": True,
        "threads": 1,
        # Bounded memory, and nothing spilled to disk beside the database when a query needs more.
        "memory_limit": DUCKDB_MEMORY_LIMIT,
        "temp_directory": "",
    }
    connection = duckdb.connect(path, read_only=True, config=locked)
    timer = threading.Timer(params.timeout_seconds, connection.interrupt)
    timer.start()
    try:
        connection.execute(params.query)
        return _bounded_frame(_duckdb_blocks(connection), params)
    except duckdb.InterruptException:
        raise TimeoutError(f"the query ran longer than {params.timeout_seconds} s") from None
    finally:
        timer.cancel()
        connection.close()


def _duckdb_blocks(connection: Any) -> Any:
    """The pending result in blocks of about FETCH_ROWS rows (DuckDB hands out 2,048-row vectors)."""
    while True:
        block = connection.fetch_df_chunk(FETCH_ROWS // 2048)
        if block.empty:
            return
        yield block


def _from_server(params: SqlQueryParams) -> pd.DataFrame:
    import pandas as pd
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    variable = connection_variable(params.connection or "")
    url = os.environ.get(variable)
    if not url:
        raise ValueError(
            f"connection {params.connection!r} is not set up here: the operator sets its URL in {variable}"
        )
    try:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION READ ONLY"))
                connection.execute(text(f"SET LOCAL statement_timeout = {params.timeout_seconds * 1000}"))
            result = connection.execution_options(stream_results=True).exec_driver_sql(params.query)
            try:
                columns = list(result.keys())
                blocks = (pd.DataFrame(rows, columns=columns) for rows in result.partitions(FETCH_ROWS))
                frame = _bounded_frame(blocks, params, columns)
            finally:
                result.close()  # the server-side cursor, also when the rows ran over max_rows
        engine.dispose()
        return frame
    except Exception as exc:  # drivers raise their own types; none may carry the URL out
        raise RuntimeError(f"the query failed: {_without_secrets(exc, url)}") from None


def connection_variable(connection: str) -> str:
    """The environment variable holding a connection's URL, set by the operator."""
    return f"{URL_VARIABLE_PREFIX}{connection.upper()}"


def _bounded_frame(blocks: Any, params: SqlQueryParams, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    kept, rows = [], 0
    for block in blocks:
        rows += len(block)
        if rows > params.max_rows:
            raise ValueError(f"the query returned more than max_rows ({params.max_rows:,}) rows")
        kept.append(block)
    if not kept:
        return pd.DataFrame(columns=columns or [])
    return pd.concat(kept, ignore_index=True)


def _without_secrets(exc: Exception, url: str) -> str:
    """The driver's message with the URL and its password taken out, on one line."""
    from sqlalchemy.engine import make_url

    message = " ".join(str(getattr(exc, "orig", None) or exc).split())
    secrets = [url]
    try:
        parsed = make_url(url)
        secrets += [value for value in (parsed.password, parsed.render_as_string(hide_password=False)) if value]
    except Exception:  # an unparsable URL: hide it whole
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(str(secret), "***")
    return f"{type(exc).__name__}: {message[:500]}"
