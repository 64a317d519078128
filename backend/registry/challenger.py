"""The challenger, scored off the response path; only daily aggregates of applicants are served.

A client route hands the champion's answer to :meth:`ChallengerMonitor.observe` with the
client's pseudonym; the monitor queues the challenger's work on one background thread and
returns at once: the advisor's answer never waits for, nor contains, the challenger. The worker
compares the two decisions and the shift of probability. The follower thread flushes the
observations into ``challenger_daily``, one row per (day in Paris, champion, challenger),
adding to the row other replicas write too.

What a row counts, and when it is served (``docs/decisions/0036``):

- **applicants, not requests**: an applicant counts once a day however often their file is
  opened (a score and an explanation are two requests about one person). Each process skips the
  applicants it already saw that day; across replicas, ``challenger_seen`` holds a digest of
  each counted applicant (day, versions, pseudonym) until the day is sealed, so the flush adds
  only applicants no replica counted yet. Simulations (a what-if, a prospective applicant) are
  hypotheses, not applications: they are not shadowed.
- **a day is served once sealed**: ``SEAL_GRACE`` after midnight in Paris, the first flush
  seals the days before and deletes their digests. Counters that were still live let anyone
  who read them twice, around one advisor's request, subtract that applicant's challenger
  decision and exact shift. A sealed row never changes again: observations that reach it late
  (a replica that could not flush for longer than the grace) are counted in ``late`` only,
  without their outcome.
- the agreement, flips and shifts of a sealed day are served from ``MIN_CELL`` applicants
  (``ml.disclosure``); below, the day's counts only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.registry.models import ChallengerDaily, ChallengerSeen
from backend.timezone import bank_day

log = structlog.get_logger("octroi.challenger")

# Probability shift (challenger - champion) bins, in probability units; open-ended at both ends.
SHIFT_EDGES: tuple[float, ...] = (-0.2, -0.1, -0.05, -0.02, -0.01, 0.0, 0.01, 0.02, 0.05, 0.1, 0.2)
BINS = len(SHIFT_EDGES) + 1
MAX_PENDING = 256
# How long the worker waits for more requests before scoring a batch (never on the request path).
BATCH_WINDOW_SECONDS = 0.05
# A day is sealed (served, and never changed again) this long after its midnight in Paris: every
# replica flushes every few seconds, so its last observations are in by then.
SEAL_GRACE = timedelta(minutes=10)

Key = tuple[str, str, str]  # (day in Paris, champion version, challenger version)


def shift_bin(shift: float) -> int:
    """Index of the bin holding ``shift``: bin i covers [edge[i-1], edge[i]) (0 below the first)."""
    for i, edge in enumerate(SHIFT_EDGES):
        if shift < edge:
            return i
    return BINS - 1


def subject_digest(key: Key, pseudonym: str) -> str:
    """What ``challenger_seen`` keeps of an applicant counted on a day: no pseudonym as such."""
    return hashlib.sha256("|".join((*key, pseudonym)).encode()).hexdigest()


def forget_subjects(db: Session, pseudonyms: Iterable[str]) -> int:
    """Delete what ``challenger_seen`` holds of ``pseudonyms`` (an erasure, the end of the
    retention period; caller commits): their digest under every (day, versions) still open.
    The counts already added to a day's row stay (a count says nothing of the person). Returns
    the rows deleted."""
    keys = db.execute(select(ChallengerSeen.day, ChallengerSeen.champion_version,
                             ChallengerSeen.challenger_version).distinct()).all()
    people = list(pseudonyms)
    digests = [subject_digest(tuple(key), p) for key in keys for p in people]
    deleted = 0
    for start in range(0, len(digests), 500):
        result = db.execute(delete(ChallengerSeen).where(ChallengerSeen.subject.in_(digests[start:start + 500])))
        deleted += int(result.rowcount or 0)
    return deleted


def sealed_before(now: datetime | None = None) -> str:
    """The days before this one (Paris) are sealed."""
    return bank_day((now or datetime.now(UTC)) - SEAL_GRACE)


@dataclass(frozen=True)
class _Outcome:
    """One applicant's comparison, held in memory until it is flushed (never stored as such)."""

    agree: bool
    to_refuse: bool
    to_approve: bool
    shift: float


