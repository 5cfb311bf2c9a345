"""Run DVC as a subprocess of this interpreter, with this environment's scripts on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from factory.errors import FactoryError


def environment() -> dict[str, str]:
    """The environment for DVC and the stages it starts: this interpreter's scripts come first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("DVC_NO_ANALYTICS", "1")
    return env


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `dvc <args>` in `root`, capturing its output; the caller reads the return code."""
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=root, env=environment(), capture_output=True, text=True, check=False
    )


def dvc_checked(root: Path, *args: str) -> str:
    """Run `dvc <args>` and return its output, raising `FactoryError` with DVC's message on failure."""
    done = dvc(root, *args)
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
        raise FactoryError(f"dvc {' '.join(args)} failed: " + " ".join(message))
    return done.stdout
