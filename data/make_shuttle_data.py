"""Write the shuttle-prices example's raw data: an Excel workbook, a CSV file and a DuckDB database.

Three tables as three departments would hand them over, each in its own format and with its
own names for the keys: the fleet register (shuttles.xlsx, a title row above the header,
yes/no flags as text, some prices missing), the reviews export (shuttle_reviews.csv, keyed
by `shuttle_id`) and the operators' database (shuttle_companies.duckdb, keyed by `id`).
Seeded, so every run writes the same rows; the workbook's bytes are the same too (its zip
timestamps are fixed), while DuckDB stamps each new file with an identifier of its own.

    python data/make_shuttle_data.py [--out data/raw]
"""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261206
SHUTTLES = 800
COMPANIES = 60
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The shuttles, their reviews and their operators, with a price that depends on all three."""
    rng = np.random.default_rng(SEED)
    companies = pd.DataFrame(
        {
            "id": np.arange(1, COMPANIES + 1),
            "company_rating": np.where(rng.random(COMPANIES) < 0.1, np.nan, rng.uniform(0.6, 1.0, COMPANIES).round(2)),
            "iata_approved": rng.random(COMPANIES) < 0.7,
            "total_fleet_count": rng.integers(1, 40, COMPANIES),
        }
    )
    kinds = np.array(["Type V1", "Type V2", "Type V3"])
    engines = np.array(["Quantum", "Plasma", "Nuclear", "Ion"])
    shuttles = pd.DataFrame(
        {
            "id": np.arange(1001, 1001 + SHUTTLES),
            "company_id": rng.integers(1, COMPANIES + 1, SHUTTLES),
            "shuttle_type": kinds[rng.integers(0, 3, SHUTTLES)],
            "engine_type": engines[rng.integers(0, 4, SHUTTLES)],
            "engines": rng.integers(1, 5, SHUTTLES),
            "passenger_capacity": rng.integers(1, 12, SHUTTLES),
            "crew": rng.integers(1, 6, SHUTTLES),
            "d_check_complete": np.where(rng.random(SHUTTLES) < 0.8, "yes", "no"),
        }
    )
    reviews = pd.DataFrame(
        {
            "shuttle_id": shuttles["id"],
            "review_scores_rating": rng.uniform(50, 100, SHUTTLES).round(1),
            "number_of_reviews": rng.integers(0, 300, SHUTTLES),
        }
    )
    rating = shuttles["company_id"].map(companies.set_index("id")["company_rating"]).fillna(0.8)
    price = (
        800
        + 350 * shuttles["passenger_capacity"]
        + 500 * shuttles["engines"]
        + 120 * shuttles["crew"]
        + shuttles["shuttle_type"].map({"Type V1": 0, "Type V2": 900, "Type V3": 1800})
        + 12 * reviews["review_scores_rating"]
        + 1500 * rating
        + rng.normal(0, 250, SHUTTLES)
    ).round(2)
    shuttles["price"] = np.where(rng.random(SHUTTLES) < 0.05, np.nan, price)
    return shuttles, reviews, companies


def write_workbook(shuttles: pd.DataFrame, path: Path) -> None:
    """The fleet register as its owners export it: a title row, then the header, then the rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "shuttles"
    sheet.append(["Fleet register, exported for the pricing team"])
    sheet.append(list(shuttles.columns))
    for row in shuttles.itertuples(index=False):
        sheet.append([None if isinstance(value, float) and np.isnan(value) else _plain(value) for value in row])
    workbook.properties.created = workbook.properties.modified = pd.Timestamp("2026-01-01").to_pydatetime()
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_fixed_zip_times(buffer.getvalue()))


def write_database(companies: pd.DataFrame, path: Path) -> None:
    """The operators' table in a DuckDB file of its own."""
    import duckdb

    path.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    try:
        connection.register("companies_frame", companies)
        connection.execute("CREATE TABLE companies AS SELECT * FROM companies_frame ORDER BY id")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every timestamp fixed (the members', and the saving time openpyxl records)."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", content)
            fixed = zipfile.ZipInfo(member.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return output.getvalue()


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "raw")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    shuttles, reviews, companies = tables()
    write_workbook(shuttles, out / "shuttles.xlsx")
    reviews.to_csv(out / "shuttle_reviews.csv", index=False, lineterminator="\n")
    write_database(companies, out / "shuttle_companies.duckdb")
    print(f"wrote {out}/shuttles.xlsx, shuttle_reviews.csv, shuttle_companies.duckdb")


if __name__ == "__main__":
    main()
