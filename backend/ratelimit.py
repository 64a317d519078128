"""Per-user rate limits shared by every API process, spent by a route's guard (``rate="scoring"``).

Why: scoring thousands of variants of one profile would let a user reconstruct the model
(OWASP API4/API6), and a bulk export is the cheapest way to walk off with the audit trail.
Counters live in Redis when ``OCTROI_REDIS_URL`` is set, else in the ``rate_limit_counters``
table: never in a process's memory, so N replicas do not give N times the budget.

The algorithm is the sliding-window counter: the count of the current fixed window plus the
previous window's count weighted by how much of it still overlaps the last ``window``
seconds. It needs two integers per user, never allows a 2x burst at a window boundary (as a
fixed window does) and is exact enough for an abuse limit. Only allowed requests are
counted, so the limit is a throughput cap and ``Retry-After`` is the true wait.

A refused request answers 429 with ``Retry-After`` and writes a ``rate.limited`` audit event
(outcome ``denied``). If the counter store is down the request is refused with 503: an abuse
control that fails open is no control.

A route declares its budget in its guard, which hands this module the authenticated
principal explicitly (``spend``)::

    ctx: ClientContext = Depends(client_guard(Permission.scores_compute, AuditAction.score_compute,
                                              rate="scoring"))

With Redis the request is counted up front (one atomic ``INCR``). With the database it costs
no transaction of its own: the guard reads the two windows in the request's read part and
refuses an exhausted budget at once; the count itself is an upsert in the request's audited
write transaction, which checks the budget again and refuses (429, nothing answered) a
request that a concurrent one pushed over it. Either way only allowed requests are counted.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import BigInteger, Integer, String, bindparam, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from backend.api.deps import commit_write
from backend.audit.actions import AuditAction
from backend.auth.principal import Principal
from backend.db import Base
from backend.middleware import route_template
from backend.prepared import Prepared
from backend.settings import Settings

log = structlog.get_logger("octroi.ratelimit")

# scope -> (settings field holding the limit, window in seconds). One "scoring" budget covers
# score, explanation and simulation: splitting it would multiply what a prober gets.
SCOPES: dict[str, tuple[str, int]] = {
    "scoring": ("rate_limit_scoring_per_minute", 60),
    "export": ("rate_limit_export_per_hour", 3600),
    # A stolen compliance session: erasures are irreversible and the look-up maps bank ids; a
    # rolling day each, counted apart (a look-up never spends an erasure).
    "erasure": ("rate_limit_erasure_per_day", 86_400),
    "erasure_status": ("rate_limit_erasure_status_per_day", 86_400),
}
REDIS_PREFIX = "octroi:rl"

# For routes that carry the dependency: merge into the decorator's ``responses``.
RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"description": "Per-user rate limit exceeded; see the Retry-After header"},
    503: {"description": "A dependency (rate limiter, model or audit trail) is unavailable"},
}


class RateLimitCounter(Base):
    """Requests counted per (scope, user, window start in Unix seconds)."""

    __tablename__ = "rate_limit_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


# Statements built once (building SQL expressions costs more than running them), run straight
# on the cursor of the session's connection, in its transaction (backend.prepared).
_counters = RateLimitCounter.__table__
_SAME_SUBJECT = (_counters.c.scope == bindparam("scope"), _counters.c.subject == bindparam("subject"))
_COUNT_OF_WINDOW = Prepared(select(_counters.c.count).where(*_SAME_SUBJECT,
                                                            _counters.c.window_start == bindparam("window_start")))
_DELETE_OLDER_WINDOWS = Prepared(delete(_counters).where(*_SAME_SUBJECT,
                                                         _counters.c.window_start < bindparam("window_start")))
_COUNTS_OF_TWO_WINDOWS = Prepared(select(_counters.c.window_start, _counters.c.count).where(
    *_SAME_SUBJECT, _counters.c.window_start.in_((bindparam("previous"), bindparam("current")))
))
_UPSERTS: dict[str, Prepared] = {}


def _upsert_statement(dialect: str) -> Prepared:
    statement = _UPSERTS.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = _UPSERTS[dialect] = Prepared(
            insert(_counters)
            .values(scope=bindparam("scope"), subject=bindparam("subject"),
                    window_start=bindparam("window_start"), count=1)
            .on_conflict_do_update(
                index_elements=["scope", "subject", "window_start"], set_={"count": _counters.c.count + 1}
            )
            .returning(_counters.c.count)
        )
    return statement


class LimiterUnavailable(RuntimeError):
    """The counter store could not be reached; the request must not go through."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window_seconds: int
    retry_after: int = 0  # whole seconds, >= 1 when refused


