"""`sql_query` against a real PostgreSQL server that the test starts on a free port of 127.0.0.1."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from factory import registry
from factory.errors import ComponentError
from factory.registry import RunContext

PASSWORD = "s3cret-pw-123"
CONNECTION = "test_warehouse"
VARIABLE = "FACTORY_SQL_TEST_WAREHOUSE"  # where the operator puts its URL


def server_binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"PostgreSQL's {name} is missing: scripts/setup-postgresql.sh installs it"
    return found[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A PostgreSQL cluster of its own in a temporary folder, with a `customers` table; yields its URL."""
    # PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
    as_server = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="factory-pg-"))
    if as_server:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if as_server:
        shutil.chown(password_file, "postgres", "postgres")
    subprocess.run(
        [
            *as_server,
            server_binary("initdb"),
            "-D",
            str(data),
            "-U",
            "factory",
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            *as_server,
            server_binary("postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://factory:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        from sqlalchemy import create_engine, text

        deadline = time.monotonic() + 60
        while True:
            try:
                engine = create_engine(url)
                with engine.begin() as connection:
                    connection.execute(
                        text(
                            "CREATE TABLE customers (id integer PRIMARY KEY, region text, spend double precision, "
                            "signed_up timestamp)"
                        )
                    )
                    connection.execute(text("CREATE SEQUENCE ticket"))
                    connection.execute(
                        text(
                            "INSERT INTO customers SELECT i, (ARRAY['north','south'])[1 + i % 2], i * 1.5, "
                            "timestamp '2026-01-01' + i * interval '1 day' FROM generate_series(1, 50) AS i"
                        )
                    )
                engine.dispose()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def with_url(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(VARIABLE, server)
    return server


def run(query: str, context: RunContext, **extra: object) -> pd.DataFrame:
    source = registry.get("source", "sql_query")
    return source(source.parse_params({"connection": CONNECTION, "query": query, **extra}), context)


def test_rows_come_from_the_server_in_order(with_url: str, context: RunContext) -> None:
    frame = run("SELECT id, region, spend, signed_up FROM customers WHERE id <= 4 ORDER BY id", context)
    assert frame["id"].tolist() == [1, 2, 3, 4] and frame["region"].tolist() == ["south", "north", "south", "north"]
    assert frame["spend"].tolist() == [1.5, 3.0, 4.5, 6.0] and frame["signed_up"].dtype == "datetime64[ns]"


def test_the_transaction_is_read_only_and_bounded(with_url: str, context: RunContext) -> None:
    with pytest.raises(ComponentError):
        run("DELETE FROM customers", context)  # not even a query a cursor can run
    with pytest.raises(ComponentError) as caught:
        run("SELECT nextval('ticket')", context)  # a SELECT that would write
    message = str(caught.value)
    assert "cannot execute nextval() in a read-only transaction" in message and PASSWORD not in message
    assert len(run("SELECT id FROM customers ORDER BY id", context)) == 50  # nothing was deleted
    with pytest.raises(ComponentError, match="canceling statement due to statement timeout"):
        run("SELECT pg_sleep(5)", context, timeout_seconds=1)
    with pytest.raises(ComponentError, match=r"more than max_rows \(10\) rows"):
        run("SELECT id FROM customers", context, max_rows=10)


def test_no_error_carries_the_url_or_its_password(
    server: str, context: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, server.replace(PASSWORD, PASSWORD + "-wrong"))
    with pytest.raises(ComponentError) as caught:
        run("SELECT 1", context)
    message = str(caught.value)
    assert "password authentication failed" in message and PASSWORD not in message, message
    monkeypatch.setenv(VARIABLE, server)
    with pytest.raises(ComponentError) as caught:
        run("SELECT nope FROM customers", context)
    assert 'column "nope" does not exist' in str(caught.value) and PASSWORD not in str(caught.value)
