"""Tell any thread, at once, that the user pressed Ctrl-C.

Python raises KeyboardInterrupt in the main thread only, when that thread next runs Python
code. When the kernel hands the signal to another thread while the main thread is blocked
waiting for workers, the main thread may see it only once the workers are done, too late to
stop them starting more work. The interpreter's C-level handler, though, writes the signal's
number to the wakeup file descriptor as soon as the signal arrives, whichever thread took it:
reading that pipe tells a worker that the interrupt came.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def watch_for_ctrl_c() -> Iterator[Callable[[], bool]]:
    """Within the block, a function that says whether SIGINT has arrived since it began.

    KeyboardInterrupt still reaches the main thread as before. Off the main thread, where
    Python allows no wakeup descriptor, the function always says no.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    read_end, write_end = os.pipe()
    for end in (read_end, write_end):
        os.set_blocking(end, False)  # the C handler must never block; readers only look
    seen = threading.Event()
    reading = threading.Lock()  # one reader at a time: a byte read is a byte the other misses

    def arrived() -> bool:
        with reading:
            if not seen.is_set():
                with contextlib.suppress(BlockingIOError):
                    if signal.SIGINT in os.read(read_end, 1024):
                        seen.set()
        return seen.is_set()

    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        yield arrived
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