@dataclass
class _Counts:
    requests: int = 0  # applicants
    agreements: int = 0
    flips_to_refuse: int = 0
    flips_to_approve: int = 0
    shift_sum: float = 0.0
    shift_abs_sum: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)

    def add(self, outcome: _Outcome) -> None:
        self.requests += 1
        self.agreements += outcome.agree
        self.flips_to_refuse += outcome.to_refuse
        self.flips_to_approve += outcome.to_approve
        self.shift_sum += outcome.shift
        self.shift_abs_sum += abs(outcome.shift)
        self.histogram[shift_bin(outcome.shift)] += 1


@dataclass
class _Pending:
    """A key's observations not flushed yet: each applicant's outcome, and plain counts."""

    outcomes: dict[str, _Outcome] = field(default_factory=dict)  # digest -> outcome
    dropped: int = 0
    errors: int = 0

    def merge(self, other: _Pending) -> None:
        for digest, outcome in other.outcomes.items():
            self.outcomes.setdefault(digest, outcome)
        self.dropped += other.dropped
        self.errors += other.errors


class ChallengerMonitor:
    """One background thread per process scores the queued applicants in small batches (one
    vectorised ``score`` per batch: the per-call overhead of building a frame is paid once)."""

    def __init__(self, max_pending: int = MAX_PENDING, batch_window: float = BATCH_WINDOW_SECONDS) -> None:
        self.max_pending = max_pending
        self.batch_window = batch_window
        self._lock = threading.Lock()
        # One flush at a time in a process: a flush that found nothing while the follower's own
        # was still writing returned before those observations were in the table (a reading
        # right after it missed them: seen under load on PostgreSQL).
        self._flushing = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._queue: list[tuple[Key, str, Any, dict[str, Any], float, str]] = []
        self._busy = False
        self._closed = False
        self._pending: dict[Key, _Pending] = {}
        self._seen: dict[Key, set[str]] = {}  # applicants this process queued, per key (until sealed)
        self._sealed_through: str | None = None  # the cutoff of this process's last sealing
        self._thread = threading.Thread(target=self._run, name="octroi-challenger", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ request path
    def observe(self, challenger: Any, champion_version: str, pseudonym: str, features: Mapping[str, Any],
                probability: float, decision: str) -> None:
        """Queue the challenger's score of the applicant ``pseudonym`` (once a day per process);
        never blocks, never raises."""
        key = (bank_day(), champion_version, challenger.version)
        digest = subject_digest(key, pseudonym)
        with self._lock:
            if self._closed:
                return
            seen = self._seen.setdefault(key, set())
            if digest in seen:
                return
            if len(self._queue) >= self.max_pending:
                self._pending.setdefault(key, _Pending()).dropped += 1
                return
            seen.add(digest)
            self._queue.append((key, digest, challenger, dict(features), float(probability), decision))
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

    def _score(self, batch: list[tuple[Key, str, Any, dict[str, Any], float, str]]) -> None:
        groups: dict[int, list[tuple[Key, str, Any, dict[str, Any], float, str]]] = {}
        for item in batch:
            groups.setdefault(id(item[2]), []).append(item)
        for items in groups.values():
            challenger = items[0][2]
            try:
                from backend.clients.service import features_frame

                scores = challenger.score(features_frame([item[3] for item in items]))
                probabilities = scores["probability"].to_numpy()
                decisions = scores["decision"].to_numpy()
            except Exception as exc:  # noqa: BLE001 - the challenger must never hurt the champion
                log.warning("challenger_failed", error_type=type(exc).__name__)
                with self._lock:
                    for key, digest, *_ in items:
                        self._pending.setdefault(key, _Pending()).errors += 1
                        self._seen.get(key, set()).discard(digest)  # may be scored at the next view
                continue
            with self._lock:
                for (key, digest, _, _, probability, decision), p, other in zip(items, probabilities, decisions,
                                                                                strict=True):
                    outcome = _Outcome(agree=bool(other == decision),
                                       to_refuse=bool(decision == "approve" and other == "refuse"),
                                       to_approve=bool(decision == "refuse" and other == "approve"),
                                       shift=float(p) - probability)
                    self._pending.setdefault(key, _Pending()).outcomes.setdefault(digest, outcome)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued request was scored (tests, shutdown); True when idle."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._queue and not self._busy, timeout=timeout)

    # ------------------------------------------------------------------ storage
    def flush(self, db: Session, now: datetime | None = None) -> int:
        """Add the observations to ``challenger_daily`` (each applicant once a day across
        replicas), seal the days past their grace, commit; returns the rows touched. Waits for a
        flush of this process already under way, so what was observed before the call is stored
        when it returns."""
        with self._flushing:
            return self._flush(db, now)

    def _flush(self, db: Session, now: datetime | None) -> int:
        cutoff = sealed_before(now)
        with self._lock:
            if not self._pending and cutoff == self._sealed_through:
                return 0  # nothing to add, nothing new to seal: no write
            pending, self._pending = self._pending, {}
        try:
            for key, value in pending.items():
                _add(db, key, value)
            sealed = db.execute(
                update(ChallengerDaily).where(ChallengerDaily.sealed_at.is_(None), ChallengerDaily.day < cutoff)
                .values(sealed_at=now or datetime.now(UTC))
            ).rowcount
            db.execute(delete(ChallengerSeen).where(ChallengerSeen.day < cutoff))
            db.commit()
        except Exception:
            db.rollback()
            with self._lock:  # keep them for the next flush
                for key, value in pending.items():
                    self._pending.setdefault(key, _Pending()).merge(value)
            raise
        with self._lock:  # the sealed days' applicants need no more remembering here
            self._sealed_through = cutoff
            for key in [k for k in self._seen if k[0] < cutoff]:
                del self._seen[key]
        return len(pending) + sealed

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout=10)


