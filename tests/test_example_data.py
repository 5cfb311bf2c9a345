"""The shuttle-prices example's raw files are what data/make_shuttle_data.py writes, run again here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import REPO

RAW = REPO / "data" / "raw"


def test_the_committed_raw_files_are_the_generator_s(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "data" / "make_shuttle_data.py"), "--out", str(tmp_path)], check=True)
    for name in ("shuttles.xlsx", "shuttle_reviews.csv"):
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name
    # DuckDB stamps every new file with an identifier of its own: the rows must be equal.
    query = "SELECT * FROM companies ORDER BY id"
    rows = []
    for folder in (tmp_path, RAW):
        with duckdb.connect(str(folder / "shuttle_companies.duckdb"), read_only=True) as connection:
            rows.append(connection.execute(query).fetchall())
    assert rows[0] == rows[1] and len(rows[0]) == 60
