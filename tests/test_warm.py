"""The warm stage server: a forked child behaves as the fresh process it stands in for."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from factory import cli, warm
from tests.conftest import REPO

ENTRY = "tests.warm_probe:main"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="warm stages are Linux-only")


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def server_pid(socket_path: Path) -> int | None:
    """The pid in the server's lock file, if that process is still a warm server."""
    text = socket_path.with_suffix(".lock").read_text() if socket_path.with_suffix(".lock").exists() else ""
    if not text.isdigit():
        return None
    try:
        command = Path(f"/proc/{text}/cmdline").read_bytes()
    except OSError:
        return None
    return int(text) if b"warm.py" in command else None


def is_gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A server of this test's own (its socket in a fresh folder), started by a first call."""
    runtime = Path(tempfile.mkdtemp(prefix="warm-", dir="/tmp"))  # short: a socket path has ~100 bytes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("FACTORY_WARM", raising=False)
    monkeypatch.chdir(REPO)
    path = warm.socket_path()
    assert warm.run_stage_warm(["probe", "/dev/null", "0", "run"], ENTRY) is None
    wait_for(path.exists, "the server to listen")
    yield path
    pid = server_pid(path)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not path.exists(), "the server to remove its socket")
    shutil.rmtree(runtime)


def probe(tmp_path: Path, name: str, code: int = 0) -> tuple[int | None, dict[str, object]]:
    report = tmp_path / f"{name}.json"
    result = warm.run_stage_warm(["probe", str(report), str(code), "run"], ENTRY)
    return result, json.loads(report.read_text()) if report.exists() else {}


def start_sleeping_client(report: Path) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from factory import warm; "
        f"sys.exit(warm.run_stage_warm(['probe', {str(report)!r}, '0', 'sleep'], {ENTRY!r}))"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=os.environ.copy())


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
    assert facts["interpreter_flags"] == [0, 0, 0]  # worker processes a stage starts inherit these
    captured = capfd.readouterr()  # the child wrote to this process's own streams
    assert "to stdout" in captured.out and "to stderr" in captured.err


def test_the_cli_runs_a_stage_in_a_warm_child(
    server: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    served: list[int | None] = []
    real = warm.run_stage_warm
    monkeypatch.setattr(warm, "run_stage_warm", lambda *args: served.append(real(*args)) or served[-1])
    monkeypatch.setattr(sys, "argv", ["factory", "stage", "prepare", "no-such-use-case"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert served == [2] and exit_.value.code == 2
    assert "use_cases/no-such-use-case/params.yaml" in capfd.readouterr().err


def test_unseeded_draws_differ_from_child_to_child(server: Path, tmp_path: Path) -> None:
    draws = {probe(tmp_path, f"draw-{index}")[1]["draw"] for index in range(3)}
    assert len(draws) == 3


def test_a_child_applies_the_callers_thread_limit(
    server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    code, facts = probe(tmp_path, "limited")
    assert code == 0
    assert facts["openmp_threads"] == [1]  # scikit-learn, preloaded, brings an OpenMP runtime


def test_a_signal_to_the_caller_reaches_the_stage(server: Path, tmp_path: Path) -> None:
    report = tmp_path / "sleeper.json"
    client = start_sleeping_client(report)
    wait_for(report.exists, "the stage to start")
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=60) == 128 + signal.SIGTERM
    child = json.loads(report.read_text())["pid"]
    wait_for(lambda: is_gone(child), "the stage to end")


def test_a_killed_caller_takes_its_stage_with_it(server: Path, tmp_path: Path) -> None:
    report = tmp_path / "orphan.json"
    client = start_sleeping_client(report)
    wait_for(report.exists, "the stage to start")
    client.kill()  # SIGKILL: nothing forwarded, the server sees the connection drop
    client.wait(timeout=60)
    child = json.loads(report.read_text())["pid"]
    wait_for(lambda: is_gone(child), "the abandoned stage to be killed")


def test_a_server_killed_outright_is_replaced(server: Path, tmp_path: Path) -> None:
    pid = server_pid(server)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: server_pid(server) is None, "the server to die")
    assert server.exists()  # a stale socket is left behind
    assert probe(tmp_path, "after-kill")[0] is None  # refused: the caller runs the stage itself
    wait_for(lambda: probe(tmp_path, "replaced")[0] == 0, "a new server")


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


def test_a_folder_others_can_enter_is_never_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runtime = Path(tempfile.mkdtemp(prefix="warm-", dir="/tmp"))
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        folder = warm.socket_path().parent
        folder.mkdir(mode=0o777)
        folder.chmod(0o777)
        assert warm.run_stage_warm(["probe", "/dev/null", "0", "run"], ENTRY) is None
        warm.serve(warm.socket_path())  # what the server started above does: refuse, at once
        assert list(folder.iterdir()) == []
    finally:
        shutil.rmtree(runtime)


def test_switched_off_means_fresh_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_WARM", "0")
    assert not warm.enabled()
    monkeypatch.delenv("FACTORY_WARM")
    assert warm.enabled()


def test_callers_that_differ_in_start_up_settings_get_different_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    first = warm.socket_path()
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    second = warm.socket_path()
    assert second != first
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # applied per child, so the server is shared
    assert warm.socket_path() == second
