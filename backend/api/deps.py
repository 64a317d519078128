"""Dependencies every route reuses."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session


def get_db(request: Request) -> Iterator[Session]:
    """One session per request. Whatever the route did not commit is rolled back at the end."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        # close() rolls back an open transaction; a failing rollback must not mask the answer.
        session.close()
