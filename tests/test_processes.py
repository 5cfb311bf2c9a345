"""The process model: a build's stage server and DVC workers end with it, and a stage runs as a fresh process would.

The server here is the real one (`factory.stage_server`), started with the environment a
build gives its stages; the callers are real processes that hand it `tests.process_probe`,
which reports the process it ran in.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from factory import stage_server
from factory.build import build_environment
from factory.dvcrun import DvcServer

REPO = Path(__file__).resolve().parents[1]
CALLER = textwrap.dedent(
    """
    import sys
    from factory.stage_server import run_in_server
    code = run_in_server(["probe", *sys.argv[1:]], "tests.process_probe:report")
    if code is None:
        print("COLD", flush=True)
        code = 0
    sys.exit(code)
    """
)

pytestmark = pytest.mark.skipif(not stage_server.supported(), reason="stage servers run on Linux")


def wait_until(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds `marker`, this one left out."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            pid = int(environ.parent.name)
            if pid != os.getpid() and marker.encode() in environ.read_bytes() and alive(pid):
                found.append(pid)
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[stage_server.StageServer]:
    """One server for the tests that only call it (each call is a child of its own)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PYTHONPATH", str(REPO))
        with stage_server.StageServer(build_environment(1)) as started:
            yield started


def call(env: dict[str, str], *args: str, cwd: Path = REPO, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CALLER, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, **options
    )  # type: ignore[call-overload]


def test_a_stage_runs_forked_with_its_callers_environment_folder_umask_limits_and_nice(
    server: stage_server.StageServer, tmp_path: Path
) -> None:
    env = {**server.environment, "DVC_STAGE": "use_cases/x/dvc.yaml:train", "PWD": str(tmp_path)}
    done = call(env, cwd=tmp_path, preexec_fn=lambda: (os.umask(0o027), os.nice(3)))
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["numpy_loaded"], "the stage ran in a fresh process, not in the server's child"
    assert state["threads"] == 1
    assert state["cwd"] == str(tmp_path) and state["umask"] == 0o027
    assert state["nice"] == os.getpriority(os.PRIO_PROCESS, 0) + 3
    for key, value in env.items():  # the caller's environment whole, what the imports add aside
        assert state["env"].get(key) == value, key


def test_a_caller_unlike_the_build_runs_its_stage_itself(server: stage_server.StageServer) -> None:
    """A variable a library reads at import (pandera's switch) cannot reach a stage through the server."""
    different = call({**server.environment, "PANDERA_VALIDATION_ENABLED": "False"})
    assert different.stdout.strip() == "COLD"
    assert "its environment differs from the build's (PANDERA_VALIDATION_ENABLED)" in different.stderr
    limited = call(server.environment, preexec_fn=_lower_nofile)
    assert limited.stdout.strip() == "COLD" and "resource limits differ" in limited.stderr
    assert json.loads(call(server.environment).stdout)["numpy_loaded"]  # the server itself is as it was


def _lower_nofile() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 512), hard))


def test_the_server_forks_only_while_it_runs_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the build's allocator setting, Arrow's jemalloc starts a thread: every stage then runs cold."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "")
    with stage_server.StageServer(build_environment(1)) as threaded:
        done = call(threaded.environment)
    assert done.stdout.strip() == "COLD"
    assert "the server runs 2 threads and forks only when it runs one" in done.stderr


def test_exit_codes_and_signals_pass_through(server: stage_server.StageServer) -> None:
    assert call(server.environment, "exit", "3").returncode == 3
    caller = subprocess.Popen(
        [sys.executable, "-c", CALLER, "sleep", "30"],
        env=server.environment,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert caller.stdout is not None
    child = json.loads(caller.stdout.readline())["pid"]
    caller.send_signal(signal.SIGTERM)
    assert caller.wait(timeout=30) == 128 + signal.SIGTERM
    assert wait_until(lambda: not alive(child))


def test_a_killed_caller_takes_its_stage_with_it(server: stage_server.StageServer) -> None:
    caller = subprocess.Popen(
        [sys.executable, "-c", CALLER, "sleep", "60"],
        env=server.environment,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert caller.stdout is not None
    child = json.loads(caller.stdout.readline())["pid"]
    caller.kill()
    caller.wait()
    assert wait_until(lambda: not alive(child)), "the stage outlived the process that asked for it"


BUILD = textwrap.dedent(
    """
    import json, sys, time
    from factory.build import build_environment
    from factory.dvcrun import DvcServer
    from factory.stage_server import StageServer
    with StageServer(build_environment(1)) as server:
        worker = DvcServer(__import__("pathlib").Path("."), server.environment)
        worker.start()
        print(json.dumps(server.environment), flush=True)
        time.sleep(120)
    """
)


def test_a_killed_build_leaves_no_process_behind(tmp_path: Path) -> None:
    """SIGKILL of the build: its stage server, its DVC worker and a stage the server runs all end."""
    marker = f"factory-test-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROCESS_TEST_MARKER": marker}
    build = subprocess.Popen([sys.executable, "-c", BUILD], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert build.stdout is not None
    stage_env = json.loads(build.stdout.readline())
    caller = subprocess.Popen(
        [sys.executable, "-c", CALLER, "sleep", "60"], env=stage_env, cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert caller.stdout is not None
    first = caller.stdout.readline()
    assert "pid" in first, first  # the server ran it
    assert len(processes_with(marker)) >= 4  # build, server, DVC worker, caller, stage
    build.kill()
    build.wait()
    caller.wait(timeout=30)
    assert wait_until(lambda: not processes_with(marker), 10), "processes outlived the killed build"


def test_a_dvc_worker_waits_for_the_repository_lock_and_then_runs(tmp_path: Path) -> None:
    import zc.lockfile

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "dvc.yaml").write_text("stages:\n  hello:\n    cmd: echo hello > out.txt\n    outs: [out.txt]\n")
    held = zc.lockfile.LockFile(str(tmp_path / ".dvc" / "tmp" / "lock"))  # what a running `dvc repro` holds
    with DvcServer(tmp_path, build_environment(1)) as worker:
        try:
            worker.submit({"op": "reproduce", "targets": ["dvc.yaml"], "wait_for_lock": True})
            time.sleep(2)
            assert not (tmp_path / "out.txt").exists()
        finally:
            held.close()
        result, output = worker.collect()
    assert result["error"] is None and result["ran"] == ["dvc.yaml:hello"], (result, output)
    assert (tmp_path / "out.txt").read_text() == "hello\n"


def test_the_command_line_leaves_the_users_environment_as_it_found_it(tmp_path: Path) -> None:
    """No variable is written into the process's own environment (the stages get theirs from the build)."""
    code = "import os, sys; before = dict(os.environ); from factory import cli; sys.argv = ['factory', 'components']\n"
    code += "try:\n    cli.main()\nexcept SystemExit:\n    pass\nprint(dict(os.environ) == before)"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENBLAS", "NPY_"))}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, cwd=REPO
    )
    assert done.stdout.strip().endswith("True"), done.stdout + done.stderr
