"""Database engine, sessions and the declarative base.

The schema is owned by Alembic (``alembic/``); ``Base.metadata`` only describes it for the ORM
and for autogenerate. On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so writers are
serialized (the audit chain head must be), foreign keys are enforced and WAL lets readers go on.

A request that only reads before its audit event opens a *read-first* session
(``read_first_session``): on SQLite its transaction begins deferred (a WAL snapshot, no write
lock), and ``begin_write`` ends it before the audited write, which begins ``BEGIN IMMEDIATE`` as
always, on the same connection. Upgrading the read transaction in place would fail with
``SQLITE_BUSY_SNAPSHOT`` whenever another process committed in between; ending it first
cannot. On PostgreSQL both are one transaction. Any session not opened read-first keeps ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, exc, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from backend.prepared import Prepared

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# SQLite keeps no offset, so ``DateTime(timezone=True)`` columns come back naive there (aware on
# PostgreSQL). Every stored time is UTC: give loaded values their UTC offset back, so an API
# answer carries the same RFC 3339 timestamp on both engines (found by tests/test_fuzz_api.py).
_AWARE_KEYS: dict[object, tuple[str, ...]] = {}


def _aware_keys(mapper: Mapper) -> tuple[str, ...]:
    keys = _AWARE_KEYS.get(mapper)
    if keys is None:
        keys = tuple(
            prop.key
            for prop in mapper.column_attrs
            if any(isinstance(c.type, DateTime) and c.type.timezone for c in prop.columns)
        )
        _AWARE_KEYS[mapper] = keys
    return keys


@event.listens_for(Base, "load", propagate=True)
def _utc_on_load(target: object, _context: object) -> None:
    state = inspect(target)
    for key in _aware_keys(state.mapper):
        value = state.dict.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            set_committed_value(target, key, value.replace(tzinfo=UTC))


@event.listens_for(Base, "refresh", propagate=True)
def _utc_on_refresh(target: object, context: object, _attrs: object) -> None:
    _utc_on_load(target, context)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url`` with the per-backend settings Octroi relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # No pre-ping: a file database has no server to lose the connection, and the ping was
        # one more statement on every request.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
    )
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it sat idle ``PING_AFTER_IDLE_SECONDS`` or more.

    ``pool_pre_ping`` pinged on every checkout: one more round trip on every request, the ninth
    of a guarded request on PostgreSQL. A connection back in the pool less than a second ago was
    alive then; under load every request gets such a connection. One idle longer (a quiet API,
    a server restarted or failed over meanwhile, an idle timeout) is pinged as before, and a dead
    one is replaced: the pool's documented ``DisconnectionError`` protocol (it connects again,
    up to three times). A server lost in the last second fails the requests in flight (no event,
    no answer: a 503) and the pool then replaces every connection older than the failure."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"pooled connection lost while idle: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection lost while idle")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # Deferred for a read-first session: a snapshot, no write lock.
        begin = _BEGIN if connection.get_execution_options().get(READ_FIRST) else _BEGIN_IMMEDIATE
        begin.execute(connection, {}, begin=False)


# SQLite's transaction control, straight on the connection's cursor (``backend.prepared``: the
# engine's cursor listeners still see it, a driver error is still SQLAlchemy's): through
# ``exec_driver_sql`` each cost about 20 µs of machinery, and a request runs three.
_BEGIN = Prepared(text("BEGIN"))
_BEGIN_IMMEDIATE = Prepared(text("BEGIN IMMEDIATE"))
_COMMIT = Prepared(text("COMMIT"))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


# The execution option that makes an SQLite transaction begin deferred, and the session info
# key holding the engine its write part must use.
READ_FIRST = "octroi_read_first"
_WRITE_BIND = "octroi_write_bind"


def read_first_session(factory: sessionmaker[Session]) -> Session:
    """A session whose reads take no write lock until ``begin_write`` (SQLite); a plain
    session elsewhere (PostgreSQL readers never block writers)."""
    engine = factory.kw["bind"]
    if not is_sqlite(engine):
        return factory()
    reader = engine.__dict__.get(READ_FIRST)
    if reader is None:
        # One option view per engine, kept on it: it shares the engine's pool and events.
        reader = engine.__dict__[READ_FIRST] = engine.execution_options(**{READ_FIRST: True})
    session = factory(bind=reader)
    session.info[_WRITE_BIND] = engine
    return session


def read_first_writer(db: Session) -> Engine | None:
    """The engine a read-first SQLite session still in its read part will write through
    (``BEGIN IMMEDIATE``); None for any other session."""
    return db.info.get(_WRITE_BIND)


def begin_write(db: Session) -> None:
    """Make the rest of a read-first session's transaction the write transaction.

    SQLite: the read transaction ends here (nothing was written: it commits nothing and keeps
    loaded objects loaded) and ``BEGIN IMMEDIATE`` takes the write lock, on the same
    connection and in the same session transaction (no second checkout, no second begin);
    once that transaction ends the session is rebound to the engine that begins ``BEGIN
    IMMEDIATE``, so whatever it does next writes under the lock too. A no-op for any other
    session, so on PostgreSQL the request stays one transaction. Unflushed changes in a
    read-first session are a programming error: the route should not have been declared
    read-only.
    """
    engine = db.info.pop(_WRITE_BIND, None)
    if engine is None:
        return
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("a read-first session has pending changes: declare the route as writing")
    if not db.in_transaction():
        db.bind = engine
        return
    connection = db.connection()
    # Ending the snapshot first cannot fail with SQLITE_BUSY_SNAPSHOT (an in-place upgrade of
    # the read would, whenever another process committed meanwhile).
    _COMMIT.execute(connection, {})
    _BEGIN_IMMEDIATE.execute(connection, {})
    db.info[_REBIND_AFTER] = engine


_REBIND_AFTER = "octroi_rebind_after"


@event.listens_for(Session, "after_transaction_end")
def _rebind_to_writer(session: Session, transaction: SessionTransaction) -> None:
    """After the transaction ``begin_write`` upgraded in place: the session's next transactions
    begin with ``BEGIN IMMEDIATE``."""
    if transaction.parent is None and _REBIND_AFTER in session.info:
        session.bind = session.info.pop(_REBIND_AFTER)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
