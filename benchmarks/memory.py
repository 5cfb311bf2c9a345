"""Memory: peak RSS of the train stage on 1,000,000 rows against the table's in-memory size.

Builds the churn use case's data products at the given size in a fresh Git + DVC repository,
runs `dvc repro` up to the prepare stage, then runs `factory stage train churn` as its own
process (no warm server) and reads that process's peak RSS from the kernel. Two baselines are printed: the
training table's in-memory size (pandas, deep) and the peak RSS of a process that only
imports the stage's libraries and reads the table, so the fit's own share is visible.

    .venv/bin/python benchmarks/memory.py [--rows 1000000] [--model hist_gradient_boosting_classifier]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from overhead import make_repo  # noqa: E402

from tests.conftest import BIN  # noqa: E402
from tests.conftest import project_env as environment  # noqa: E402

READ_ONLY = (
    "import pandas as pd, sklearn.ensemble, skops.io, factory.stages.train; "
    "pd.read_parquet('use_cases/churn/artifacts/train.parquet')"
)


def peak_rss(command: list[str], root: Path) -> int:
    """Peak resident set size in bytes of `command` run as a child process."""
    # FACTORY_WARM=0: the stage runs in this very child, not in a warm server's fork we cannot measure
    env = {**environment(root), "FACTORY_WARM": "0"}
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return usage.ru_maxrss * 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of each customer table")
    parser.add_argument("--model", default="hist_gradient_boosting_classifier", help="registered model component")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="factory-memory-") as folder:
        root = Path(folder)
        make_repo(root, args.rows)
        config = root / "use_cases/churn/config.yaml"
        config.write_text(
            config.read_text().replace("  - /model@model: random_forest\n", "") + f"model:\n  component: {args.model}\n"
        )
        env = environment(root)
        for command in (
            [str(BIN / "factory"), "compile"],
            [sys.executable, "-m", "dvc", "repro", "use_cases/churn/dvc.yaml:prepare"],
        ):
            subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
        import pandas as pd

        table = pd.read_parquet(root / "use_cases/churn/artifacts/train.parquet")
        table_bytes = int(table.memory_usage(deep=True).sum())
        rows = len(table)
        del table
        reading = peak_rss([sys.executable, "-c", READ_ONLY], root)
        training = peak_rss([str(BIN / "factory"), "stage", "train", "churn"], root)
    mib = 1024 * 1024
    print(f"training table      {rows:>9,} rows   {table_bytes / mib:>8.1f} MiB in memory")
    print(f"import + read only  peak RSS {reading / mib:>8.1f} MiB   ({reading / table_bytes:.2f}x the table)")
    print(f"train stage ({args.model})  peak RSS {training / mib:>8.1f} MiB")
    print(f"ratio               {training / table_bytes:>8.2f}x the table   (target <= 3x)")
    print(f"fit's own share     {(training - reading) / table_bytes:>8.2f}x the table")


if __name__ == "__main__":
    main()
