"""Capture scored rows for monitoring: sampled, buffered, written by a thread as rolling Parquet files.

Files go to `<folder>/<use case>/`, one per roll (by rows or by age), each written atomically
(a temporary file and a rename), so `factory monitor NAME --input <folder>/<use case>` and
`factory ci monitor --inputs <folder>` read complete files only. The queue is bounded: when the
writer falls behind, rows are dropped and counted rather than held without limit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from factory.io import write_parquet

if TYPE_CHECKING:
    import pandas as pd

LOG = logging.getLogger("factory.serve")
MODEL_VERSION_COLUMN = "model_version"
CAPTURED_AT_COLUMN = "captured_at"


@dataclass(frozen=True)
class CaptureSettings:
    """Where and how much to capture."""

    folder: Path
    rate: float = 0.1  # share of rows kept
    roll_rows: int = 10_000  # a file is written once this many rows are buffered...
    roll_seconds: float = 60.0  # ... or once the oldest buffered row is this old
    queue_batches: int = 1_000  # requests waiting to be written, at most
    seed: int = 0


class CaptureWriter:
    """Takes scored tables from request threads; a thread of its own samples and writes them."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=settings.queue_batches)
        self._random = np.random.default_rng(settings.seed)
        self._sampling = threading.Lock()
        self._buffers: dict[str, list[pd.DataFrame]] = {}
        self._oldest: dict[str, float] = {}
        self._sequence = 0
        self._thread = threading.Thread(target=self._run, name="factory-serve-capture", daemon=True)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, name: str, version: str, table: pd.DataFrame, scores: dict[str, np.ndarray]) -> tuple[int, int]:
        """Queue the sampled rows of one request with their `scores` columns; (rows kept, rows dropped).

        Only the kept rows' values are copied here; the writer thread makes the tables, so a
        request pays for its sample and nothing more. Rows are dropped, and counted, when the
        queue is full.
        """
        with self._sampling:
            keep = self._random.random(len(table)) < self.settings.rate
        kept = int(keep.sum())
        if not kept:
            return 0, 0
        columns = {name: table[name].to_numpy()[keep] for name in table.columns}
        columns |= {name: values[keep] for name, values in scores.items()}
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        try:
            self._queue.put_nowait((name, (columns, version, stamp)))
        except queue.Full:
            return 0, kept
        return kept, 0

    def stop(self) -> None:
        """Write what is buffered and stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        import pandas as pd

        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._flush_due()
                continue
            if item is None:  # stop() asked: write everything buffered
                for name in list(self._buffers):
                    self._flush(name)
                return
            name, (columns, version, stamp) = item
            table = pd.DataFrame(columns)
            table[MODEL_VERSION_COLUMN] = version
            table[CAPTURED_AT_COLUMN] = stamp
            self._buffers.setdefault(name, []).append(table)
            self._oldest.setdefault(name, time.monotonic())
            self._flush_due()

    def _flush_due(self) -> None:
        now = time.monotonic()
        for name in list(self._buffers):
            rows = sum(len(table) for table in self._buffers[name])
            if rows >= self.settings.roll_rows or now - self._oldest[name] >= self.settings.roll_seconds:
                self._flush(name)

    def _flush(self, name: str) -> None:
        import pandas as pd

        tables = self._buffers.pop(name, [])
        self._oldest.pop(name, None)
        if not tables:
            return
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.settings.folder / name / f"{stamp}-{self._sequence:06d}.parquet"
        try:
            write_parquet(path, pd.concat(tables, ignore_index=True))
        except OSError as exc:  # a full disk must not stop the service; the rows are lost and logged
            LOG.error("%s: capture not written to %s (%s)", name, path, exc)
