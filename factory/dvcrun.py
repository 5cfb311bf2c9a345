"""DVC processes of a build (`DvcServer`), each running `factory.dvc_worker` with the stages' environment."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from factory.dvc_api import Reproduction
from factory.dvc_worker import INTERRUPTED, RESULT_PREFIX


class DvcServer:
    """A DVC process (`python -m factory.dvc_worker`) that runs a build's pipelines one after another.

    The process starts with its first command (or `start`). `submit` hands a command over and
    returns at once, `collect` waits for its result, so DVC can start and work while the
    caller does something else. The process runs with `environment` (the stages' environment:
    DVC passes it on to them). A process that ends during a command fails that command, with
    the reason; the next command starts another process, unless the user interrupted the build
    (`interrupted`), which ends the server for good.
    """

    def __init__(self, root: Path, environment: Mapping[str, str]) -> None:
        self.root = root
        self.environment = dict(environment)
        self.interrupted = False
        self._process: subprocess.Popen[str] | None = None
        self._commands: TextIO | None = None
        self._closing = threading.Lock()

    def start(self) -> None:
        """Start the process now: from the thread that will outlive it (the kernel ties it to that thread)."""
        if not self.interrupted:
            self._running()

    def reproduce(self, targets: tuple[str, ...], **options: Any) -> tuple[Reproduction, str]:
        """`dvc repro` of `targets` with `factory.dvc_api.reproduce`'s options; the result and the output."""
        self.submit({"op": "reproduce", "targets": list(targets), **options})
        result, output = self.collect()
        if "ran" not in result:
            return Reproduction(error=str(result.get("error") or "the DVC process failed")), output
        return Reproduction.from_dict(result), output

    def submit(self, command: dict[str, Any]) -> None:
        """Hand a command (`factory.dvc_worker.run`'s) to the process."""
        if self.interrupted:
            return
        self._running()
        assert self._commands is not None
        try:
            self._commands.write(json.dumps({"root": str(self.root), **command}) + "\n")
            self._commands.flush()
        except BrokenPipeError:
            pass  # `collect` reports how the process ended

    def collect(self) -> tuple[dict[str, Any], str]:
        """Wait for the command submitted last; its result and its output, standard error included."""
        if self.interrupted:
            return {"error": "not run: the build was interrupted"}, ""
        process = self._running()
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX) :]), "".join(lines)
            lines.append(line)
        code = process.wait()
        self.interrupted = code in (INTERRUPTED, -2)
        lines.append(f"the DVC process ended (exit code {code}) before the command finished\n")
        self.close()
        return {"error": f"the DVC process ended (exit code {code})"}, "".join(lines)

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
                    [sys.executable, "-m", "factory.dvc_worker", str(read_end), str(os.getpid())],
                    cwd=self.root,
                    env=self.environment,
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
