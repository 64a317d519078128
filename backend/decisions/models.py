"""Decision snapshots and contests (schema: alembic 0007). Never a probability or a SHAP value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class DecisionSnapshot(Base):
    """The application as the model saw it when an advisor decided (immutable: UPDATE refused
    by a trigger). Personal data under a pseudonym: exported (Art. 15) and deleted (Art. 17)."""

    __tablename__ = "decision_snapshots"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    key_version: Mapped[str] = mapped_column(String(16))
    input_hash: Mapped[str] = mapped_column(String(64))
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionContest(Base):
    """The applicant contests a decision (their point of view), then another advisor reviews it.

    ``status``: open -> upheld | revised (then ``revision_id`` is the new decision). On erasure
    ``pseudonym`` and ``statement`` (free text about the person) are cleared; the counts stay.
    """

    __tablename__ = "decision_contests"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, index=True)
    pseudonym: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    statement: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    contested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revision_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
