"""glibc's malloc, told to give table-sized buffers back to the system as soon as they are freed.

glibc serves an allocation above its mmap threshold with a mapping of its own, unmapped when
freed, and smaller ones from its heaps, where freed memory mostly stays with the process. The
threshold starts at 128 KiB and rises to the size of each mapped buffer freed, up to 32 MiB,
so after the first freed column of a large table, later columns, masks and copies of a few
MiB come from the heaps and leave holes behind. While a table is read and its features are
computed that costs a run of the train stage 50 to 100 MiB at its peak, varying from run to
run with how Arrow's reader threads happened to interleave (measured on a million-row
table: 550-600 MiB, and 497 MiB every time with the threshold held at 1 MiB).

A low threshold throughout would cost time where a model allocates and frees buffers of a
few MiB at every iteration (gradient boosting fitted a fifth slower), so it is held only
around the table's work and set to glibc's own ceiling afterwards. The train stage holds it
while it reads the table and fits the features; `factory monitor` while it reads and checks
a batch (a million rows by 20 features: a peak of 2.5x the batch above the process's size
before, against 3.2x without). Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
TABLE_WORK_THRESHOLD = 1 << 20
GLIBC_DYNAMIC_CEILING = 32 << 20  # where glibc's own threshold stops rising on 64-bit machines


@contextmanager
def freed_buffers_returned() -> Iterator[None]:
    """Within the block, allocations of 1 MiB or more are mapped apart and unmapped when freed."""
    mallopt = _glibc_mallopt()
    if mallopt is None:
        yield
        return
    mallopt(M_MMAP_THRESHOLD, TABLE_WORK_THRESHOLD)
    try:
        yield
    finally:
        mallopt(M_MMAP_THRESHOLD, GLIBC_DYNAMIC_CEILING)


def _glibc_mallopt() -> Any:
    """glibc's `mallopt`, or None on another C library or system."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "gnu_get_libc_version"):  # musl has a mallopt that does nothing
        return None
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt
