"""An entry point for warm children in tests: reports what the child sees, then exits.

argv: [program, report-file, exit-code, mode]; mode "sleep" waits for a signal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    import numpy
    from threadpoolctl import threadpool_info

    report, code, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    facts = {
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "probe": os.environ.get("WARM_PROBE"),
        "switch": os.environ.get("FACTORY_WARM"),
        "draw": float(numpy.random.rand()),
        "openmp_threads": sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}),
        "interpreter_flags": [sys.flags.isolated, sys.flags.ignore_environment, sys.flags.no_user_site],
        "own_modules_preloaded": sorted(name for name in sys.modules if name.split(".")[0] == "components"),
    }
    report.write_text(json.dumps(facts))
    print("to stdout")
    print("to stderr", file=sys.stderr)
    if mode == "sleep":
        time.sleep(120)
    sys.exit(code)
