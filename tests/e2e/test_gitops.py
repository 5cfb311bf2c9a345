"""The whole GitOps loop with real Git and DVC: a pull request adds a use case, CI plans,
verifies and reports it, the merge releases it, and a fresh clone scores with it.

`origin` is a bare repository; `work` is a developer's clone (started from the built
examples, so only the new use case builds); `ci` is the release job's checkout, cloned from
origin with no DVC cache and no outputs, as on a CI runner.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from factory.ci.release import release_affected
from factory.ci.report import build_report, to_markdown
from tests.conftest import Runner, clone_built_examples, make_runner, project_env, run_factory
from tests.e2e.test_release import scoring_input
from tests.test_cli_inprocess import run_main

pytestmark = [pytest.mark.e2e, pytest.mark.story]

NEW = "wine-lite"
CONFIG = f"use_cases/{NEW}/config.yaml"
NEW_CONFIG = """\
defaults:
  - /model@model: logistic_regression
  - _self_

description: Tell the three wine cultivars apart from four measurements.
owner: quality-lab@example.com
risk_tier: low
task: multiclass_classification
data:
  - product: wine
target: cultivar
features:
  numeric: [alcohol, flavanoids, color_intensity, proline]
evaluation:
  primary_metric: accuracy
  metrics: [f1]
release:
  gates:
    accuracy: {min: 0.8}
"""


class Loop:
    """The repositories of the loop and the commands run in them."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        base = tmp_path_factory.mktemp("gitops")
        self.origin = base / "origin.git"
        self.work = base / "work"
        self.ci = base / "ci"
        self.run = clone_built_examples(tmp_path_factory, self.work)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        self.run(sys.executable, "-m", "dvc", "remote", "add", "-d", "shared", str(base / "dvc-remote"), check=True)
        self.git("commit", "-q", "-am", "the team's DVC remote")
        self.git("remote", "add", "origin", str(self.origin))
        self.git("push", "-q", "origin", "main")
        self.ci_run: Runner = make_runner(self.ci)

    def git(self, *args: str, run: Runner | None = None) -> str:
        return (run or self.run)("git", *args, check=True).stdout

    def factory(self, *args: str, run: Runner | None = None) -> tuple[int, str]:
        return run_factory(run or self.run, *args)

    def commit_and_push(self, message: str) -> None:
        """Commit what changed on main, then push it."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.push_main()

    def push_main(self) -> None:
        """Push main to origin and update the release job's checkout."""
        self.git("push", "-q", "origin", "main")
        self.git("pull", "-q", "--ff-only", run=self.ci_run)

    def origin_tags(self) -> set[str]:
        lines = self.git("ls-remote", "--tags", "origin").splitlines()
        return {line.split("refs/tags/")[1] for line in lines if not line.endswith("^{}")}


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    return Loop(tmp_path_factory)


