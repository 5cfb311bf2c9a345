"""Growth: compile time and no-op build for 10, 50 and 200 use cases; first build for 10 and 50.

Each size runs in a fresh Git + DVC copy of the project holding that many generated use
cases (small classifiers on the wine product, each with its own split seed). The floor of a
no-op build is raw `dvc repro` of the same pipelines, timed in the same run.

    .venv/bin/python benchmarks/growth.py [--sizes 10,50,200] [--build-sizes 10,50]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from tests.conftest import BIN, copy_project, project_env  # noqa: E402

GENERATED = """\
defaults:
  - /model@model: logistic_regression
  - _self_
description: Generated use case {index} for the growth benchmark.
owner: bench@example.com
risk_tier: low
task: multiclass_classification
data:
  - product: wine
target: cultivar
features:
  numeric: [alcohol, malic_acid, ash, flavanoids, color_intensity, hue, proline]
split:
  test_size: 0.3
  seed: {index}
evaluation:
  primary_metric: accuracy
"""


class Project:
    """A temporary Git + DVC project with `size` generated use cases (and no examples)."""

    def __init__(self, folder: Path, size: int) -> None:
        self.root = copy_project(folder)
        self.env = project_env(self.root)
        for example in ("churn", "customer-value", "wine-cultivar"):
            shutil.rmtree(self.root / "use_cases" / example)
        self.names = [f"grow-{index:03d}" for index in range(size)]
        for index, name in enumerate(self.names):
            folder = self.root / "use_cases" / name
            folder.mkdir()
            (folder / "config.yaml").write_text(GENERATED.format(index=index))
        self.run("git", "init", "-q")
        self.run(sys.executable, "-m", "dvc", "init", "-q")

    def run(self, *args: str) -> float:
        started = time.perf_counter()
        subprocess.run(args, cwd=self.root, env=self.env, check=True, capture_output=True)
        return time.perf_counter() - started

    def factory(self, *args: str) -> float:
        return self.run(str(BIN / "factory"), *args)

    def raw_repro(self) -> float:
        pipelines = ["dvc.yaml", *(f"use_cases/{name}/dvc.yaml" for name in self.names)]
        return self.run(sys.executable, "-m", "dvc", "repro", *pipelines)


STAGE_IMPORTS = "import factory.cli, pandas, pyarrow.parquet, sklearn.pipeline, sklearn.compose, skops.io, pandera"


def stage_start_up() -> float:
    """Seconds for a new Python process to import what a train stage imports (median of 3)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", STAGE_IMPORTS], check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - started)
    return sorted(times)[1]


def server_stage_start_up() -> float:
    """Seconds for `factory stage` to reach the stage's own code in a stage server's child (median of 5).

    The stage asked for does not exist, so the child stops at its first check: what is timed is
    the client, the fork and the import of the factory's own modules.
    """
    from factory.build import build_environment
    from factory.stage_server import StageServer

    command = [str(BIN / "factory"), "stage", "prepare", "no-such-use-case"]
    with StageServer(build_environment(1)) as server:
        subprocess.run(command, cwd=REPO, env=server.environment, capture_output=True)  # waits for its imports
        times = []
        for _ in range(10):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=REPO, env=server.environment, capture_output=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 2:
                raise SystemExit(f"unexpected exit {done.returncode}: {done.stderr!r}")
    return sorted(times[-5:])[2]


def measure(size: int, build: bool, start_up: float) -> None:
    with tempfile.TemporaryDirectory(prefix="factory-growth-") as folder:
        project = Project(Path(folder), size)
        first_compile = project.factory("compile")
        noop_compile = project.factory("compile")
        print(f"{size:>4} use cases  compile {first_compile:>7.2f} s   compile again (no-op) {noop_compile:>6.2f} s")
        if not build:
            return
        first_build = project.factory("build", "--jobs", "2")
        noop_build = project.factory("build")
        floor = project.raw_repro()
        print(
            f"{size:>4} use cases  first build -j 2 {first_build:>7.1f} s   no-op build {noop_build:>6.2f} s"
            f"   raw dvc repro {floor:>6.2f} s   ratio {noop_build / floor:>5.2f} (target <= 1.10)"
        )
        per_use_case = first_build / size * 2  # two pipelines ran at a time
        print(
            f"{size:>4} use cases  a use case runs 4 stages; in new processes their imports alone would take"
            f" {4 * start_up:.1f} s; its build took {per_use_case:.1f} s with a stage server"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200", help="use case counts to compile")
    parser.add_argument("--build-sizes", default="10,50", help="use case counts to build as well")
    args = parser.parse_args()
    built = {int(size) for size in args.build_sizes.split(",") if size}
    start_up = stage_start_up() if built else 0.0
    if built:
        print(f"stage start-up: new process {start_up:.2f} s, stage server's child {server_stage_start_up():.2f} s")
    for size in (int(size) for size in args.sizes.split(",")):
        measure(size, size in built, start_up)


if __name__ == "__main__":
    main()