def estimate(previous: int, current: int, elapsed_fraction: float) -> float:
    """The sliding-window estimate of requests in the last window."""
    return previous * (1.0 - elapsed_fraction) + current


def retry_after_seconds(previous: int, current: int, elapsed: float, limit: int, window: int) -> int:
    """Seconds until one more request fits, given ``current`` counted (allowed) requests."""
    # Still inside this window: the previous window's weight decays linearly.
    if current + 1 <= limit and previous > 0:
        needed_fraction = 1.0 - (limit - current - 1) / previous
        wait = needed_fraction * window - elapsed
        if wait <= window - elapsed:
            return max(1, math.ceil(wait))
    # Next window: this window's count becomes the decaying "previous" one.
    wait = window - elapsed
    if current > 0 and limit - 1 < current:
        wait += (1.0 - (limit - 1) / current) * window
    return max(1, math.ceil(wait))


class CounterStore(Protocol):
    def hit(self, scope: str, subject: str, window_start: int, window: int) -> tuple[int, int]:
        """Count one request in ``window_start``; return (previous window's count, this one's)."""
        ...

    def undo(self, scope: str, subject: str, window_start: int) -> None:
        """Take back the request just counted (it was refused)."""
        ...


class DatabaseCounters:
    """Counters in ``rate_limit_counters``: one short transaction of its own per request."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def _upsert(self, db: Session, scope: str, subject: str, window_start: int) -> int:
        connection = db.connection()
        statement = _upsert_statement(connection.dialect.name)
        return int(statement.scalar(connection, {"scope": scope, "subject": subject, "window_start": window_start}))

    def hit(self, scope: str, subject: str, window_start: int, window: int) -> tuple[int, int]:
        try:
            with self.factory() as db, db.begin():
                return self.hit_in(db, scope, subject, window_start, window)
        except SQLAlchemyError as exc:
            raise LimiterUnavailable(f"rate-limit counters unavailable: {type(exc).__name__}") from exc

    def hit_in(
        self, db: Session, scope: str, subject: str, window_start: int, window: int, previous: int | None = None
    ) -> tuple[int, int]:
        """``hit`` inside the caller's (write) transaction: it commits or rolls back with it.
        ``previous``: the previous window's count when the caller read it already (a closed
        window no longer changes), which spares one statement."""
        # The upsert takes the row lock first, so concurrent hits of one user serialize.
        current = self._upsert(db, scope, subject, window_start)
        connection = db.connection()
        keys = {"scope": scope, "subject": subject, "window_start": window_start - window}
        if previous is None:
            previous = int(_COUNT_OF_WINDOW.scalar(connection, keys) or 0)
        # Keep the table small: this user's windows older than the previous one are dead.
        # Only the first hit of a window can find any, so the others skip the statement.
        if current == 1:
            _DELETE_OLDER_WINDOWS.execute(connection, keys)
        return previous, current

    def read(self, db: Session, scope: str, subject: str, window_start: int, window: int) -> tuple[int, int]:
        """(previous window's count, this one's) as committed, in the caller's transaction."""
        rows = _COUNTS_OF_TWO_WINDOWS.all(
            db.connection(),
            {"scope": scope, "subject": subject, "previous": window_start - window, "current": window_start},
        )
        counts = {int(row.window_start): int(row.count) for row in rows}
        return counts.get(window_start - window, 0), counts.get(window_start, 0)

    def undo(self, scope: str, subject: str, window_start: int) -> None:
        table = RateLimitCounter.__table__
        try:
            with self.factory() as db, db.begin():
                db.execute(
                    table.update()
                    .where(
                        table.c.scope == scope,
                        table.c.subject == subject,
                        table.c.window_start == window_start,
                        table.c.count > 0,
                    )
                    .values(count=table.c.count - 1)
                )
        except SQLAlchemyError as exc:
            raise LimiterUnavailable(f"rate-limit counters unavailable: {type(exc).__name__}") from exc


