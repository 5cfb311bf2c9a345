"""Parallel builds: four independent use cases with `factory build -j 2` against `-j 1`.

Each run starts from a fresh Git + DVC copy of the project with a fourth use case scaffolded
beside the three examples and every shared data product already built, so both timed builds
run the same four use case pipelines (the products are built once, first, in any build).

    .venv/bin/python benchmarks/parallel.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from new_use_case import NEW_UPSELL  # noqa: E402

from tests.conftest import BIN, copy_project, project_env  # noqa: E402


def timed_build(jobs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="factory-parallel-") as folder:
        root = copy_project(Path(folder))
        env = project_env(root)
        factory = str(BIN / "factory")
        for command in (
            ["git", "init", "-q"],
            [sys.executable, "-m", "dvc", "init", "-q"],
            [factory, *NEW_UPSELL],
            [factory, "compile"],
            # every shared data product, so both timed builds run the same four use case pipelines
            [sys.executable, "-m", "dvc", "repro", "dvc.yaml"],
        ):
            subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run([factory, "build", "--jobs", str(jobs)], cwd=root, env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    sequential = timed_build(1)
    parallel = timed_build(2)
    print(f"4 use cases, -j 1   {sequential:>7.1f} s")
    print(f"4 use cases, -j 2   {parallel:>7.1f} s")
    print(f"speed-up            {sequential / parallel:>7.2f}x   (target >= 1.7x on 2 cores)")


if __name__ == "__main__":
    main()
