"""``Prepared``: a Core statement of the request path, run straight on the DBAPI cursor.

Each guarded request runs the same few statements (the user and login session, the rate
windows, the client, the rate count, the audit append). Through ``Connection.execute`` each
costs about 20 µs of SQLAlchemy machinery around a 1-4 µs SQLite statement (execution
context, result metadata, event dispatch, cache lookups); on the request path that machinery
was a third of the work. ``Prepared`` keeps what matters of it and drops the rest:

- the SQL is SQLAlchemy's own, compiled once per dialect from the Core statement (same text,
  same casts, same parameter style), so there is still one definition of each query;
- values go in and come out through the column types' own bind and result processors
  (``TypeEngine.bind_processor`` / ``result_processor``), so what is stored and read is
  byte for byte what ``Connection.execute`` stores and reads (``tests/test_prepared.py``);
- it runs on the connection the session already holds, inside its transaction (on a bare
  ``Connection`` it begins one first, as ``Connection.execute`` does);
- a DBAPI error is raised as SQLAlchemy's own exception class (``DBAPIError.instance``), so
  callers still catch ``SQLAlchemyError`` and fail closed;
- ``before_cursor_execute`` / ``after_cursor_execute`` listeners of the engine still see every
  statement (tests and tracing rely on them); a listener registered with ``retval=True`` is
  called but cannot rewrite the statement.

Not supported (``TypeError`` when first run on a dialect): expanding ``IN`` parameters; those
statements keep ``Connection.execute``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable


class _Plan:
    """A statement compiled for one dialect, with its processors and its row type."""

    __slots__ = ("sql", "names", "positional", "binds", "defaults", "results", "row", "dbapi_error")

    def __init__(self, statement: Executable, dialect: Dialect, keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        for bind in compiled.binds.values():
            if bind.expanding:
                raise TypeError(f"{bind.key}: an expanding parameter; use Connection.execute")
        self.sql = compiled.string
        self.positional = dialect.positional
        self.names = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.binds)
        # Values the statement carries itself (``.values(count=1)``), used unless given.
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.binds = {
            name: processor
            for name in self.names
            if (processor := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = list(getattr(statement, "exported_columns", ()))
        self.results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        self.row = namedtuple("Row", [column.key for column in columns], rename=True) if columns else None  # type: ignore[misc]
        self.dbapi_error = dialect.loaded_dbapi.Error

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        binds = self.binds
        if self.defaults:
            values = {**self.defaults, **values}
        if self.positional:
            return tuple(binds[n](values[n]) if n in binds else values[n] for n in self.names)
        return {n: binds[n](values[n]) if n in binds else values[n] for n in self.names}

    def make_row(self, raw: Sequence[Any]) -> Any:
        return self.row._make(  # type: ignore[union-attr]
            value if process is None or value is None else process(value)
            for process, value in zip(self.results, raw, strict=True)
        )


class Prepared:
    """One Core statement, run on the DBAPI cursor of a SQLAlchemy ``Connection``.

    ``keys`` names the parameters of an ``INSERT`` built without values (the columns it sets).
    """

    def __init__(self, statement: Executable, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = tuple(keys) if keys else None
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect, self.keys)
        return plan

    def _run(self, connection: Connection, values: Mapping[str, Any], fetch: Callable[[Any], Any],
             begin: bool = True) -> Any:
        plan = self._plan(connection.dialect)
        parameters = plan.parameters(values)
        if begin and not connection.in_transaction():
            connection.begin()  # as Connection.execute autobegins (and BEGIN IMMEDIATE on SQLite)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        dispatch = connection.dispatch
        try:
            if dispatch.before_cursor_execute:
                for listener in dispatch.before_cursor_execute:
                    listener(connection, cursor, plan.sql, parameters, None, False)
            cursor.execute(plan.sql, parameters)
            if dispatch.after_cursor_execute:
                for listener in dispatch.after_cursor_execute:
                    listener(connection, cursor, plan.sql, parameters, None, False)
            return fetch(cursor)
        except plan.dbapi_error as exc:
            if connection.dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor):
                connection.invalidate(exc)  # as Connection.execute does: the pool drops it
            raise DBAPIError.instance(plan.sql, parameters, exc, plan.dbapi_error, dialect=connection.dialect) from exc
        finally:
            cursor.close()

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first row (attributes named like the statement's columns), or None."""
        plan = self._plan(connection.dialect)
        raw = self._run(connection, values, lambda cursor: cursor.fetchone())
        return None if raw is None else plan.make_row(raw)

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        plan = self._plan(connection.dialect)
        return [plan.make_row(raw) for raw in self._run(connection, values, lambda cursor: cursor.fetchall())]

    def scalar(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row (processed), or None."""
        row = self.first(connection, values)
        return None if row is None else row[0]

    def execute(self, connection: Connection, values: Mapping[str, Any], *, begin: bool = True) -> None:
        """Run a statement that returns nothing. ``begin=False``: never begin a transaction
        first (the statement is the transaction control itself, in the engine's ``begin`` event)."""
        self._run(connection, values, lambda cursor: None, begin)
