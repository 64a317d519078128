"""Dependencies every route reuses, and the request's session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.audit.service import PendingEvent, commit_audited
from backend.auth.principal import Principal
from backend.db import begin_write, read_first_session


def get_db(request: Request) -> Iterator[Session]:
    """One session per request. Whatever the route did not commit is rolled back at the end."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        # close() rolls back an open transaction; a failing rollback must not mask the answer.
        session.close()


def open_session(request: Request, *, read_first: bool) -> Session:
    """The request's one session: read-first (no SQLite write lock before the audited write)
    for routes that change nothing but the trail, else one ``BEGIN IMMEDIATE`` transaction."""
    factory = request.app.state.sessionmaker
    return read_first_session(factory) if read_first else factory()


def commit_write(db: Session, request: Request | None, principal: Principal | None, **event: Any) -> AuditEvent | PendingEvent:
    """The request's audited write: ``begin_write`` (ends a read-first transaction on SQLite),
    then ``commit_audited`` (the event and whatever the route changed commit together)."""
    begin_write(db)
    return commit_audited(db, request, principal, **event)
