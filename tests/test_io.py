"""Atomic writes, canonical JSON, byte-stable skops files and the trusted-types gate."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from factory.errors import ModelFileError, ProjectError
from factory.io import (
    atomic_write_text,
    canonical_json,
    find_root,
    load_model,
    relative_to_root,
    save_model,
    sha256_file,
)
from tests.conftest import REPO


def fitted_forest() -> RandomForestClassifier:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(120, 4))
    return RandomForestClassifier(n_estimators=4, random_state=0).fit(features, features[:, 0] > 0)


def test_same_model_saved_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.skops", tmp_path / "b.skops"
    digest = save_model(first, fitted_forest())
    save_model(second, fitted_forest())
    assert first.read_bytes() == second.read_bytes()
    assert digest == sha256_file(first)
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "1.npy" in archive.namelist() or any(n.endswith(".npy") and len(n) < 10 for n in archive.namelist())


def test_saved_bytes_do_not_depend_on_the_process(tmp_path: Path) -> None:
    script = (
        "import sys; from tests.test_io import fitted_forest; from factory.io import save_model; "
        "from pathlib import Path; save_model(Path(sys.argv[1]), fitted_forest())"
    )
    for name in ("one.skops", "two.skops"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], cwd=REPO, check=True)
    assert (tmp_path / "one.skops").read_bytes() == (tmp_path / "two.skops").read_bytes()


def test_saved_bytes_do_not_depend_on_where_parts_were_fitted(tmp_path: Path) -> None:
    """Parts fitted in worker processes come back pickled (unshared strings, reordered attributes)."""
    from joblib import parallel_backend
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 4))
    labels = (features[:, 0] > 0).astype(int)

    def fitted() -> Pipeline:
        columns = ColumnTransformer(
            [
                ("a", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), [0, 1]),
                ("b", "passthrough", [2, 3]),
            ]
        )
        return Pipeline([("features", columns), ("model", LogisticRegression())]).fit(features, labels)

    in_process = save_model(tmp_path / "here.skops", fitted())
    with parallel_backend("loky", n_jobs=2):
        in_workers = save_model(tmp_path / "workers.skops", fitted())
    assert in_workers == in_process


def test_canonical_model_loads_and_predicts_the_same(tmp_path: Path) -> None:
    model = fitted_forest()
    save_model(tmp_path / "m.skops", model)
    loaded = load_model(tmp_path / "m.skops")
    probe = np.random.default_rng(9).normal(size=(20, 4))
    assert (loaded.predict_proba(probe) == model.predict_proba(probe)).all()


def test_gradient_boosting_types_are_trusted(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(200, 3))
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(features, features[:, 1] > 0)
    save_model(tmp_path / "hgb.skops", model)
    assert load_model(tmp_path / "hgb.skops").predict(features).shape == (200,)


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    save_model(tmp_path / "m.skops", fitted_forest())
    with pytest.raises(ModelFileError, match=r"refusing to load untrusted types sklearn.tree._tree.Tree"):
        load_model(tmp_path / "m.skops", trusted=())


def test_damaged_model_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a valid skops model file"):
        load_model(tmp_path / "bad.skops")
    with pytest.raises(ModelFileError, match="cannot read the model file"):
        load_model(tmp_path / "missing.skops")


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_canonical_json_is_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_find_root_and_relative_paths(tmp_path: Path) -> None:
    assert find_root(REPO / "use_cases" / "churn") == REPO
    with pytest.raises(ProjectError, match="not inside a model factory project"):
        find_root(tmp_path)
    assert relative_to_root(REPO / "conf" / "data", REPO) == "conf/data"
    with pytest.raises(ProjectError, match="outside the project root"):
        relative_to_root(tmp_path, REPO)


def test_written_files_get_the_mode_of_any_new_file(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        code = "import sys, pathlib, factory.io as io; io.write_json(pathlib.Path(sys.argv[1]), {})"
        subprocess.run([sys.executable, "-c", code, str(tmp_path / "out.json")], check=True, cwd=REPO)
    finally:
        os.umask(mask)
    assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o640
