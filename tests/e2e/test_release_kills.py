"""End to end: releases killed at any point, and two at once, against real Git tags and a real DVC remote.

Apart from tests/e2e/test_release.py so the two files can run side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from factory.release import registry_state
from tests.conftest import BIN, project_env
from tests.e2e.test_release import CONFIG, NAME, Repo

pytestmark = pytest.mark.e2e


# Loaded at the start of the command under test: it dies by SIGKILL right after its Nth tag
# is written (register, assign or unassign through GTO), as a crash would.
KILL_AFTER_TAG = """
import os, signal
import gto.api

_count = [0]


def _killing(write):
    def written(*args, **kwargs):
        result = write(*args, **kwargs)
        _count[0] += 1
        if _count[0] == int(os.environ["KILL_AT"]):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return written


for _name in ("register", "assign", "unassign"):
    setattr(gto.api, _name, _killing(getattr(gto.api, _name)))
"""


def test_killed_between_any_two_tags_production_is_never_empty(tmp_path: Path) -> None:
    """A release of v1.1.0 over v1.0.0 writes three tags; killed after each, production is held
    by one of the two versions, and a rerun completes the move (GTO agrees)."""
    repo = Repo(tmp_path)
    repo.build_and_commit("v1.0.0")
    assert repo.factory("release", NAME)[0] == 0
    repo.edit(CONFIG, "C: [0.01, 0.1, 1.0, 10.0]", "C: [0.9]")
    repo.build_and_commit("v1.1.0")
    injected = tmp_path / "inject"
    injected.mkdir()
    (injected / "sitecustomize.py").write_text(KILL_AFTER_TAG)
    start = repo.tags()

    def killed_run(kill_at: int, *args: str) -> None:
        env = project_env(repo.root)
        env.update(KILL_AT=str(kill_at), PYTHONPATH=os.pathsep.join([str(injected), env["PYTHONPATH"]]))
        process = subprocess.run([str(BIN / "factory"), *args], cwd=repo.root, env=env, capture_output=True, text=True)
        assert process.returncode == -signal.SIGKILL, f"not killed after tag {kill_at}: {process.stderr}"

    for kill_at in (1, 2, 3):
        killed_run(kill_at, "release", NAME)
        holders = registry_state.holders(repo.root, NAME)
        assert holders.get("production") in ("v1.0.0", "v1.1.0"), (kill_at, holders)
        assert repo.production() in ("v1.0.0", "v1.1.0"), kill_at
        code, output = repo.factory("release", NAME)  # the rerun completes the move
        assert code == 0, output
        assert registry_state.holders(repo.root, NAME) == {"production": "v1.1.0"}
        assert repo.production() == "v1.1.0"
        events = registry_state.stage_events(repo.root, NAME)
        assert [e.version for e in events if not e.assigned] == ["v1.0.0"], kill_at
        new = sorted(repo.tags() - start)
        repo.git("push", "-q", "origin", "--delete", *[f"refs/tags/{tag}" for tag in new])
        repo.git("tag", "-d", *new)

    killed_run(1, "release", NAME)
    assert repo.factory("release", NAME)[0] == 0
    killed_run(1, "rollback", NAME)  # the old holder is assigned again, the new one not yet unassigned
    assert registry_state.holders(repo.root, NAME) == {"production": "v1.0.0"}
    assert repo.production() in ("v1.0.0", "v1.1.0")
    code, output = repo.factory("promote", NAME, "--version", "v1.0.0", "--stage", "production")
    assert code == 0, output
    assert repo.production() == "v1.0.0"


def test_killed_and_concurrent_releases(tmp_path: Path) -> None:
    """Killed at any point: no version without its model in the remote, and a rerun completes.
    Two at once: serialised, one creates the version, the other finds it released."""
    repo = Repo(tmp_path)
    repo.build_and_commit("build")
    env = project_env(repo.root)
    for delay in (0.5, 2.0, 3.5):
        process = subprocess.Popen(
            [str(BIN / "factory"), "release", NAME],
            cwd=repo.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        for tag in repo.tags():
            if "@" in tag:  # a version exists only with its model already in the remote
                message = repo.git("tag", "-l", "--format=%(contents)", tag)
                md5 = message.split('"model_md5": "')[1].split('"')[0]
                assert (repo.remote / "files" / "md5" / md5[:2] / md5[2:]).is_file(), (delay, tag)
        # Release again: completes or is a no-op.
        code, output = repo.factory("release", NAME)
        assert code == 0, output
        assert repo.production() == "v1.0.0"
        assert f"{NAME}@v1.0.0" in repo.origin_tags()
        # Start the next attempt from nothing released, locally and on origin.
        tags = sorted(repo.tags())
        repo.git("push", "-q", "origin", "--delete", *[f"refs/tags/{tag}" for tag in tags])
        repo.git("tag", "-d", *tags)
    assert not repo.tags() and not repo.origin_tags()

    processes = [
        subprocess.Popen(
            [str(BIN / "factory"), "release", NAME],
            cwd=repo.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate()[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sum("released v1.0.0" in output for output in outputs) == 1
    assert sum("already released" in output for output in outputs) == 1
    assert repo.tags() == {f"{NAME}@v1.0.0", f"{NAME}#production#1"}
