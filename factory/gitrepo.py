"""Git as the record of what is released: commands, tags, file contents at a revision, a lock.

Tag names are parsed by GTO (`factory.release.registry_state`); this module only runs Git.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from factory.errors import GitError


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run `git` in `root` and return its standard output, stripped."""
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from exc
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.rstrip("\n")  # leading spaces carry meaning in porcelain output


def head_commit(root: Path) -> str:
    """The full hash of HEAD."""
    return git(root, "rev-parse", "HEAD")


def uncommitted_files(root: Path) -> list[str]:
    """Tracked files with uncommitted changes (untracked files do not count)."""
    output = git(root, "status", "--porcelain", "--untracked-files=no")
    return sorted(line[3:] for line in output.splitlines() if line.strip())


def file_at(root: Path, revision: str, path: str) -> str | None:
    """The content of `path` at `revision`, or None when it does not exist there."""
    done = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def tag_message(root: Path, tag: str) -> str | None:
    """The message of an annotated tag, or None when the tag does not exist."""
    output = git(root, "for-each-ref", f"refs/tags/{tag}", "--format=%(contents)", check=False)
    return output or None


def commit_of(root: Path, revision: str) -> str:
    """The commit a tag or revision points to."""
    return git(root, "rev-list", "-n", "1", revision)


def has_remote(root: Path, name: str = "origin") -> bool:
    """Whether the repository has a Git remote called `name`."""
    return name in git(root, "remote").split()


def push_tags(root: Path, tags: list[str], remote: str = "origin") -> None:
    """Push tags to `remote` (no-op without that remote)."""
    if tags and has_remote(root, remote):
        git(root, "push", "--quiet", remote, *[f"refs/tags/{tag}" for tag in tags])


def user(root: Path) -> str:
    """Who is acting, as Git knows them: `Name <email>`."""
    name = os.environ.get("GIT_COMMITTER_NAME") or git(root, "config", "user.name", check=False) or "unknown"
    email = os.environ.get("GIT_COMMITTER_EMAIL") or git(root, "config", "user.email", check=False) or "unknown"
    return f"{name} <{email}>"


@contextmanager
def repo_lock(root: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock for `name` in this clone, so concurrent commands run one at a time."""
    folder = Path(git(root, "rev-parse", "--git-dir"))
    path = (folder if folder.is_absolute() else root / folder) / f"factory-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def blobs_at(root: Path, revision: str, paths: list[str]) -> dict[str, bytes | None]:
    """The bytes of each of `paths` at `revision` (None where it is not a file there), read by one Git process."""
    wanted = [path for path in paths if "\n" not in path]
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=root,
            input="".join(f"{revision}:{path}\n" for path in wanted).encode(),
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from exc
    if done.returncode != 0:
        raise GitError(f"git cat-file {revision} failed: {done.stderr.decode(errors='replace').strip()}")
    found: dict[str, bytes | None] = dict.fromkeys(paths)
    output, position = done.stdout, 0
    for path in wanted:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[path] = output[position : position + size]
            position += size + 1
        elif len(header) == 3:  # a tree or other object: not a file, its content skipped
            position += int(header[2]) + 1
    return found
