"""A build's recorded inputs against the files of a commit, in real Git repositories."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from factory.gitrepo import blobs_at, git
from factory.governance.inputs import compare_with_commit, recorded_inputs
from factory.governance.lineage import read_lineage
from factory.governance.snapshot import Snapshot
from factory.render import provenance_lines
from tests.release.test_gitrepo import GIT_IDENTITY, init_repo

CODE = "def fit(frame):\n    return frame\n"
RAW = "id,value\n1,2\n"
PRODUCT = "data/products/loans.parquet"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def use_case_lock(code: str = CODE, description: str = "loans") -> dict[str, object]:
    """The lock a build of `loans` leaves: a code file, a product from the root lock, an artifact, a parameter."""
    return {
        "stages": {
            "prepare": {
                "deps": [
                    {"path": "../../components/models/ridge.py", "md5": md5(code)},
                    {"path": "../../data/products/loans.parquet", "md5": "product-md5"},
                ],
                "params": {"params.yaml": {"description": description, "cast.false_values": ["no", "n"]}},
                "outs": [{"path": "artifacts/train.parquet", "md5": "train-md5"}],
            },
            "train": {"deps": [{"path": "artifacts/train.parquet", "md5": "train-md5"}]},
        }
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed project whose build records match its files; data/raw is tracked by DVC, not Git."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    root_lock = {
        "stages": {
            "loans": {
                "deps": [{"path": "data/raw/loans.csv", "md5": md5(RAW)}],
                "outs": [{"path": "data/products/loans.parquet", "md5": "product-md5"}],
            },
            "unrelated": {"deps": [{"path": "data/raw/other.csv", "md5": "not-this-use-case"}]},
        }
    }
    params = "description: loans\ncast:\n  false_values: ['no', n]\n"
    return init_repo(
        tmp_path / "project",
        {
            "components/models/ridge.py": CODE,
            "use_cases/loans/params.yaml": params,
            # DVC writes its locks as YAML 1.2, leaving `no` unquoted: it is text, not false.
            "use_cases/loans/dvc.lock": yaml.safe_dump(use_case_lock()).replace("'no'", "no"),
            "use_cases/loans/artifacts/lineage.json": json.dumps(
                {"git": {"commit": "0000", "dirty": True}, "params": {"products": {"loans": PRODUCT}}}
            ),
            "dvc.lock": yaml.safe_dump(root_lock),
            "data/raw/loans.csv.dvc": yaml.safe_dump({"outs": [{"path": "loans.csv", "md5": md5(RAW)}]}),
        },
    )


def check(root: Path, revision: str = "HEAD", stages: tuple[str, ...] = ("loans",)) -> tuple[int, list[str]]:
    """The working tree's records (read as DVC reads them, the root lock's `stages` only) against `revision`."""
    snapshot = Snapshot(root)
    root_stages = snapshot.mapping("dvc.lock")["stages"]
    locks = {
        "use_cases/loans/dvc.lock": snapshot.mapping("use_cases/loans/dvc.lock") if "loans" in stages else {},
        "dvc.lock": {"stages": {name: root_stages[name] for name in stages}},
    }
    found = compare_with_commit(root, revision, *recorded_inputs(locks))
    return found.matched, found.differing


def test_a_build_committed_after_it_ran_reads_clean(project: Path) -> None:
    lineage = read_lineage(Snapshot(project), "loans", None, None)
    assert lineage.inputs is not None and lineage.inputs.clean, lineage.inputs
    # code, product (via the root lock), both parameters, the artifact, and the raw file (via its .dvc record)
    assert lineage.inputs.matched == 6 and lineage.inputs.commit == git(project, "rev-parse", "HEAD")
    lines = provenance_lines(lineage)
    assert lines[0].startswith(f"built from commit {lineage.inputs.commit} (HEAD): all 6 recorded inputs match")
    assert "the build ran on commit 0000, before its results were committed" in lines[1]


def test_an_edit_committed_without_a_build_is_named(project: Path) -> None:
    (project / "components/models/ridge.py").write_text(CODE + "# tuned\n")
    (project / "use_cases/loans/params.yaml").write_text("description: other\ncast:\n  false_values: ['no', n]\n")
    assert check(project) == (6, [])  # the working tree is not what is compared
    git(project, "commit", "-qam", "edit without a build")
    _, differing = check(project)
    assert differing == ["components/models/ridge.py", "use_cases/loans/params.yaml:description"]
    lineage = read_lineage(Snapshot(project), "loans", None, None)
    (built, differ) = provenance_lines(lineage)
    assert built == "built at commit 0000"
    assert "2 of 6 recorded inputs differ from commit" in differ and "commit them before a release" in differ
    # A released version whose commit is not what it was built from reads so, in red.
    released = read_lineage(Snapshot(project, "HEAD"), "loans", "v1.0.0", None)
    assert "[red]2 of 6 recorded inputs differ from commit" in provenance_lines(released)[1]
    assert "(the version's)" in provenance_lines(released)[1]
    # The commit before the edit still matches the records.
    assert check(project, "HEAD~1") == (6, [])


def test_inputs_git_does_not_hold_are_checked_through_their_records(project: Path) -> None:
    lock = use_case_lock()
    lock["stages"]["train"]["deps"][0]["md5"] = "another-train"  # type: ignore[index]
    (project / "use_cases/loans/dvc.lock").write_text(yaml.safe_dump(lock))
    assert check(project)[1] == ["use_cases/loans/artifacts/train.parquet"]
    (project / "data/raw/loans.csv.dvc").write_text(yaml.safe_dump({"outs": [{"path": "loans.csv", "md5": "x"}]}))
    git(project, "commit", "-qam", "new raw data without a build")
    assert check(project)[1] == ["data/raw/loans.csv", "use_cases/loans/artifacts/train.parquet"]
    assert check(project, stages=("unrelated",))[1] == ["data/raw/other.csv"]  # neither in Git nor recorded


def test_without_a_commit_nothing_is_compared(tmp_path: Path) -> None:
    found = compare_with_commit(tmp_path, "HEAD", *recorded_inputs({"dvc.lock": use_case_lock()}))
    assert found.commit is None and not found.clean and found.problem == "no commit HEAD to compare with"


def test_blobs_are_read_by_one_git_process(project: Path) -> None:
    blobs = blobs_at(project, "HEAD", ["components/models/ridge.py", "components", "missing.txt", "a\nb"])
    assert blobs == {"components/models/ridge.py": CODE.encode(), "components": None, "missing.txt": None, "a\nb": None}
