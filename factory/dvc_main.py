"""A long-lived DVC process that runs the commands it is given, one after another.

`factory build` hands pipelines to these processes (`dvcrun.DvcServer`) rather than starting
DVC for each: a start costs half a second of imports and configuration. The commands come on
the file descriptor named on the command line (the standard input is left to the stages,
which DVC starts with it), one JSON object per line: `args`, the DVC arguments, and `env`,
the environment the command and its stages run in. The arguments go through DVC's own
command line (`dvc.cli.main`, so messages read as they always do); then a line
`DONE_PREFIX<exit code>` follows the command's output. The process exits when the commands
end, or after a command the user interrupted (Ctrl-C reaches DVC, which returns
`INTERRUPTED`): a build that was stopped starts nothing more.

Builds that run several of these wait for the repository lock (`--wait-for-lock`). They take
turns holding it for DVC's bookkeeping before and after each stage, which lasts milliseconds;
at DVC's own poll (half a second) a waiting process idles most of that time, so the poll
here is 0.05 s.

    python -m factory.dvc_main <file descriptor>
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

DONE_PREFIX = "factory.dvc_main: exit code "
INTERRUPTED = 252  # what DVC's command line returns on KeyboardInterrupt
# DVC sleeps DEFAULT_TIMEOUT / 6 between attempts; with --wait-for-lock it never gives up.
LOCK_TIMEOUT = 0.3


def serve(commands: TextIO, output: TextIO) -> int:
    """Run each command read from `commands`, writing its exit code to `output` after it."""
    from dvc import lock
    from dvc.cli import main

    lock.DEFAULT_TIMEOUT = LOCK_TIMEOUT
    try:
        for line in commands:
            if not line.strip():
                continue
            command = json.loads(line)
            os.environ.clear()
            os.environ.update(command["env"])
            code = main(command["args"])
            sys.stderr.flush()  # DVC's messages, then the marker, in the order they were written
            output.write(f"{DONE_PREFIX}{code}\n")
            output.flush()
            if code == INTERRUPTED:
                return INTERRUPTED
    except KeyboardInterrupt:  # between commands: nothing to report, nothing more to run
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    with open(int(sys.argv[1]), encoding="utf-8") as received:
        sys.exit(serve(received, sys.stdout))
