"""End to end: release through real Git tags and a real DVC remote, then score from a fresh clone."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import BIN, Runner, init_repo, make_runner
from tests.conftest import run_factory as factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

NAME = "wine-cultivar"
CONFIG = f"use_cases/{NAME}/config.yaml"


class Repo:
    """A working clone with a bare origin and a local DVC remote, all in a temporary folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.origin = base / "origin.git"
        self.remote = base / "dvc-remote"
        self.root = base / "work"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        self.run = init_repo(self.root, dvc_remote=self.remote)
        self.git("remote", "add", "origin", str(self.origin))
        self.git("push", "-q", "origin", "main")

    def git(self, *args: str) -> str:
        return self.run("git", *args, check=True).stdout

    def factory(self, *args: str) -> tuple[int, str]:
        return factory(self.run, *args)

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def build_and_commit(self, message: str) -> None:
        code, output = self.factory("compile", NAME)
        assert code == 0, output
        code, output = self.factory("build", NAME)
        assert code == 0, output
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", "origin", "main")

    def tags(self) -> set[str]:
        return set(self.git("tag", "--list").split())

    def origin_tags(self) -> set[str]:
        lines = self.git("ls-remote", "--tags", "origin").splitlines()
        return {line.split("refs/tags/")[1] for line in lines if not line.endswith("^{}")}

    def production(self) -> str:
        """The version in production as the `gto` CLI reports it."""
        done = self.run(str(BIN / "gto"), "show", f"{NAME}#production", "--plain", check=True)
        rows = done.stdout.strip().splitlines()[1:]
        return rows[0].split()[1] if rows else ""


