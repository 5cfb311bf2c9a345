"""Run DVC as a subprocess of this interpreter, with this environment's scripts on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from factory import warm
from factory.errors import FactoryError

# The native thread pools of scikit-learn (OpenMP), MKL and joblib's process count. OpenBLAS
# always has one thread (`factory.kernels`): its results change with the thread count.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "LOKY_MAX_CPU_COUNT")


def environment(share: int = 1, fresh_stages: bool = False) -> dict[str, str]:
    """The environment for DVC and the stages it starts: this interpreter's scripts come first on PATH.

    With `share` > 1 the stages run beside `share - 1` other pipelines, so each gets its part of
    the cores for its thread pools: several OpenMP pools each sized for the whole machine spin
    against each other and cost a third more CPU. Limits the user set are kept. With
    `fresh_stages` every stage runs in a new process rather than a warm child (see `factory.warm`).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("DVC_NO_ANALYTICS", "1")
    if fresh_stages:
        env[warm.SWITCH] = "0"
    if share > 1:
        threads = str(max(1, (os.cpu_count() or 1) // share))
        for variable in THREAD_LIMIT_VARIABLES:
            env.setdefault(variable, threads)
    return env


def dvc(
    root: Path, *args: str, share: int = 1, fresh_stages: bool = False, wait_for_lock: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `dvc <args>` in `root`, capturing its output; the caller reads the return code.

    `share` and `fresh_stages` shape the stages' environment (see `environment`). With
    `wait_for_lock` DVC queues for the repository lock held by another DVC process (polling
    it ten times as often as DVC itself, see `factory.dvc_main`) instead of failing.
    """
    command = ["factory.dvc_main", "--wait-for-lock"] if wait_for_lock else ["dvc"]
    return subprocess.run(
        [sys.executable, "-m", *command, *args],
        cwd=root,
        env=environment(share, fresh_stages),
        capture_output=True,
        text=True,
        check=False,
    )


def dvc_started(root: Path, *args: str, merge_output: bool = False) -> subprocess.Popen[str]:
    """Start `dvc <args>` in `root` in the background, capturing its output; see `dvc`.

    With `merge_output` its standard error comes with its output, to be read line by line.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
        text=True,
    )


def dvc_checked(root: Path, *args: str, fresh_stages: bool = False) -> str:
    """Run `dvc <args>` and return its output, raising `FactoryError` with DVC's message on failure."""
    done = dvc(root, *args, fresh_stages=fresh_stages)
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
        raise FactoryError(f"dvc {' '.join(args)} failed: " + " ".join(message))
    return done.stdout
