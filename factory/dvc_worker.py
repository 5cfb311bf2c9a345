"""A DVC process of one build: it reproduces the pipelines it is handed, through DVC's Python API.

`factory build` hands pipelines to these processes (`dvcrun.DvcServer`): DVC starts once per
process rather than once per pipeline (half a second of imports), several of them build
pipelines side by side, and each one's output (DVC's messages and its stages') reaches the
build on a pipe of its own. The commands come on the file descriptor named on the command
line, one JSON object per line (`factory.dvc_api.reproduce`'s arguments, or `status`). After a
command's output comes one line, `RESULT_PREFIX` and the result as JSON. The process ends when
the commands end or the build dies (the kernel kills it), or at Ctrl-C.

    python -m factory.dvc_worker <file descriptor> <build pid>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from factory.stage_server import die_with_parent

RESULT_PREFIX = "factory.dvc_worker result: "
INTERRUPTED = 130


def run(command: dict[str, Any]) -> dict[str, Any]:
    """Carry out one command; its result as plain data."""
    from factory import dvc_api

    root = Path(command["root"])
    if command["op"] == "status":
        try:
            return {"changed": dvc_api.status(root, command["targets"])}
        except dvc_api.DvcError as exc:
            return {"error": str(exc)}
    options = {key: command[key] for key in ("single_item", "keep_going", "force", "wait_for_lock") if key in command}
    return dvc_api.reproduce(root, command["targets"], **options).as_dict()


def serve(commands: TextIO, output: TextIO) -> int:
    """Run each command read from `commands`, writing its result to `output` after its messages."""
    try:
        for line in commands:
            if line.strip():
                result = run(json.loads(line))
                sys.stderr.flush()  # DVC's messages, then the result, in the order they were written
                output.write(RESULT_PREFIX + json.dumps(result) + "\n")
                output.flush()
    except KeyboardInterrupt:
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    die_with_parent(int(sys.argv[2]))
    with open(int(sys.argv[1]), encoding="utf-8") as received:
        sys.exit(serve(received, sys.stdout))
