"""The audit sequencer's background thread: one per API process, one batch at a time cluster-wide.

Requests commit their events to ``audit_pending`` and wake the local thread; it chains what
is committed (``backend.audit.service.sequence_once``) in batches. Only one process chains at
a time (an advisory lock on PostgreSQL, the write lock on SQLite); a process that finds the
chain busy retries a little later (the running batch may have started before its events were
committed), while the process holding the chain drains it batch after batch. Every process also polls while idle, so events left by a process that died
(``kill -9``) are chained by the others. A killed sequencer loses nothing: its batch
transaction is rolled back and the pending events stay where they were.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.service import CHAIN_BATCH, sequence_once

log = structlog.get_logger("octroi.audit")

BATCH_LIMIT = 5 * CHAIN_BATCH


class Sequencer:
    """Chains committed audit events behind the requests (a daemon thread)."""

    def __init__(
        self, engine: Engine, info: dict[str, Any], *, idle_seconds: float = 1.0,
        linger_seconds: float = 0.002, busy_seconds: float = 0.02,
    ) -> None:
        self._engine, self._info = engine, info
        self._idle, self._linger, self._busy = idle_seconds, linger_seconds, busy_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.chained = 0

    def notify(self) -> None:
        """A local transaction committed pending events (called from the commit listener)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._idle)
            if self._stop.is_set():
                return
            self._wake.clear()
            time.sleep(self._linger)  # let a burst of commits join one batch
            try:
                count = sequence_once(self._engine, self._info, BATCH_LIMIT)
            except SQLAlchemyError as exc:
                # The batch rolled back; its events stay pending and are retried.
                log.warning("audit_sequencer_failed", error_type=type(exc).__name__)
                self._stop.wait(0.5)
                self._wake.set()
                continue
            if count is None:  # another process is chaining: its batch may miss ours
                self._stop.wait(self._busy)
                self._wake.set()
            elif count:
                # Drain: the process holding the chain keeps it while there is work, the others
                # stay out of the way (busy_seconds) instead of contending for every batch.
                self.chained += count
                self._wake.set()