class RedisCounters:
    """Counters in Redis (``INCR`` + ``EXPIRE``): shared by every replica, gone after 2 windows."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        import redis  # imported here: the embedded default never needs it

        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def _key(self, scope: str, subject: str, window_start: int) -> str:
        return f"{self.prefix}:{scope}:{subject}:{window_start}"

    def hit(self, scope: str, subject: str, window_start: int, window: int) -> tuple[int, int]:
        from redis.exceptions import RedisError

        key = self._key(scope, subject, window_start)
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, 2 * window + 5)
            pipe.get(self._key(scope, subject, window_start - window))
            current, _, previous = pipe.execute()
        except RedisError as exc:
            raise LimiterUnavailable(f"rate-limit counters unavailable: {type(exc).__name__}") from exc
        return int(previous or 0), int(current)

    def undo(self, scope: str, subject: str, window_start: int) -> None:
        from redis.exceptions import RedisError

        try:
            self._redis.decr(self._key(scope, subject, window_start))
        except RedisError as exc:
            raise LimiterUnavailable(f"rate-limit counters unavailable: {type(exc).__name__}") from exc


class RateLimiter:
    """Sliding-window decisions over a shared ``CounterStore``."""

    def __init__(self, store: CounterStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def hit(self, scope: str, subject: str, limit: int, window: int) -> Decision:
        now = self.clock()
        window_start = int(now // window) * window
        elapsed = now - window_start
        previous, current = self.store.hit(scope, subject, window_start, window)
        if estimate(previous, current, elapsed / window) <= limit:
            return Decision(True, limit, window)
        self.store.undo(scope, subject, window_start)
        wait = retry_after_seconds(previous, current - 1, elapsed, limit, window)
        return Decision(False, limit, window, wait)

    @property
    def counts_in_request(self) -> bool:
        """Whether requests are counted in their own database transaction (no Redis)."""
        return isinstance(self.store, DatabaseCounters)

    def _window(self, window: int) -> tuple[int, float]:
        now = self.clock()
        window_start = int(now // window) * window
        return window_start, now - window_start

    def peek(self, db: Session, scope: str, subject: str, limit: int, window: int) -> tuple[Decision, WindowRead]:
        """Would one more request fit? Reads the committed counts, counts nothing; also returns
        what it read of the previous window, which ``hit_in`` reuses."""
        assert isinstance(self.store, DatabaseCounters)
        window_start, elapsed = self._window(window)
        previous, current = self.store.read(db, scope, subject, window_start, window)
        read = WindowRead(window_start, previous)
        if estimate(previous, current + 1, elapsed / window) <= limit:
            return Decision(True, limit, window), read
        return Decision(False, limit, window, retry_after_seconds(previous, current, elapsed, limit, window)), read

    def hit_in(
        self, db: Session, scope: str, subject: str, limit: int, window: int, read: WindowRead | None = None
    ) -> Decision:
        """Count one request in ``db``'s transaction; when refused the caller rolls it back.
        ``read``: the guard's peek, whose previous-window count still holds in the same window."""
        assert isinstance(self.store, DatabaseCounters)
        window_start, elapsed = self._window(window)
        known = read.previous if read is not None and read.window_start == window_start else None
        previous, current = self.store.hit_in(db, scope, subject, window_start, window, known)
        if estimate(previous, current, elapsed / window) <= limit:
            return Decision(True, limit, window)
        return Decision(False, limit, window, retry_after_seconds(previous, current - 1, elapsed, limit, window))


def make_limiter(settings: Settings, factory: sessionmaker[Session]) -> RateLimiter:
    if settings.redis_url:
        return RateLimiter(RedisCounters(settings.redis_url))
    return RateLimiter(DatabaseCounters(factory))


_install_lock = threading.Lock()


def get_limiter(app: FastAPI) -> RateLimiter:
    """The app's limiter, built on first use (``app.state.rate_limiter`` may be preset by tests)."""
    limiter = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        with _install_lock:
            limiter = getattr(app.state, "rate_limiter", None)
            if limiter is None:
                limiter = make_limiter(app.state.settings, app.state.sessionmaker)
                app.state.rate_limiter = limiter
    return limiter


