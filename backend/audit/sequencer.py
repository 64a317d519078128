"""The audit sequencer's background thread: one per API process, one batch at a time cluster-wide.

Requests commit their events to ``audit_pending`` and wake the local thread; it chains what
is committed (``backend.audit.service.sequence_on``) in batches, on one connection it keeps.
Only one process chains at a time (an advisory lock on PostgreSQL, the write lock on SQLite);
a process that finds the chain busy retries at its next turn, while a process that finds a
full batch drains the backlog batch after batch. Every process also polls while idle, so
events left by a process that died (``kill -9``) are chained by the others. A killed
sequencer loses nothing: its batch transaction is rolled back and the pending events stay
where they were.

Pacing (docs/decisions/0021-audit-sequencer-pacing.md): while events keep arriving, a batch
starts at most once per interval (the first one after a quiet spell waits only
``linger_seconds``), so the events of one interval form one batch instead of one batch (one
lock, one commit) per event. The interval is ``duty`` times the CPU time the thread spent on
its last batch, between ``interval_seconds`` and ``max_interval_seconds``: while pacing, the
sequencer uses at most about 1/``duty`` of a core whatever the request rate, and an event
waits at most about ``max_interval_seconds`` for its seq. A full batch means a backlog, which
is drained at once. Readers that need the newest events chain them themselves (``catch_up``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.service import CHAIN_BATCH, AuditUnavailable, failure_reason, sequence_on

log = structlog.get_logger("octroi.audit")

BATCH_LIMIT = 5 * CHAIN_BATCH


class Sequencer:
    """Chains committed audit events behind the requests (a daemon thread)."""

    def __init__(
        self, engine: Engine, info: dict[str, Any], *, idle_seconds: float = 1.0,
        linger_seconds: float = 0.002, interval_seconds: float = 0.025, max_interval_seconds: float = 0.25,
        duty: float = 40.0, batch_limit: int = BATCH_LIMIT,
    ) -> None:
        self._engine, self._info = engine, info
        self._idle, self._linger = idle_seconds, linger_seconds
        self._min_interval = self._interval = interval_seconds
        self._max_interval, self._duty = max(max_interval_seconds, interval_seconds), duty
        self._limit = batch_limit
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()  # start and stop, from whichever thread calls them
        self._conn: Connection | None = None
        self._last_start = float("-inf")
        self.chained = 0  # events chained by this thread
        self.batches = 0  # batches that chained at least one event
        self.largest_batch = 0

    def notify(self) -> None:
        """A local transaction committed pending events (called from the commit listener)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread; a no-op while it runs (two threads would share one connection)."""
        with self._lifecycle:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lifecycle:
            self._stop.set()
            self._wake.set()
            if self._thread is not None:
                self._thread.join(timeout=10)
                if self._thread.is_alive():  # stuck in a batch: it keeps its connection
                    log.warning("audit_sequencer_stop_timeout")
                    return
            self._thread = None
            self._close()

    def _run(self) -> None:
        backlog = False
        while not self._stop.is_set():
            woken = self._wake.wait(self._idle)
            if self._stop.is_set():
                return
            self._wake.clear()
            if woken and not backlog:
                # Let the events of this interval join one batch (a burst, or a steady stream).
                delay = max(self._linger, self._last_start + self._interval - time.monotonic())
                if self._stop.wait(delay):
                    return
                self._wake.clear()  # what woke us meanwhile is in this batch
            self._last_start = time.monotonic()
            cpu = time.thread_time()
            try:
                count = self._batch()
            except (SQLAlchemyError, AuditUnavailable) as exc:
                # The batch rolled back; its events stay pending and are retried.
                log.warning("audit_sequencer_failed", error_type=type(exc).__name__, reason=failure_reason(exc))
                self._stop.wait(0.5)
                self._wake.set()
                continue
            if count is None:  # another process is chaining: its batch may miss ours
                backlog = False
                self._wake.set()  # retried at the next turn (one interval later)
                continue
            if count:
                self.chained += count
                self.batches += 1
                self.largest_batch = max(self.largest_batch, count)
                spent = self._duty * (time.thread_time() - cpu)
                self._interval = min(self._max_interval, max(self._min_interval, spent))
            backlog = count >= self._limit
            if backlog:
                self._wake.set()  # a full batch: drain the rest now, no pacing

    def _batch(self) -> int | None:
        """One batch on the connection this thread keeps (no pool checkout, no ping per batch)."""
        if self._conn is None:
            self._conn = self._engine.connect()
        try:
            return sequence_on(self._conn, self._info, self._limit)
        except (SQLAlchemyError, AuditUnavailable):
            self._close()  # a broken connection is replaced at the next batch
            raise

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except SQLAlchemyError:
                log.warning("audit_sequencer_close_failed")
