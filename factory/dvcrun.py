"""Run DVC as a subprocess of this interpreter, with this environment's scripts on PATH."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TextIO

from factory import warm
from factory.dvc_main import DONE_PREFIX, INTERRUPTED
from factory.errors import FactoryError

# The native thread pools of scikit-learn (OpenMP), MKL and joblib's process count. OpenBLAS
# always has one thread (`factory.kernels`): its results change with the thread count.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "LOKY_MAX_CPU_COUNT")

# DVC ignores Ctrl-C while a stage's command runs and reports the command's end as a failed
# stage; the command, stopped by the signal, exits 130 (128 + SIGINT: the factory's stages,
# as a shell) or dies of it (-2). That failure is the user's interrupt.
STAGE_INTERRUPTED = re.compile(r"failed to run: .*, exited with (?:130|-2)$", re.MULTILINE)


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


def dvc(root: Path, *args: str, fresh_stages: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `dvc <args>` in `root`, capturing its output; the caller reads the return code.

    With `fresh_stages` every stage runs in a new process (see `environment`).
    """
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        env=environment(fresh_stages=fresh_stages),
        capture_output=True,
        text=True,
        check=False,
    )


class DvcServer:
    """A DVC process that runs `dvc` commands one after another (`python -m factory.dvc_main`).

    The process starts with its first command (or `start`). `submit` hands a command over and
    returns at once, `collect` waits for its result, so DVC can start and work while the
    caller does something else. A process that ends during a command fails that command, with
    the reason; the next command starts another process, unless the user interrupted the
    build (`interrupted`: DVC was stopped, or a stage's command was), which ends the server
    for good. A build worker whose server is interrupted takes no other pipeline and empties
    the queue (`factory.build.run_build`), without waiting for the main thread's
    KeyboardInterrupt.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.interrupted = False
        self._process: subprocess.Popen[str] | None = None
        self._commands: TextIO | None = None
        self._closing = threading.Lock()

    def start(self) -> None:
        """Start the process now, so DVC's start (half a second) overlaps the caller's work."""
        if not self.interrupted:
            self._running()

    def run(self, *args: str, share: int = 1, wait_for_lock: bool = False) -> tuple[int, str]:
        """Run `dvc <args>`: `submit`, then `collect`."""
        self.submit(*args, share=share, wait_for_lock=wait_for_lock)
        return self.collect()

    def submit(self, *args: str, share: int = 1, wait_for_lock: bool = False) -> None:
        """Hand `dvc <args>` to the process.

        `share` sizes the stages' thread pools for that many pipelines at once (see
        `environment`); with `wait_for_lock` DVC queues for a repository lock held by another
        DVC process instead of failing at once.
        """
        if self.interrupted:
            return
        self._running()
        assert self._commands is not None
        lock = ["--wait-for-lock"] if wait_for_lock else []
        command = {"args": [*lock, *args], "env": environment(share)}
        try:
            self._commands.write(json.dumps(command) + "\n")
            self._commands.flush()
        except BrokenPipeError:
            pass  # `collect` reports how the process ended

    def collect(self) -> tuple[int, str]:
        """Wait for the command submitted last; its exit code and its output, standard error included."""
        if self.interrupted:
            return INTERRUPTED, "not run: the build was interrupted\n"
        process = self._running()
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            if line.startswith(DONE_PREFIX):
                code = int(line[len(DONE_PREFIX) :])
                output = "".join(lines)
                self.interrupted = code == INTERRUPTED or (code != 0 and STAGE_INTERRUPTED.search(output) is not None)
                return code, output
            lines.append(line)
        code = process.wait()
        self.interrupted = code in (INTERRUPTED, -signal.SIGINT)
        lines.append(f"the DVC process ended (exit code {code}) before the command finished\n")
        self.close()
        return code or 1, "".join(lines)

    def close(self, kill: bool = False) -> None:
        """End the process: let it finish (its commands end), or with `kill` stop it now; wait for it."""
        with self._closing:
            process, commands = self._process, self._commands
            self._process = self._commands = None
        if process is None:
            return
        if kill:
            process.kill()
        assert commands is not None and process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            commands.close()
        process.wait()
        process.stdout.close()

    def __enter__(self) -> DvcServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close(kill=kind is not None)

    def _running(self) -> subprocess.Popen[str]:
        if self._process is None:
            # Commands go on a pipe of their own: the stages DVC starts get no input, as in CI.
            read_end, write_end = os.pipe()
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "factory.dvc_main", str(read_end)],
                    cwd=self.root,
                    env=environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    pass_fds=(read_end,),
                )
            except BaseException:
                os.close(write_end)
                raise
            finally:
                os.close(read_end)
            self._commands = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())
        return self._process


def dvc_checked(root: Path, *args: str, fresh_stages: bool = False) -> str:
    """Run `dvc <args>` and return its output, raising `FactoryError` with DVC's message on failure."""
    done = dvc(root, *args, fresh_stages=fresh_stages)
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
        raise FactoryError(f"dvc {' '.join(args)} failed: " + " ".join(message))
    return done.stdout
