"""``backend.prepared.Prepared`` runs the request path's statements on the DBAPI cursor: what it
stores and reads must be exactly what ``Connection.execute`` stores and reads, its errors must
stay SQLAlchemy's (so every caller still fails closed), and engine listeners still see it.
Both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from backend.audit.models import AuditPending
from backend.audit.service import EVENT_FIELDS
from backend.auth.deps import _USER_AND_SESSION
from backend.clients.models import Client
from backend.db import make_engine
from backend.prepared import Prepared
from backend.ratelimit import _COUNTS_OF_TWO_WINDOWS, _upsert_statement
from backend.users.models import User

PENDING = AuditPending.__table__
_GHOST = Table("no_such_table", MetaData(), Column("id", Integer))
AWKWARD_DETAILS = {"reason": "l'accès « refusé »", "top": 10, "nested": {"ratio": 0.1 + 0.2, "none": None}}


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _fields(**changes):
    fields = {
        "ts": datetime(2026, 12, 4, 18, 40, 1, 123456, tzinfo=UTC), "request_id": "r-1", "actor": "alice",
        "role": "advisor", "action": "score.compute", "resource": "p" * 64, "outcome": "success",
        "ip": "127.0.0.1", "model_version": "v1", "input_hash": "h" * 64, "details": AWKWARD_DETAILS,
        "mac": "k" * 16 + ":" + "m" * 64,
    }
    return {**fields, **changes}


def _stored(connection, new_id):
    """The row as the driver returns it, no type processing: what is really on disk."""
    columns = ", ".join(EVENT_FIELDS)
    cursor = connection.connection.driver_connection.cursor()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%(id)s"
    cursor.execute(f"SELECT {columns} FROM audit_pending WHERE id = {marker}",  # noqa: S608 - fixed names
                   (new_id,) if marker == "?" else {"id": new_id})
    row = cursor.fetchone()
    cursor.close()
    return row


def test_an_insert_stores_exactly_what_core_stores(engine):
    prepared = Prepared(insert(PENDING).returning(PENDING.c.id), keys=EVENT_FIELDS)
    with engine.begin() as connection:
        by_core = connection.execute(insert(PENDING), _fields()).inserted_primary_key[0]
        by_prepared = prepared.scalar(connection, _fields())
        assert isinstance(by_prepared, int) and by_prepared != by_core
        assert _stored(connection, by_prepared) == _stored(connection, by_core)
        # And both read back the same through the ORM's types.
        rows = connection.execute(select(*[PENDING.c[name] for name in EVENT_FIELDS])
                                  .where(PENDING.c.id.in_([by_core, by_prepared]))).all()
        assert rows[0] == rows[1]
        assert rows[0].details == AWKWARD_DETAILS


def test_reads_give_the_values_and_types_core_gives(engine):
    with engine.begin() as connection:
        connection.execute(insert(User), [{
            "username": "alice", "full_name": "A", "role": "advisor", "password_hash": "x", "active": True,
            "must_change_password": False, "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
        }])
        connection.execute(insert(Client), [{
            "pseudonym": "q" * 64, "key_version": "v1", "features": {"AMT_CREDIT": 1.5e5, "CODE": "é"},
            "imported_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        }])
        upsert = _upsert_statement(connection.dialect.name)
        keys = {"scope": "scoring", "subject": "alice", "window_start": 60}
        assert [upsert.scalar(connection, keys) for _ in range(3)] == [1, 2, 3]
        cases = [
            (_USER_AND_SESSION, {"username": "alice", "family_id": None}),
            (_COUNTS_OF_TWO_WINDOWS, {"scope": "scoring", "subject": "alice", "previous": 0, "current": 60}),
            (Prepared(select(Client).where(Client.pseudonym == bindparam("p"))), {"p": "q" * 64}),
        ]
        for prepared, values in cases:
            expected = connection.execute(prepared.statement, values).all()
            got = prepared.all(connection, values)
            assert [tuple(row) for row in got] == [tuple(row) for row in expected]
            assert [type(v) for row in got for v in row] == [type(v) for row in expected for v in row]
            assert got[0]._fields == tuple(expected[0]._fields)
        assert _USER_AND_SESSION.first(connection, {"username": "nobody", "family_id": None}) is None


def test_a_driver_error_is_sqlalchemys_and_leaves_nothing(engine):
    prepared = Prepared(insert(PENDING).returning(PENDING.c.id), keys=EVENT_FIELDS)
    with engine.connect() as connection:
        with pytest.raises(IntegrityError):  # NOT NULL action: a SQLAlchemyError, callers fail closed
            prepared.scalar(connection, _fields(action=None))
        connection.rollback()
        with pytest.raises(SQLAlchemyError):  # OperationalError / ProgrammingError
            Prepared(select(_GHOST.c.id)).all(connection, {})
        connection.rollback()
        assert connection.execute(select(PENDING.c.id)).all() == []


def test_engine_listeners_see_every_statement(engine):
    seen = []

    def listener(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        with engine.connect() as connection:
            _COUNTS_OF_TWO_WINDOWS.all(connection, {"scope": "s", "subject": "u", "previous": 0, "current": 60})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert any("rate_limit_counters" in statement for statement, _ in seen)


def test_an_expanding_parameter_is_refused_when_first_run(engine):
    prepared = Prepared(select(PENDING.c.id).where(PENDING.c.id.in_(bindparam("ids", expanding=True))))
    with engine.connect() as connection, pytest.raises(TypeError, match="expanding"):
        prepared.all(connection, {"ids": [1]})
