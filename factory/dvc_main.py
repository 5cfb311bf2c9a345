"""DVC's command line as the factory runs it: a faster lock poll, and a mode that serves many commands.

Parallel builds run several DVC processes. They take turns holding the repository lock for
DVC's bookkeeping before and after each stage, which lasts milliseconds; at DVC's own poll
(half a second) a waiting process idles most of that time, so the poll here is 0.05 s.

`factory build` hands pipelines to long-lived DVC processes (`--serve`), one after another,
rather than starting DVC for each: a start costs half a second of imports and configuration.
The commands come on the file descriptor named after `--serve` (the standard input is left
to the stages, which DVC starts with it), one JSON object per line: `args`, the DVC
arguments, and `env`, the environment the command and its stages run in. The arguments go
through DVC's own command line (`dvc.cli.main`, so messages read as they always do); then a
line `DONE_PREFIX<exit code>` follows the command's output. The process exits when the
commands end.

    python -m factory.dvc_main <dvc arguments>
    python -m factory.dvc_main --serve <file descriptor>
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TextIO

SERVE = "--serve"
DONE_PREFIX = "factory.dvc_main: exit code "
# DVC sleeps DEFAULT_TIMEOUT / 6 between attempts; with --wait-for-lock it never gives up.
LOCK_TIMEOUT = 0.3


def dvc_command_line() -> Callable[[list[str]], int]:
    """DVC's `main`, with the shorter lock poll."""
    from dvc import lock
    from dvc.cli import main

    lock.DEFAULT_TIMEOUT = LOCK_TIMEOUT
    return main


def serve(commands: TextIO, output: TextIO) -> int:
    """Run each command read from `commands`, writing its exit code to `output` after it."""
    main = dvc_command_line()
    for line in commands:
        if line.strip():
            command = json.loads(line)
            os.environ.clear()
            os.environ.update(command["env"])
            code = main(command["args"])
            sys.stderr.flush()  # DVC's messages, then the marker, in the order they were written
            output.write(f"{DONE_PREFIX}{code}\n")
            output.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == [SERVE]:
        with open(int(sys.argv[2]), encoding="utf-8") as commands:
            sys.exit(serve(commands, sys.stdout))
    sys.exit(dvc_command_line()(sys.argv[1:]))
