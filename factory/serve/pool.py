"""The models being served, one per use case, swapped whole when their stage moves.

A request takes the model it will use once, at its start, so a swap never fails or mixes
a request: requests that started before it finish on the old version. A version that fails
its checks is not loaded; the old one keeps serving and `problems` says why.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from factory.errors import FactoryError
from factory.gitrepo import has_remote
from factory.serve.loading import ServedModel, load_version, stage_version

LOG = logging.getLogger("factory.serve")
FETCH_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Swap:
    """One change a refresh made or refused."""

    name: str
    old: str | None
    new: str
    loaded: bool
    problem: str | None = None


class ModelPool:
    """The served versions of `names` at `stage`, read from the clone at `root`."""

    def __init__(
        self,
        root: Path,
        names: list[str],
        stage: str,
        fetch_tags: bool,
        on_swap: Callable[[ServedModel], None] | None = None,
        on_refusal: Callable[[str], None] | None = None,
    ) -> None:
        self.root, self.names, self.stage, self.fetch_tags = root, names, stage, fetch_tags
        self._served: dict[str, ServedModel] = {}
        self._problems: dict[str, str] = {}
        self._refused: dict[str, str] = {}  # use case -> the version that failed its checks
        self._refreshing = threading.Lock()
        self._on_swap, self._on_refusal = on_swap, on_refusal

    def current(self, name: str) -> ServedModel | None:
        """The version answering for `name` now (None when nothing could be loaded)."""
        return self._served.get(name)

    def served(self) -> dict[str, ServedModel]:
        """Every model being served, by use case."""
        return dict(self._served)

    def problems(self) -> dict[str, str]:
        """Why a use case is not serving its stage's version, by use case."""
        return dict(self._problems)

    def refresh(self, retry_refused: bool = False) -> list[Swap]:
        """Fetch the tags (when asked), then load every use case whose stage moved; one refresh at a time.

        A version that failed its checks is tried again only with `retry_refused` (an operator's
        reload) or once the stage moves on: polling does not fetch it again and again.
        """
        with self._refreshing:
            if self.fetch_tags:
                self._fetch()
            return [swap for name in self.names if (swap := self._refresh_one(name, retry_refused)) is not None]

    def _refresh_one(self, name: str, retry_refused: bool) -> Swap | None:
        old = self._served.get(name)
        try:
            wanted = stage_version(self.root, name, self.stage)
        except FactoryError as exc:
            self._problems[name] = str(exc)
            LOG.warning("%s: %s", name, exc)
            return None
        if old is not None and old.version == wanted:
            self._problems.pop(name, None)
            self._refused.pop(name, None)
            return None
        if self._refused.get(name) == wanted and not retry_refused:
            return None
        try:
            loaded = load_version(self.root, name, wanted)
        except FactoryError as exc:
            keeping = f"; still serving {old.version}" if old else ""
            self._problems[name] = f"{wanted} not loaded: {exc}{keeping}"
            self._refused[name] = wanted
            LOG.error("%s: %s not loaded (%s)%s", name, wanted, exc, keeping)
            if self._on_refusal is not None:
                self._on_refusal(name)
            return Swap(name, old.version if old else None, wanted, loaded=False, problem=str(exc))
        # One assignment of a new mapping: a reader sees the old mapping or the new, never half of one.
        self._served = {**self._served, name: loaded}
        self._problems.pop(name, None)
        self._refused.pop(name, None)
        LOG.info("%s: serving %s (was %s)", name, wanted, old.version if old else "nothing")
        if self._on_swap is not None:
            self._on_swap(loaded)
        return Swap(name, old.version if old else None, wanted, loaded=True)

    def _fetch(self) -> None:
        """Bring the remote's tags (releases, promotions, rollbacks) into this clone."""
        if not has_remote(self.root, "origin"):
            return
        # No --force and no pruning: a tag moved or deleted on the remote never changes this clone's.
        command = ["git", "fetch", "--quiet", "--tags", "origin"]
        try:
            done = subprocess.run(
                command, cwd=self.root, capture_output=True, text=True, timeout=FETCH_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            LOG.warning("git fetch of the tags failed: %s", exc)
            return
        if done.returncode != 0:
            LOG.warning("git fetch of the tags failed: %s", done.stderr.strip())


class Poller:
    """Refresh a pool every `interval` seconds in a thread of its own, until stopped."""

    def __init__(self, pool: ModelPool, interval: float) -> None:
        self.pool, self.interval = pool, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="factory-serve-poller", daemon=True)

    def start(self) -> None:
        """Begin polling (the first refresh after one interval: the pool is loaded at startup)."""
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for a refresh in progress to end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.pool.refresh()
            except Exception:  # a poll must never end the service; the next one tries again
                LOG.exception("refreshing the served models failed")