def test_pull_request_merge_release_and_score(
    loop: Loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pull request: a new use case on the shared wine product, built and committed.
    loop.git("checkout", "-q", "-b", "add-wine-lite")
    (loop.work / CONFIG).parent.mkdir()
    (loop.work / CONFIG).write_text(NEW_CONFIG)
    for command in (("compile", NEW), ("build", NEW)):
        code, output = loop.factory(*command)
        assert code == 0, output
    assert "wine-cultivar" not in output and "wine-lite: built (prepare, train, evaluate, report)" in output
    loop.git("add", "-A")
    loop.git("commit", "-q", "-m", "wine-lite: a four-measurement cultivar model")

    # The pull request checks: plan, verify, report.
    assert loop.factory("ci", "plan", "--base", "main") == (0, f"{NEW}\n")
    code, output = loop.factory("ci", "verify", NEW)
    assert code == 0 and "byte-identical" in output, output
    code, out, err = run_main(monkeypatch, capsys, loop.work, "ci", "report", "--base", "main", "--out", "report.md")
    assert code == 0, out + err
    report = (loop.work / "report.md").read_text()
    assert report.startswith("## Model factory: 1 use case(s) affected"), report
    assert f"| `{NEW}` | new | accuracy 0." in report and "| none yet | pass (2/2) |" in report
    assert f"### `{NEW}` (new)" in report and f"`{CONFIG}`" in report
    assert "| accuracy | min | 0." in report and ">= 0.8 | pass |" in report
    assert "| `wine` | new | unchanged | unchanged | 178 | 15 | 0 |" in report
    assert f"`use_cases/{NEW}/artifacts/plots/roc.png`" in report
    (loop.work / "report.md").unlink()

    # The merge, then the release job in a fresh checkout of main: build what the push affects,
    # then release it. The rebuilt outputs match the committed dvc.lock, so the tree stays clean.
    loop.git("checkout", "-q", "main")
    loop.git("merge", "-q", "--no-ff", "-m", "Merge add-wine-lite", "add-wine-lite")
    loop.git("push", "-q", "origin", "main")
    loop.git("clone", "-q", str(loop.origin), str(loop.ci))
    # The DVC cache the release job keeps between runs (release.yml): unchanged stages are
    # restored from DVC's run cache rather than rerun. `ci verify` above rebuilt from nothing.
    loop.ci_run(sys.executable, "-m", "dvc", "cache", "dir", "--local", str(loop.work / ".dvc/cache"), check=True)
    assert loop.factory("ci", "plan", "--base", "HEAD~1", run=loop.ci_run) == (0, f"{NEW}\n")
    code, output = loop.factory("build", NEW, run=loop.ci_run)
    # nothing reran: DVC restored every stage from its run cache
    assert code == 0 and "wine-lite: built (restored from DVC's run cache: prepare, train, evaluate" in output, output
    code, output = loop.factory("ci", "release", "--base", "HEAD~1", run=loop.ci_run)
    assert code == 0, output
    assert "released" in output and f"{NEW}@v1.0.0" in output and "production" in output
    assert {f"{NEW}@v1.0.0", f"{NEW}#production#1"} <= loop.origin_tags()
    assert not any(
        tag.startswith(("churn", "customer-value", "shuttle-prices", "wine-cultivar")) for tag in loop.origin_tags()
    )

    # A fresh clone that never built anything scores with the production model from the DVC remote.
    clone = tmp_path / "consumer"
    loop.git("clone", "-q", str(loop.origin), str(clone))
    scores_file = tmp_path / "scores.csv"
    wines = scoring_input(tmp_path / "wines.csv")
    code, output = run_factory(make_runner(clone), "score", NEW, "--input", str(wines), "--output", str(scores_file))
    assert code == 0, output
    scores = pd.read_csv(scores_file)
    assert len(scores) == 20 and set(scores["model_version"]) == {"v1.0.0"}
    assert (scores["prediction"] == "class_0").mean() > 0.8

    # The release job again on the same commit: nothing new, and it says so.
    before = loop.origin_tags()
    code, output = loop.factory("ci", "release", "--base", "HEAD~1", run=loop.ci_run)
    assert code == 0, output
    assert "already released" in output and "nothing new" in output
    assert loop.origin_tags() == before


def test_a_gate_refusal_is_reported_and_a_stale_build_fails(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    config = loop.work / CONFIG
    tags = loop.origin_tags()

    # The staged policy with a gate the model cannot pass: held back, reported, not a failure.
    staged = NEW_CONFIG.replace("  - _self_", "  - /release@release: staged\n  - _self_")
    config.write_text(staged.replace("accuracy: {min: 0.8}", "accuracy: {min: 0.999}"))
    for command in (("compile", NEW), ("build", NEW)):
        code, output = loop.factory(*command)
        assert code == 0, output
    loop.git("checkout", "-q", "-b", "stricter")
    loop.git("commit", "-q", "-am", "wine-lite: staged releases, a stricter gate")
    loop.git("fetch", "-q", "--tags", "origin")  # the release tags, for the production figures

    # The report of that pull request compares with main and with v1.0.0 in production.
    report_text = to_markdown(build_report(loop.work, "main"))
    assert f"| `{NEW}` | changed | accuracy 0." in report_text, report_text
    assert "| same | same | **FAIL** (1 of 3 failed) |" in report_text
    assert "production (v1.0.0)" in report_text and "(policy: release to `staging`)" in report_text
    assert "| accuracy | min |" in report_text and ">= 0.999 | **FAIL** |" in report_text
    assert "| `wine` | unchanged | unchanged | unchanged | 178 | 15 | 0 |" in report_text

    loop.git("checkout", "-q", "main")
    loop.git("merge", "-q", "--ff-only", "stricter")
    loop.push_main()
    for key, value in project_env(loop.ci).items():
        if key.startswith("GIT_"):
            monkeypatch.setenv(key, value)
    report = release_affected(loop.ci, "HEAD~1")  # in this process, so coverage sees it
    assert [(r.name, r.outcome, r.stage) for r in report.results] == [(NEW, "held by gates", "staging")]
    assert "accuracy (min)" in report.results[0].detail and ">= 0.999" in report.results[0].detail
    report.raise_for_failures()  # a refusal by the gates is the policy working
    assert loop.origin_tags() == tags

    # A merge that was never built: the release the policy requires fails, exit 1, nothing tagged.
    config.write_text(config.read_text().replace("four measurements", "four chemical measurements"))
    code, output = loop.factory("compile", NEW)
    assert code == 0, output
    loop.commit_and_push("wine-lite: reworded, not rebuilt")
    code, output = loop.factory("ci", "release", "--base", "HEAD~1", run=loop.ci_run)
    assert code == 1, output
    assert "failed" in output and "outputs do not match its dvc.lock" in output
    assert "1 release(s) required by policy failed" in output and "Traceback" not in output
    assert loop.origin_tags() == tags
