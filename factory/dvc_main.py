"""DVC's command line, waiting for the repository lock with a poll of 0.05 s instead of 0.5 s.

Parallel builds run several `dvc repro --wait-for-lock` processes. They take turns holding the
repository lock for DVC's bookkeeping before and after each stage, which lasts milliseconds;
at DVC's own poll a waiting process idles up to half a second at every turn.

    python -m factory.dvc_main <dvc arguments>
"""

from __future__ import annotations

import sys

from dvc import lock
from dvc.cli import main

# DVC sleeps DEFAULT_TIMEOUT / 6 between attempts; with --wait-for-lock it never gives up.
lock.DEFAULT_TIMEOUT = 0.3

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
