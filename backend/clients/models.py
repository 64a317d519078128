"""Client tables: features by pseudonym, and erasure tombstones (schema: alembic 0003)."""

from __future__ import annotations

from datetime import datetime
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


class ClientErasure(Base):
    """An erased client's pseudonym: keeps them out of later imports and answers 404."""

    __tablename__ = "client_erasures"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_version: Mapped[str] = mapped_column(String(16))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The tombstones of one person under each key version share it (migration 0008).
    erasure_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