def scoring_input(path: Path) -> Path:
    """Twenty wines from scikit-learn's data with the column names of the wine data product."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.drop(columns="target").head(20)
    frame.columns = ["od280_od315_of_diluted_wines" if c.startswith("od280") else c for c in frame.columns]
    frame.to_csv(path, index=False)
    return path


def fresh_clone(repo: Repo, folder: Path) -> Runner:
    subprocess.run(["git", "clone", "-q", "-b", "main", str(repo.origin), str(folder)], check=True)
    return make_runner(folder)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("release"))
    repo.build_and_commit("build wine-cultivar")
    return repo


def test_release_gates_tags_and_scoring_from_a_fresh_clone(repo: Repo, tmp_path: Path) -> None:
    code, output = repo.factory("release", NAME)
    assert code == 0, output
    assert "released v1.0.0 to production" in output
    assert {f"{NAME}@v1.0.0", f"{NAME}#production#1"} <= repo.origin_tags()
    assert repo.production() == "v1.0.0"
    message = repo.git("tag", "-l", "--format=%(contents)", f"{NAME}@v1.0.0")
    assert "all gates passed" in message and '"model_sha256"' in message

    # The same commit and model again: nothing new.
    before = repo.tags()
    code, output = repo.factory("release", NAME)
    assert code == 0 and "already released" in output
    assert repo.tags() == before

    # A fresh clone that never built anything scores with the production model.
    clone = fresh_clone(repo, tmp_path / "clone")
    output_file = tmp_path / "scores.csv"
    code, output = factory(
        clone, "score", NAME, "--input", str(scoring_input(tmp_path / "wines.csv")), "--output", str(output_file)
    )
    assert code == 0, output
    scores = pd.read_csv(output_file)
    assert len(scores) == 20
    assert set(scores["model_version"]) == {"v1.0.0"} and set(scores["model"]) == {NAME}
    assert {"prediction", "proba_class_0", "proba_class_1", "proba_class_2"} <= set(scores.columns)
    assert (scores["prediction"] == "class_0").mean() > 0.8  # the first twenty wines are cultivar 0
    assert not (tmp_path / "clone" / "use_cases" / NAME / "artifacts" / "model.skops").exists()

    # Bad input: missing columns, wrong types, empty file -> a clear error, exit 2.
    wines = pd.read_csv(tmp_path / "wines.csv")
    wines.drop(columns=["alcohol"]).to_csv(tmp_path / "missing.csv", index=False)
    wines.assign(hue="pale").to_csv(tmp_path / "typed.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    for bad, expected in (
        ("missing.csv", "missing required column(s): 'alcohol'"),
        ("typed.csv", "hue"),
        ("empty.csv", "cannot read it"),
    ):
        code, output = factory(
            clone, "score", NAME, "--input", str(tmp_path / bad), "--output", str(tmp_path / "out.csv")
        )
        assert code == 2, output
        assert expected in output and "Traceback" not in output


def test_refusals_leave_no_tag(repo: Repo) -> None:
    before = repo.tags()
    repo.edit(CONFIG, "accuracy: {min: 0.85}", "accuracy: {min: 0.86}")
    code, output = repo.factory("release", NAME)
    assert code == 2 and "uncommitted changes" in output

    code, output = repo.factory("compile", NAME)
    assert code == 0, output
    repo.git("commit", "-q", "-am", "stricter gate, not rebuilt")
    code, output = repo.factory("release", NAME)
    assert code == 2 and "outputs do not match its dvc.lock" in output and "stale stages: report" in output

    for args, expected in ((["--stage", "canary"], "'canary' is not one of 'staging', 'production'"),):
        code, output = repo.factory("release", NAME, *args)
        assert code == 2 and expected in output
    code, output = repo.factory("promote", NAME, "--version", "v9.9.9", "--stage", "production")
    assert code == 2 and "unknown version 'v9.9.9'" in output
    assert repo.tags() == before
    repo.git("reset", "-q", "--hard", "HEAD~1")


def test_gate_failure_and_champion_regression(repo: Repo) -> None:
    before = repo.tags()
    repo.edit(CONFIG, "accuracy: {min: 0.85}", "accuracy: {min: 0.999}")
    repo.build_and_commit("impossible gate")
    code, output = repo.factory("release", NAME)
    assert code == 1, output
    assert "FAIL" in output and "not released" in output
    assert repo.tags() == before

    # A much weaker model passes the absolute gate but regresses against production.
    repo.edit(CONFIG, "accuracy: {min: 0.999}", "accuracy: {min: 0.5}")
    repo.edit(CONFIG, "C: [0.01, 0.1, 1.0, 10.0]", "C: [0.0005]")  # the search can only pick this
    repo.build_and_commit("weak model")
    code, output = repo.factory("release", NAME)
    assert code == 1, output
    assert "champion" in output and "production 0.9630" in output
    assert repo.tags() == before
    assert repo.production() == "v1.0.0"


def test_new_version_then_rollback_keeps_history(repo: Repo) -> None:
    repo.edit(CONFIG, "C: [0.0005]", "C: [0.9]")
    repo.build_and_commit("retuned model")
    code, output = repo.factory("release", NAME)
    assert code == 0, output
    version = yaml.safe_load(repo.git("tag", "-l", f"{NAME}@v1.*").replace("\n", " ").split()[-1].split("@")[1])
    assert version == "v1.1.0"  # model params changed: a minor version
    assert repo.production() == "v1.1.0"

    code, output = repo.factory("rollback", NAME)
    assert code == 0, output
    assert "production is v1.0.0 again" in output
    assert repo.production() == "v1.0.0"
    history = repo.run(str(BIN / "gto"), "history", NAME, check=True).stdout
    assert "v1.1.0" in history and "v1.0.0" in history
    code, output = repo.factory("releases", NAME)
    assert code == 0 and "v1.1.0" in output and "production" in output


def test_high_risk_needs_an_approval_for_production(repo: Repo) -> None:
    repo.edit(CONFIG, "risk_tier: low", "risk_tier: high")
    repo.build_and_commit("wine is high risk now")
    before = repo.tags()
    code, output = repo.factory("release", NAME, "--stage", "production")
    assert code == 1 and "approval" in output
    assert repo.tags() == before

    code, output = repo.factory("release", NAME, "--stage", "staging")
    assert code == 0, output
    staged = [tag for tag in repo.tags() - before if "@" in tag]
    assert len(staged) == 1
    version = staged[0].split("@")[1]
    code, output = repo.factory("promote", NAME, "--version", version, "--stage", "production")
    assert code == 1 and "needs an approval" in output

    approvals = {
        "approvals": [
            {
                "version": version,
                "approved_by": "risk-officer@example.com",
                "approved_at": "2026-11-29",
                "note": "validated on the Q3 holdout",
            }
        ]
    }
    (repo.root / f"use_cases/{NAME}/approvals.yaml").write_text(yaml.safe_dump(approvals))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "approve")
    code, output = repo.factory("promote", NAME, "--version", version, "--stage", "production")
    assert code == 0, output
    assert repo.production() == version


def test_tampered_model_is_refused(repo: Repo, tmp_path: Path) -> None:
    message = repo.git("tag", "-l", "--format=%(contents)", f"{NAME}@v1.0.0")
    md5 = message.split('"model_md5": "')[1].split('"')[0]
    stored = repo.remote / "files" / "md5" / md5[:2] / md5[2:]
    original = stored.read_bytes()
    stored.chmod(0o644)
    try:
        stored.write_bytes(original[:-10] + b"0123456789")
        clone = fresh_clone(repo, tmp_path / "clone")
        code, output = factory(
            clone,
            "score",
            NAME,
            "--version",
            "v1.0.0",
            "--input",
            str(scoring_input(tmp_path / "wines.csv")),
            "--output",
            str(tmp_path / "out.csv"),
        )
        assert code == 2
        assert "differs from the release record" in output
        assert not (tmp_path / "out.csv").exists()
    finally:
        stored.write_bytes(original)


def test_a_forged_record_or_a_lightweight_tag_is_refused(repo: Repo, tmp_path: Path) -> None:
    """Another valid model in the remote, and a tag rewritten to vouch for it: the commit disagrees."""
    tag = f"{NAME}@v1.0.0"
    message = repo.git("tag", "-l", "--format=%(contents)", tag)
    commit = repo.git("rev-list", "-n", "1", tag).strip()
    md5 = message.split('"model_md5": "')[1].split('"')[0]
    stored = repo.remote / "files" / "md5" / md5[:2] / md5[2:]
    original = stored.read_bytes()
    other = fresh_clone(repo, tmp_path / "other")
    other_model = tmp_path / "other.skops"
    code, output = factory(other, "build", "customer-value")  # a different, valid skops model
    assert code == 0, output
    other_model.write_bytes((tmp_path / "other/use_cases/customer-value/artifacts/model.skops").read_bytes())
    forged_sha = hashlib.sha256(other_model.read_bytes()).hexdigest()
    real_sha = message.split('"model_sha256": "')[1].split('"')[0]
    stored.chmod(0o644)
    wines = scoring_input(tmp_path / "wines.csv")
    try:
        stored.write_bytes(other_model.read_bytes())
        (tmp_path / "message.txt").write_text(message.replace(real_sha, forged_sha))
        repo.git("tag", "-f", "-a", tag, commit, "-F", str(tmp_path / "message.txt"))
        code, output = repo.factory(
            "score", NAME, "--version", "v1.0.0", "--input", str(wines), "--output", str(tmp_path / "o.csv")
        )
        assert code == 2, output
        assert (
            "refusing an unverifiable release" in output and f"lineage.json records model sha256 {real_sha}" in output
        )
        assert not (tmp_path / "o.csv").exists()

        repo.git("tag", "-d", tag)
        repo.git("tag", tag, commit)  # lightweight: a record could only come from the commit's message
        code, output = repo.factory(
            "score", NAME, "--version", "v1.0.0", "--input", str(wines), "--output", str(tmp_path / "o.csv")
        )
        assert code == 2, output
        assert "Traceback" not in output and not (tmp_path / "o.csv").exists()
    finally:
        stored.write_bytes(original)
        repo.git("tag", "-f", "-a", tag, commit, "-m", message)
    code, output = repo.factory(
        "score", NAME, "--version", "v1.0.0", "--input", str(wines), "--output", str(tmp_path / "o.csv")
    )
    assert code == 0, output
