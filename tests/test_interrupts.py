"""Ctrl-C seen by worker threads at once (factory.interrupts)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from factory.interrupts import watch_for_ctrl_c


def test_a_worker_sees_ctrl_c_while_the_main_thread_waits_for_it() -> None:
    seen_by_worker: list[bool] = []

    def worker(arrived: threading.Event) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 10
        while not ctrl_c() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen_by_worker.append(ctrl_c())
        arrived.set()

    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    with watch_for_ctrl_c() as ctrl_c:
        assert not ctrl_c()
        arrived = threading.Event()
        thread = threading.Thread(target=worker, args=(arrived,))
        with pytest.raises(KeyboardInterrupt):  # the main thread still gets it, as before
            thread.start()
            arrived.wait(timeout=20)
            time.sleep(0.1)  # Python code for the pending handler to run in
        thread.join()
        assert seen_by_worker == [True]
        assert ctrl_c()  # and it stays seen
    after = signal.set_wakeup_fd(before)
    assert after == before  # the block put back the descriptor it found


def test_off_the_main_thread_it_never_claims_an_interrupt() -> None:
    answers: list[bool] = []

    def look() -> None:
        with watch_for_ctrl_c() as ctrl_c:
            answers.append(ctrl_c())

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    assert answers == [False]
