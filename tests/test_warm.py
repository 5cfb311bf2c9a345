"""The warm stage server: a forked child behaves as the fresh process it stands in for."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from factory import warm
from tests.conftest import REPO

ENTRY = "tests.warm_probe:main"


def wait_for(condition: object, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture()
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A server of this test's own (its socket under tmp_path), started by a first call."""
    runtime = Path(tempfile.mkdtemp(prefix="warm-", dir="/tmp"))  # short: a socket path has ~100 bytes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("FACTORY_WARM", raising=False)
    monkeypatch.chdir(REPO)
    path = warm.socket_path()
    assert warm.run_stage_warm(["probe", str(tmp_path / "unused"), "0", "run"], ENTRY) is None
    wait_for(path.exists, "the server to listen")
    yield path
    pid = int(path.with_suffix(".lock").read_text() or 0)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not path.exists(), "the server to remove its socket")
    shutil.rmtree(runtime)


def probe(tmp_path: Path, name: str, code: int = 0) -> tuple[int | None, dict[str, object]]:
    report = tmp_path / f"{name}.json"
    result = warm.run_stage_warm(["probe", str(report), str(code), "run"], ENTRY)
    return result, json.loads(report.read_text()) if report.exists() else {}


def test_a_child_runs_where_and_as_the_caller_asked(
    server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARM_PROBE", "from the caller")
    code, facts = probe(tmp_path, "first", code=3)
    assert code == 3  # the exit code passes through
    assert facts["pid"] != os.getpid()
    assert facts["cwd"] == str(REPO)
    assert facts["argv"] == ["probe", str(tmp_path / "first.json"), "3", "run"]
    assert facts["probe"] == "from the caller"
    assert facts["switch"] == "0"  # the child never asks the server again
    assert facts["own_modules_preloaded"] == []
    captured = capfd.readouterr()  # the child wrote to this process's own streams
    assert "to stdout" in captured.out and "to stderr" in captured.err


def test_unseeded_draws_differ_from_child_to_child(server: Path, tmp_path: Path) -> None:
    draws = {probe(tmp_path, f"draw-{index}")[1]["draw"] for index in range(3)}
    assert len(draws) == 3


def test_a_child_applies_the_callers_thread_limit(
    server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    code, facts = probe(tmp_path, "limited")
    assert code == 0
    assert facts["openmp_threads"] in ([1], [])  # [] where no OpenMP runtime is loaded


def test_a_signal_to_the_caller_reaches_the_stage(server: Path, tmp_path: Path) -> None:
    report = tmp_path / "sleeper.json"
    client = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys; from factory import warm; "
            f"sys.exit(warm.run_stage_warm(['probe', {str(report)!r}, '0', 'sleep'], {ENTRY!r}))",
        ],
        cwd=REPO,
        env=os.environ.copy(),
    )
    wait_for(report.exists, "the stage to start")
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=60) == 128 + signal.SIGTERM
    child = json.loads(report.read_text())["pid"]
    wait_for(
        lambda: not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2],
        "the stage to end",
    )


def test_installing_a_package_stops_the_server(server: Path, tmp_path: Path) -> None:
    assert probe(tmp_path, "before")[0] == 0
    site = next(entry for entry in sys.path if entry.startswith(sys.prefix) and entry.endswith("site-packages"))
    stat = os.stat(site)
    try:
        os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert probe(tmp_path, "after")[0] is None  # the caller runs the stage itself
        wait_for(lambda: not server.exists(), "the stale server to exit")
    finally:
        os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_switched_off_or_unsupported_means_fresh_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_WARM", "0")
    assert not warm.enabled()
    monkeypatch.delenv("FACTORY_WARM")
    assert warm.enabled() == (hasattr(os, "fork") and hasattr(socket, "send_fds"))
