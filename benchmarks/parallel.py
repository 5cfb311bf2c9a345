"""Parallel builds: four independent use cases with `factory build -j 2` against `-j 1`.

Two sets of four, each in fresh Git + DVC copies of the project with every shared data
product already built, so both timed builds run the same four use case pipelines:

- the examples: the three example use cases and a scaffolded fourth (upsell) on their
  5,000-customer tables, each a few seconds of work of unequal size;
- four equal use cases: the churn use case four times (split seeds 0 to 3) on 20,000
  customers, a random forest of 200 trees each.

The builds alternate (-j 1, -j 2) `--repeats` times; medians are printed with the ratio.

    .venv/bin/python benchmarks/parallel.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from new_use_case import NEW_UPSELL  # noqa: E402

from tests.conftest import BIN, copy_project, project_env  # noqa: E402

FACTORY = str(BIN / "factory")
EQUAL_ROWS = 20_000


def examples(root: Path) -> list[list[str]]:
    """The three examples and a scaffolded fourth; the commands that finish the copy."""
    return [[FACTORY, *NEW_UPSELL]]


def equal_churns(root: Path) -> list[list[str]]:
    """Four copies of the churn use case, each with its own split seed, on larger tables."""
    for name in ("customers", "customer-usage"):
        product = root / "conf" / "data" / f"{name}.yaml"
        product.write_text(product.read_text().replace("rows: 5000", f"rows: {EQUAL_ROWS}"))
    churn = (root / "use_cases/churn/config.yaml").read_text()
    for example in ("churn", "customer-value", "wine-cultivar"):
        shutil.rmtree(root / "use_cases" / example)
    for seed in range(4):
        folder = root / "use_cases" / f"churn-{seed}"
        folder.mkdir()
        (folder / "config.yaml").write_text(churn.replace("seed: 7", f"seed: {seed}"))
    return []


def prepared(folder: Path, workload: Callable[[Path], list[list[str]]]) -> Path:
    """A committed copy holding the workload's use cases, every data product built."""
    (folder / "template").mkdir()
    root = copy_project(folder / "template")
    env = project_env(root)
    for command in (
        ["git", "init", "-q"],
        [sys.executable, "-m", "dvc", "init", "-q"],
        *workload(root),
        [FACTORY, "compile"],
        [sys.executable, "-m", "dvc", "repro", "dvc.yaml"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return root


def timed_build(template: Path, jobs: int) -> float:
    """Seconds of `factory build -j <jobs>` in a fresh copy of `template`."""
    with tempfile.TemporaryDirectory(prefix="factory-parallel-") as folder:
        root = Path(folder) / "project"
        shutil.copytree(template, root, symlinks=True)
        started = time.perf_counter()
        done = subprocess.run(
            [FACTORY, "build", "--jobs", str(jobs)], cwd=root, env=project_env(root), capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"factory build -j {jobs} failed:\n{done.stdout}\n{done.stderr}")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="alternating -j 1 / -j 2 pairs per set")
    args = parser.parse_args()
    for label, workload in (("the examples", examples), (f"four equal churns ({EQUAL_ROWS:,} rows)", equal_churns)):
        with tempfile.TemporaryDirectory(prefix="factory-parallel-") as folder:
            template = prepared(Path(folder), workload)
            times: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(args.repeats):
                for jobs in (1, 2):
                    times[jobs].append(timed_build(template, jobs))
        one, two = statistics.median(times[1]), statistics.median(times[2])
        pairs = ", ".join(f"{a / b:.2f}" for a, b in zip(times[1], times[2], strict=True))
        print(f"{label}")
        print(f"  -j 1       {one:>7.1f} s   (median of {args.repeats})")
        print(f"  -j 2       {two:>7.1f} s")
        print(f"  speed-up   {one / two:>7.2f}x   (target >= 1.7x on 2 cores; per pair {pairs})")


if __name__ == "__main__":
    main()
