"""Governance commands as the number of use cases grows: inventory, audit, dashboard, lineage.

Runs in a fresh Git + DVC copy of the project with its three example use cases, then with
copies of the wine-cultivar config under new names (declared, not built: the commands read
configs and Git, so building does not change what they do per use case). Prints seconds per
command (median of 3) and the cost per use case.

    .venv/bin/python benchmarks/governance.py [COPIES]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from tests.conftest import BIN, init_repo, project_env  # noqa: E402

COMMANDS = (("inventory", "--json"), ("audit",), ("dashboard", "--out", "site"), ("check",))


def timed(root: Path, args: tuple[str, ...]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([str(BIN / "factory"), *args], cwd=root, env=project_env(root), check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 27
    with tempfile.TemporaryDirectory(prefix="factory-governance-") as folder:
        root = Path(folder) / "project"
        run = init_repo(root)
        small = {args[0]: timed(root, args) for args in COMMANDS}
        for index in range(copies):
            shutil.copytree(root / "use_cases/wine-cultivar", root / f"use_cases/wine-copy-{index:02d}")
        run("git", "add", "-A", check=True)
        run("git", "commit", "-qm", "copies", check=True)
        large = {args[0]: timed(root, args) for args in COMMANDS}
        total = 3 + copies
        print(f"{'command':<20}{'3 use cases':>14}{f'{total} use cases':>16}{'per added use case':>22}")
        for name in small:
            per = (large[name] - small[name]) / copies
            print(f"{'factory ' + name:<20}{small[name]:>12.2f} s{large[name]:>14.2f} s{per:>20.3f} s")


if __name__ == "__main__":
    main()
