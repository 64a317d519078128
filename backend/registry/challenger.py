"""The challenger, scored off the response path; only daily aggregates are kept.

A scoring route hands the champion's answer to :meth:`ChallengerMonitor.observe`, which queues
the challenger's work on one background thread and returns at once: the advisor's answer never
waits for, nor contains, the challenger. The worker compares the two decisions and the shift
of probability, and adds them to in-memory counters per (day in Paris, champion, challenger); the
follower thread flushes those counters into ``challenger_daily`` every poll (adding to the row
other replicas write too). No pseudonym, no probability, no per-request row is ever kept.
When the queue is full the request is counted as ``dropped`` instead of slowing the API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.registry.models import ChallengerDaily
from backend.timezone import bank_day

log = structlog.get_logger("octroi.challenger")

# Probability shift (challenger - champion) bins, in probability units; open-ended at both ends.
SHIFT_EDGES: tuple[float, ...] = (-0.2, -0.1, -0.05, -0.02, -0.01, 0.0, 0.01, 0.02, 0.05, 0.1, 0.2)
BINS = len(SHIFT_EDGES) + 1
MAX_PENDING = 256
# How long the worker waits for more requests before scoring a batch (never on the request path).
BATCH_WINDOW_SECONDS = 0.05


def shift_bin(shift: float) -> int:
    """Index of the bin holding ``shift``: bin i covers [edge[i-1], edge[i]) (0 below the first)."""
    for i, edge in enumerate(SHIFT_EDGES):
        if shift < edge:
            return i
    return BINS - 1


@dataclass
class _Counts:
    requests: int = 0
    agreements: int = 0
    flips_to_refuse: int = 0
    flips_to_approve: int = 0
    shift_sum: float = 0.0
    shift_abs_sum: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)
    dropped: int = 0
    errors: int = 0

    def merge(self, other: _Counts) -> None:
        for name in ("requests", "agreements", "flips_to_refuse", "flips_to_approve", "shift_sum",
                     "shift_abs_sum", "dropped", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]


class ChallengerMonitor:
    """One background thread per process scores the queued requests in small batches (one
    vectorised ``score`` per batch: the per-call overhead of building a frame is paid once)."""

    def __init__(self, max_pending: int = MAX_PENDING, batch_window: float = BATCH_WINDOW_SECONDS) -> None:
        self.max_pending = max_pending
        self.batch_window = batch_window
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._queue: list[tuple[tuple[str, str, str], Any, dict[str, Any], float, str]] = []
        self._busy = False
        self._closed = False
        self._counts: dict[tuple[str, str, str], _Counts] = {}
        self._thread = threading.Thread(target=self._run, name="octroi-challenger", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ request path
    def observe(self, challenger: Any, champion_version: str, features: Mapping[str, Any],
                probability: float, decision: str) -> None:
        """Queue the challenger's score of ``features``; never blocks, never raises."""
        key = (bank_day(), champion_version, challenger.version)
        with self._lock:
            if self._closed:
                return
            if len(self._queue) >= self.max_pending:
                self._counts.setdefault(key, _Counts()).dropped += 1
                return
            self._queue.append((key, challenger, dict(features), float(probability), decision))
            self._wake.notify()

    # ------------------------------------------------------------------ worker
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed and not self._queue:
                    return
            # Let a few more requests arrive: one batch instead of one call per request.
            time.sleep(self.batch_window)
            with self._lock:
                batch, self._queue = self._queue, []
                self._busy = True
            try:
                self._score(batch)
            finally:
                with self._lock:
                    self._busy = False
                    if not self._queue:
                        self._idle.notify_all()

    def _score(self, batch: list[tuple[tuple[str, str, str], Any, dict[str, Any], float, str]]) -> None:
        groups: dict[int, list[tuple[tuple[str, str, str], Any, dict[str, Any], float, str]]] = {}
        for item in batch:
            groups.setdefault(id(item[1]), []).append(item)
        for items in groups.values():
            challenger = items[0][1]
            try:
                from backend.clients.service import features_frame

                scores = challenger.score(features_frame([item[2] for item in items]))
                probabilities = scores["probability"].to_numpy()
                decisions = scores["decision"].to_numpy()
            except Exception as exc:  # noqa: BLE001 - the challenger must never hurt the champion
                log.warning("challenger_failed", error_type=type(exc).__name__)
                with self._lock:
                    for key, *_ in items:
                        self._counts.setdefault(key, _Counts()).errors += 1
                continue
            with self._lock:
                for (key, _, _, probability, decision), p, other in zip(items, probabilities, decisions, strict=True):
                    shift = float(p) - probability
                    counts = self._counts.setdefault(key, _Counts())
                    counts.requests += 1
                    counts.agreements += other == decision
                    counts.flips_to_refuse += decision == "approve" and other == "refuse"
                    counts.flips_to_approve += decision == "refuse" and other == "approve"
                    counts.shift_sum += shift
                    counts.shift_abs_sum += abs(shift)
                    counts.histogram[shift_bin(shift)] += 1

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued request was scored (tests, shutdown); True when idle."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._queue and not self._busy, timeout=timeout)

    # ------------------------------------------------------------------ storage
    def flush(self, db: Session) -> int:
        """Add the counters to ``challenger_daily`` and commit; returns the rows touched."""
        with self._lock:
            counts, self._counts = self._counts, {}
        if not counts:
            return 0
        try:
            for key, value in counts.items():
                _add(db, key, value)
            db.commit()
        except Exception:
            db.rollback()
            with self._lock:  # keep them for the next flush
                for key, value in counts.items():
                    self._counts.setdefault(key, _Counts()).merge(value)
            raise
        return len(counts)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout=10)


def _add(db: Session, key: tuple[str, str, str], c: _Counts) -> None:
    day, champion, challenger = key
    where = (ChallengerDaily.day == day, ChallengerDaily.champion_version == champion,
             ChallengerDaily.challenger_version == challenger)
    query = select(ChallengerDaily).where(*where)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = db.scalars(query).first()
    now = datetime.now(UTC)
    if row is None:
        try:
            with db.begin_nested():
                db.add(ChallengerDaily(
                    day=day, champion_version=champion, challenger_version=challenger, requests=c.requests,
                    agreements=c.agreements, flips_to_refuse=c.flips_to_refuse, flips_to_approve=c.flips_to_approve,
                    shift_sum=c.shift_sum, shift_abs_sum=c.shift_abs_sum, shift_histogram=list(c.histogram),
                    dropped=c.dropped, errors=c.errors, updated_at=now,
                ))
            return
        except IntegrityError:  # another replica created the row first: add to it
            row = db.scalars(query).one()
    row.requests += c.requests
    row.agreements += c.agreements
    row.flips_to_refuse += c.flips_to_refuse
    row.flips_to_approve += c.flips_to_approve
    row.shift_sum += c.shift_sum
    row.shift_abs_sum += c.shift_abs_sum
    row.shift_histogram = [a + b for a, b in zip(row.shift_histogram, c.histogram, strict=True)]
    row.dropped += c.dropped
    row.errors += c.errors
    row.updated_at = now
    db.flush()
