"""Table-sized buffers freed inside `freed_buffers_returned` leave the process."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from factory.allocator import _glibc_mallopt, freed_buffers_returned

MIB = 1 << 20


def resident_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def retained_after_freeing(buffers: int = 40) -> int:
    """Resident bytes still held after 2 MiB buffers are freed, all but the last one made."""
    before = resident_bytes()
    arrays = [np.ones(2 * MIB // 8) for _ in range(buffers)]  # ones: every page is touched
    last = arrays.pop()  # kept, so a heap could not shrink back below it
    arrays.clear()
    retained = resident_bytes() - before - last.nbytes
    del last
    return retained


@pytest.mark.skipif(not sys.platform.startswith("linux") or _glibc_mallopt() is None, reason="glibc only")
def test_freed_buffers_leave_the_process_inside_the_block() -> None:
    # Resident memory is the whole process's: another thread touching pages meanwhile can only
    # add to a measurement, never take away, so the least of three is the block's own.
    with freed_buffers_returned():
        inside = min(retained_after_freeing() for _ in range(3))
    assert inside < 8 * MIB
    # afterwards buffers of this size come from glibc's heaps again, which keep what is freed
    assert retained_after_freeing() > 40 * MIB
