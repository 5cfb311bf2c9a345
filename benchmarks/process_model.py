"""Cold builds of the examples: this checkout against a baseline revision, side by side.

Each variant is the project's code and examples at that revision, in a Git + DVC repository
of its own, built from nothing (no DVC cache, no outputs, no stage server running) with its
own code (`PYTHONPATH`), with the same interpreter and packages. The rounds alternate between
the variants so the machine's drift hits both. The baseline defaults to 40d8c19, the last
revision whose stage server outlived its build; its server is stopped before each of its rounds.

    python benchmarks/process_model.py [--baseline REV] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ITEMS = (
    "factory",
    "components",
    "conf",
    "use_cases",
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    ".dvcignore",
    ".gto",
)


def variant(folder: Path, revision: str | None) -> Path:
    """The project at `revision` (None: this working tree) in a fresh Git + DVC repository."""
    root = folder / (revision or "current")
    root.mkdir(parents=True)
    if revision is None:
        for item in ITEMS:
            source = REPO / item
            copy = shutil.copytree if source.is_dir() else shutil.copy2
            copy(source, root / item)  # type: ignore[operator]
    else:
        archive = subprocess.run(["git", "archive", revision, *ITEMS], cwd=REPO, capture_output=True, check=True)
        subprocess.run(["tar", "x"], cwd=root, input=archive.stdout, check=True)
    # Like for like: the three examples the baseline has (shuttle-prices came later, with its raw files).
    later = [root / "use_cases" / "shuttle-prices", *root.glob("conf/data/shuttle*.yaml")]
    for path in later:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for generated in [*root.glob("use_cases/*/artifacts"), *root.glob("**/__pycache__")]:
        shutil.rmtree(generated)
    for lock in [root / "dvc.lock", *root.glob("use_cases/*/dvc.lock")]:
        lock.unlink(missing_ok=True)
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)  # type: ignore[call-overload]
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "p"], **run)  # type: ignore[call-overload]
    return root


def clean(root: Path) -> None:
    """Forget every build: outputs, locks, DVC's cache and run cache, and a server left running."""
    for folder in [root / ".dvc/cache", root / "data/products", *root.glob("use_cases/*/artifacts")]:
        shutil.rmtree(folder, ignore_errors=True)
    for lock in [root / "dvc.lock", *root.glob("use_cases/*/dvc.lock")]:
        lock.unlink(missing_ok=True)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(root).encode() in cmdline.read_bytes() and b"warm.py" in cmdline.read_bytes():
                os.kill(int(cmdline.parent.name), signal.SIGTERM)
        except OSError:
            continue
    time.sleep(0.5)


def build_seconds(root: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "DVC_NO_ANALYTICS": "1"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "factory"), "build"], cwd=root, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the build at {root} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="40d8c19", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="process-model-") as folder:
        roots = {"baseline": variant(Path(folder), args.baseline), "current": variant(Path(folder), None)}
        times: dict[str, list[float]] = {name: [] for name in roots}
        for round_number in range(args.rounds):
            order = list(roots) if round_number % 2 == 0 else list(reversed(roots))
            for name in order:
                clean(roots[name])
                times[name].append(build_seconds(roots[name]))
                print(f"round {round_number + 1}: {name} {times[name][-1]:.1f} s", flush=True)
        for root in roots.values():
            clean(root)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"cold build of the examples, median of {args.rounds}:")
    print(f"  baseline ({args.baseline}): {medians['baseline']:.1f} s")
    print(f"  current: {medians['current']:.1f} s")
    print(f"  ratio current / baseline: {medians['current'] / medians['baseline']:.2f} (target <= 1.00)")


if __name__ == "__main__":
    main()