def limit_for(settings: Settings, scope: str) -> tuple[int, int]:
    """(limit, window seconds) configured for ``scope``."""
    try:
        field, window = SCOPES[scope]
    except KeyError:
        raise ValueError(f"unknown rate-limit scope {scope!r}; known: {sorted(SCOPES)}") from None
    return int(getattr(settings, field)), window


def _window_words(window: int) -> str:
    return {60: "minute", 3600: "hour", 86_400: "day"}.get(window, f"{window} seconds")


@dataclass(frozen=True)
class RateBudget:
    """A per-user budget a route's guard spends: a scope of ``SCOPES`` or a fixed per-minute limit."""

    scope: str
    per_minute: int | None = None

    def limit(self, settings: Settings) -> tuple[int, int]:
        if self.per_minute is not None:
            return self.per_minute, 60
        return limit_for(settings, self.scope)


def rate_limit(scope: str, *, per_minute: int | None = None) -> RateBudget:
    """The budget ``scope`` (limit from the settings unless ``per_minute``); unknown scopes fail
    at import, where the guard is declared."""
    if per_minute is None and scope not in SCOPES:
        raise ValueError(f"unknown rate-limit scope {scope!r}; known: {sorted(SCOPES)}")
    if per_minute is not None and per_minute < 1:
        raise ValueError("per_minute must be at least 1")
    return RateBudget(scope, per_minute)


@dataclass(frozen=True)
class WindowRead:
    """What a peek read: the current window's start and the previous window's count."""

    window_start: int
    previous: int


@dataclass(frozen=True)
class PendingCount:
    """A request allowed by a read of the database counters, to be counted in its audited write."""

    budget: RateBudget
    limit: int
    window: int
    read: WindowRead | None = None

    def count(self, request: Request, db: Session, principal: Principal) -> None:
        """Count the request in ``db``'s write transaction (just begun); 429 if it no longer fits."""
        try:
            decision = get_limiter(request.app).hit_in(db, self.budget.scope, principal.username,
                                                       self.limit, self.window, self.read)
        except SQLAlchemyError as exc:
            db.rollback()
            raise _unavailable(self.budget.scope, LimiterUnavailable(type(exc).__name__)) from None
        if not decision.allowed:
            db.rollback()  # the count and whatever the route did: nothing of it happened
            _refuse(request, db, principal, self.budget, decision)


def spend(request: Request, db: Session, principal: Principal, budget: RateBudget) -> PendingCount | None:
    """The guard's rate check for ``principal``: 429 (audited) when the budget is spent, 503 when
    the counters cannot be reached. Returns what is left to count in the audited write."""
    limit, window = budget.limit(request.app.state.settings)
    limiter = get_limiter(request.app)
    try:
        if limiter.counts_in_request:
            decision, read = limiter.peek(db, budget.scope, principal.username, limit, window)
            pending = PendingCount(budget, limit, window, read) if decision.allowed else None
        else:
            decision = limiter.hit(budget.scope, principal.username, limit, window)
            pending = None
    except SQLAlchemyError as exc:
        raise _unavailable(budget.scope, LimiterUnavailable(type(exc).__name__)) from None
    except LimiterUnavailable as exc:
        raise _unavailable(budget.scope, exc) from None
    if not decision.allowed:
        db.rollback()
        _refuse(request, db, principal, budget, decision)
    return pending


def _unavailable(scope: str, exc: LimiterUnavailable) -> HTTPException:
    log.error("rate_limiter_unavailable", scope=scope, error=str(exc))
    return HTTPException(
        status_code=503,
        detail="The rate limiter is unavailable; the request was not carried out.",
        headers={"Retry-After": "5"},
    )


def _refuse(request: Request, db: Session, principal: Principal, budget: RateBudget, decision: Decision) -> None:
    limit, window = decision.limit, decision.window_seconds
    commit_write(
        db, request, principal,
        action=AuditAction.rate_limited.value,
        resource=route_template(request.scope),
        outcome="denied",
        details={"scope": budget.scope, "limit": limit, "window_seconds": window},
    )
    raise HTTPException(
        status_code=429,
        detail=(
            f"rate limit exceeded: at most {limit} '{budget.scope}' requests per "
            f"{_window_words(window)} per user; retry in {decision.retry_after} s"
        ),
        headers={"Retry-After": str(decision.retry_after)},
    )
