"""The environment DVC and its stages run in."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from factory.dvc_main import INTERRUPTED
from factory.dvcrun import THREAD_LIMIT_VARIABLES, DvcServer, dvc, environment


@pytest.fixture(autouse=True)
def no_thread_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in THREAD_LIMIT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_a_pipeline_alone_keeps_every_core() -> None:
    env = environment()
    assert not set(THREAD_LIMIT_VARIABLES) & set(env)


def test_pipelines_side_by_side_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert {environment(share=2)[v] for v in THREAD_LIMIT_VARIABLES} == {"4"}
    assert {environment(share=16)[v] for v in THREAD_LIMIT_VARIABLES} == {"1"}


def test_a_limit_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert environment(share=2)["OMP_NUM_THREADS"] == "3"


def test_a_dvc_server_queues_for_the_repository_lock_and_then_runs(tmp_path: Path) -> None:
    import zc.lockfile
    from dvc import lock as dvc_lock

    assert isinstance(dvc_lock.DEFAULT_TIMEOUT, int | float)  # the poll factory.dvc_main shortens
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    held = zc.lockfile.LockFile(str(tmp_path / ".dvc" / "tmp" / "lock"))  # what a running `dvc repro` holds
    with DvcServer(tmp_path) as server:
        try:
            assert dvc(tmp_path, "status").returncode != 0  # DVC alone gives up after a few attempts
            server.submit("status", wait_for_lock=True)
            waiting = threading.Thread(target=lambda: results.append(server.collect()))
            results: list[tuple[int, str]] = []
            waiting.start()
            waiting.join(timeout=2)
            assert waiting.is_alive() and not results  # still queued behind the lock
        finally:
            held.close()
        waiting.join(timeout=60)
        assert results and results[0][0] == 0, results
        # one process, one command after another
        assert server.run("status", "--json") == (0, "{}\n")
        assert server.run("repro", "no-such-stage")[0] != 0
        assert server.run("status", "--json") == (0, "{}\n")


def test_a_dvc_server_that_dies_fails_its_command_and_the_next_one_starts_another(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    with DvcServer(tmp_path) as server:
        server.start()
        first = server._process
        assert first is not None
        first.kill()
        code, output = server.run("status")
        assert code != 0 and "the DVC process ended (exit code -9) before the command finished" in output
        assert server.run("status", "--json") == (0, "{}\n")
        assert server._process is not None and server._process.pid != first.pid


@pytest.mark.parametrize(("exit_code", "interrupted"), [(130, True), (1, False)])
def test_a_stage_stopped_by_ctrl_c_ends_the_server(tmp_path: Path, exit_code: int, interrupted: bool) -> None:
    """DVC reports a stage that Ctrl-C stopped as a failed stage; the server knows it was an interrupt."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "dvc.yaml").write_text(f"stages:\n  stopped:\n    cmd: exit {exit_code}\n")
    with DvcServer(tmp_path) as server:
        code, output = server.run("repro")
        assert code != 0 and f"exited with {exit_code}" in output
        assert server.interrupted is interrupted
        if interrupted:
            assert server.run("status") == (INTERRUPTED, "not run: the build was interrupted\n")
