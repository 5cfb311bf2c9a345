"""From nothing to an evaluated model: `factory new use-case` then `factory build`, on embedded data.

Runs in a fresh Git + DVC copy of the project, so the shared data product is built too.
Prints the time of each step, the total against the 60 s target, and the lines of YAML
that a person would have written (the config, without comments and blank lines).

    .venv/bin/python benchmarks/new_use_case.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from tests.conftest import BIN, copy_project, project_env  # noqa: E402

# The use case both scaffolding benchmarks create: which plan suits a customer.
NEW_UPSELL = (
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
    "sales@example.com",
    "--no-input",
)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="factory-new-") as folder:
        root = copy_project(Path(folder))
        env = project_env(root)

        def run(*args: str) -> float:
            started = time.perf_counter()
            subprocess.run(args, cwd=root, env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        for command in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"]):
            run(*command)
        scaffold = run(str(BIN / "factory"), *NEW_UPSELL)
        build = run(str(BIN / "factory"), "build", "upsell")
        config = (root / "use_cases/upsell/config.yaml").read_text().splitlines()
        yaml_lines = [line for line in config if line.strip() and not line.lstrip().startswith("#")]
        metrics = (root / "use_cases/upsell/artifacts/metrics.json").read_text().replace("\n", " ")
    print(f"factory new use-case        {scaffold:>7.1f} s")
    print(f"factory build (first time)  {build:>7.1f} s   (builds the customers product too)")
    print(f"total to an evaluated model {scaffold + build:>7.1f} s   (target <= 60 s)")
    print(f"YAML lines written          {len(yaml_lines):>7d}     (target <= 25)")
    print(f"metrics                     {metrics}")


if __name__ == "__main__":
    main()
