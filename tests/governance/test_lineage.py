"""Lineage assembled from build records: products back to raw files through joins, code, packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from factory.errors import FactoryError
from factory.governance.lineage import read_lineage
from factory.governance.snapshot import Snapshot


def dep(path: str, md5: str) -> dict[str, str]:
    return {"path": path, "md5": md5, "hash": "md5"}


@pytest.fixture
def records(tmp_path: Path) -> Path:
    """The records a build of `loans` leaves: loans-features joins the raw loans file's product."""
    (tmp_path / "use_cases/loans/artifacts").mkdir(parents=True)
    (tmp_path / "use_cases/loans/artifacts/lineage.json").write_text(
        json.dumps(
            {
                "git": {"commit": "1" * 40, "dirty": False},
                "config_sha256": "c" * 64,
                "model_sha256": "s" * 64,
                "params": {"products": {"loans-features": "data/products/loans-features.parquet"}},
                "packages": {"scikit-learn": "1.9.1", "dvc": "3.67.1"},
            }
        )
    )
    lock = {
        "stages": {
            "prepare": {
                "deps": [
                    dep("../../data/products/loans-features.parquet", "f1"),
                    dep("../../factory/stages/prepare.py", "p1"),
                ]
            },
            "train": {
                "deps": [dep("../../components/models/ridge.py", "r1"), dep("artifacts/train.parquet", "t1")],
                "outs": [{"path": "artifacts/model.skops", "md5": "m1"}],
            },
        }
    }
    (tmp_path / "use_cases/loans/dvc.lock").write_text(yaml.safe_dump(lock))
    root_lock = {
        "stages": {
            "loans": {
                "deps": [dep("components/sources/csv_file.py", "c1"), dep("data/raw/loans.csv", "raw1")],
                "params": {
                    "params.yaml": {
                        "products.loans": {
                            "source": {"component": "csv_file", "params": {"path": "data/raw/loans.csv"}}
                        }
                    }
                },
                "outs": [{"path": "data/products/loans.parquet", "md5": "l1"}],
            },
            "loans-features": {
                "deps": [dep("components/transforms/join.py", "j1"), dep("data/products/loans.parquet", "l1")],
                "params": {
                    "params.yaml": {
                        "products.loans-features": {
                            "source": {"component": "synthetic_customers", "params": {"seed": 1}},
                            "transforms": [{"component": "join", "params": {"product": "loans"}}],
                        }
                    }
                },
                "outs": [{"path": "data/products/loans-features.parquet", "md5": "f1"}],
            },
        }
    }
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(root_lock))
    return tmp_path


def test_products_are_traced_to_raw_files_through_joins(records: Path) -> None:
    lineage = read_lineage(Snapshot(records), "loans", None, None)
    assert lineage.commit == "1" * 40 and lineage.config_sha256 == "c" * 64 and lineage.model_md5 == "m1"
    (features,) = lineage.products
    assert (features.name, features.md5, features.transforms) == ("loans-features", "f1", ["join"])
    assert [f.path for f in features.code] == ["components/transforms/join.py"]
    (loans,) = features.upstream
    assert loans.name == "loans" and loans.md5 == "l1" and loans.source["component"] == "csv_file"
    assert [(f.path, f.md5) for f in loans.raw_files] == [("data/raw/loans.csv", "raw1")]
    assert [f.path for f in lineage.components] == ["components/models/ridge.py"]
    assert [f.path for f in lineage.stage_code] == ["factory/stages/prepare.py"]
    assert list(lineage.packages) == ["dvc", "scikit-learn"]
    assert json.loads(json.dumps(lineage.to_dict()))["products"][0]["upstream"][0]["name"] == "loans"


def test_an_unbuilt_use_case_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FactoryError, match=r"run `factory build loans` and commit"):
        read_lineage(Snapshot(tmp_path), "loans", None, None)


def test_a_damaged_record_is_a_clean_error(tmp_path: Path) -> None:
    from factory.errors import ConfigError

    (tmp_path / "lineage.json").write_text("{not json")
    with pytest.raises(ConfigError) as caught:
        Snapshot(tmp_path).mapping("lineage.json")
    assert str(caught.value).startswith("lineage.json (the working tree): invalid configuration")
    assert "expected valid JSON" in str(caught.value)
