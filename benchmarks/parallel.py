"""Parallel builds: four independent use cases with `factory build -j 2` against `-j 1`.

Each run starts from a fresh Git + DVC copy of the project with a fourth use case scaffolded
beside the three examples; the shared data products are built first in both runs.

    .venv/bin/python benchmarks/parallel.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ITEMS = ("factory", "components", "conf", "use_cases", "dvc.yaml", "params.yaml", "pyproject.toml", ".gitignore")


def timed_build(jobs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="factory-parallel-") as folder:
        root = Path(folder)
        for item in ITEMS:
            source = REPO / item
            if source.is_dir():
                shutil.copytree(
                    source, root / item, ignore=shutil.ignore_patterns("__pycache__", "artifacts", "dvc.lock")
                )
            else:
                shutil.copy2(source, root / item)
        env = {**os.environ, "PYTHONPATH": str(root), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        env["DVC_NO_ANALYTICS"] = "1"
        factory = str(BIN / "factory")
        for command in (
            ["git", "init", "-q"],
            [sys.executable, "-m", "dvc", "init", "-q"],
            [
                factory,
                "new",
                "use-case",
                "--name",
                "upsell",
                "--task",
                "multiclass_classification",
                "--product",
                "customers",
                "--target",
                "plan",
                "--model",
                "logistic_regression",
                "--owner",
                "s@example.com",
                "--no-input",
            ],
            [factory, "build", "--jobs", "1", "wine-cultivar"],  # builds every shared product first
        ):
            subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
        shutil.rmtree(root / "use_cases" / "wine-cultivar" / "artifacts")
        (root / "use_cases" / "wine-cultivar" / "dvc.lock").unlink()
        subprocess.run(
            [sys.executable, "-m", "dvc", "gc", "--workspace", "--force", "-q"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
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