def _add(db: Session, key: Key, pending: _Pending) -> None:
    day, champion, challenger = key
    where = (ChallengerDaily.day == day, ChallengerDaily.champion_version == champion,
             ChallengerDaily.challenger_version == challenger)
    query = select(ChallengerDaily).where(*where)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # one replica adds to a row at a time
    row = db.scalars(query).first()
    now = datetime.now(UTC)
    if row is None:
        try:
            with db.begin_nested():
                db.add(ChallengerDaily(
                    day=day, champion_version=champion, challenger_version=challenger, requests=0, agreements=0,
                    flips_to_refuse=0, flips_to_approve=0, shift_sum=0.0, shift_abs_sum=0.0,
                    shift_histogram=[0] * BINS, dropped=0, errors=0, late=0, updated_at=now,
                ))
        except IntegrityError:  # another replica created the row first: add to it
            pass
        row = db.scalars(query).one()
    row.dropped += pending.dropped
    row.errors += pending.errors
    if row.sealed_at is not None:
        # Sealed and maybe read: it never changes again; late applicants are counted, not compared.
        row.late += len(pending.outcomes)
    else:
        counts = _Counts()
        for digest in _unseen(db, key, list(pending.outcomes)):
            counts.add(pending.outcomes[digest])
        row.requests += counts.requests
        row.agreements += counts.agreements
        row.flips_to_refuse += counts.flips_to_refuse
        row.flips_to_approve += counts.flips_to_approve
        row.shift_sum += counts.shift_sum
        row.shift_abs_sum += counts.shift_abs_sum
        row.shift_histogram = [a + b for a, b in zip(row.shift_histogram, counts.histogram, strict=True)]
    row.updated_at = now
    db.flush()


def _unseen(db: Session, key: Key, digests: list[str]) -> list[str]:
    """The digests no replica counted yet for ``key``, now recorded as counted. The unique key
    makes a race between two replicas fail the later flush, which keeps its observations and
    finds them counted at the next one."""
    day, champion, challenger = key
    known: set[str] = set()
    for start in range(0, len(digests), 500):
        chunk = digests[start:start + 500]
        known |= set(db.scalars(select(ChallengerSeen.subject).where(
            ChallengerSeen.day == day, ChallengerSeen.champion_version == champion,
            ChallengerSeen.challenger_version == challenger, ChallengerSeen.subject.in_(chunk))))
    new = [d for d in digests if d not in known]
    db.add_all([ChallengerSeen(day=day, champion_version=champion, challenger_version=challenger, subject=d)
                for d in new])
    return new
