"""The peak resident memory of this process, its own: what the memory benchmarks compare.

Linux starts the `ru_maxrss` of a child started with vfork, as Python starts them, at its
parent's peak, so a child's `ru_maxrss` may be its parent's. The high-water mark of a
process's own memory (`VmHWM` in /proc/self/status) starts afresh at exec: it is this
process's alone, and it is what a vfork-ed child would inherit from it.
"""

from __future__ import annotations

import resource
from pathlib import Path

STATUS = Path("/proc/self/status")


def own_peak_rss() -> int:
    """This process's own peak resident set size in bytes (`ru_maxrss` where /proc is missing)."""
    if STATUS.is_file():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
