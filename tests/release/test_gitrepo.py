"""Git helpers against real repositories: uncommitted files, files at a revision, the repository lock."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from factory.gitrepo import file_at, git, head_commit, repo_lock, uncommitted_files

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Factory Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Factory Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def init_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository on `main` with one commit holding `files` (the Git identity must be in the environment)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git(root, "add", "--all")
    git(root, "commit", "-q", "-m", "first")
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return init_repo(tmp_path / "repo", {"a/b.txt": "one\n", "z.txt": "zed\n", "README.md": "hello\n"})


def test_clean_tree_has_no_uncommitted_files(repo: Path) -> None:
    assert uncommitted_files(repo) == []


def test_modified_tracked_file_is_listed_with_its_full_path(repo: Path) -> None:
    """An unstaged change makes porcelain output start with a space (` M a/b.txt`): the path must stay whole."""
    (repo / "a/b.txt").write_text("two\n", encoding="utf-8")
    porcelain = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert porcelain.stdout.startswith(" M a/b.txt")
    assert uncommitted_files(repo) == ["a/b.txt"]


def test_staged_and_unstaged_changes_are_listed_sorted(repo: Path) -> None:
    (repo / "z.txt").write_text("changed\n", encoding="utf-8")
    git(repo, "add", "z.txt")
    (repo / "a/b.txt").write_text("two\n", encoding="utf-8")
    (repo / "README.md").unlink()
    assert uncommitted_files(repo) == ["README.md", "a/b.txt", "z.txt"]


def test_untracked_files_do_not_count(repo: Path) -> None:
    (repo / "new.txt").write_text("new\n", encoding="utf-8")
    (repo / "a/also-new.txt").write_text("new\n", encoding="utf-8")
    assert uncommitted_files(repo) == []


def test_file_at_reads_a_committed_version(repo: Path) -> None:
    first = head_commit(repo)
    (repo / "a/b.txt").write_text("two\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "second")
    assert file_at(repo, first, "a/b.txt") == "one\n"
    assert file_at(repo, "HEAD", "a/b.txt") == "two\n"


def test_file_at_is_none_for_a_missing_path_or_revision(repo: Path) -> None:
    (repo / "uncommitted.txt").write_text("not in git\n", encoding="utf-8")
    assert file_at(repo, "HEAD", "no/such/file.txt") is None
    assert file_at(repo, "HEAD", "uncommitted.txt") is None
    assert file_at(repo, "no-such-branch", "a/b.txt") is None


def test_repo_lock_makes_a_second_holder_wait(repo: Path) -> None:
    events: list[str] = []
    first_holds, release_first = threading.Event(), threading.Event()

    def first() -> None:
        with repo_lock(repo, "release"):
            events.append("first in")
            first_holds.set()
            release_first.wait(timeout=5)
            events.append("first out")

    def second() -> None:
        with repo_lock(repo, "release"):
            events.append("second in")

    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(timeout=5)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.3)
    assert events == ["first in"], "the second holder got the lock while the first held it"
    release_first.set()
    one.join(timeout=5)
    two.join(timeout=5)
    assert events == ["first in", "first out", "second in"]


def test_repo_locks_of_different_names_are_independent(repo: Path) -> None:
    entered = threading.Event()

    def other() -> None:
        with repo_lock(repo, "other"):
            entered.set()

    with repo_lock(repo, "release"):
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(timeout=5)
    thread.join(timeout=5)
