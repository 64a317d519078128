"""Client tables: features by pseudonym, and erasure tombstones (schema: alembic 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class Client(Base):
    """One current applicant. No bank id, no score: only the pseudonym and raw features."""

    __tablename__ = "clients"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_version: Mapped[str] = mapped_column(String(16))
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class StoredClient:
    """A client row as the request path reads it (one Core query, no ORM identity): what every
    client route uses, nothing it could write back by accident."""

    pseudonym: str
    key_version: str
    features: dict[str, Any]
    imported_at: datetime

    @classmethod
    def of_row(cls, row: Any) -> StoredClient:
        imported_at = row.imported_at
        if imported_at.tzinfo is None:  # SQLite keeps no offset; every stored time is UTC
            imported_at = imported_at.replace(tzinfo=UTC)
        return cls(row.pseudonym, row.key_version, row.features, imported_at)


class ClientErasure(Base):
    """An erased client's pseudonym: keeps them out of later imports and answers 404."""

    __tablename__ = "client_erasures"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_version: Mapped[str] = mapped_column(String(16))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The tombstones of one person under each key version share it (migration 0008).
    erasure_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
