"""Deployment history and challenger aggregates (schema: alembic 0007). No per-client value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class ModelDeployment(Base):
    """One promotion, rollback, shadow or clear. The latest row per slot is the current state;
    replaying the champion rows gives the stack ``rollback`` pops."""

    __tablename__ = "model_deployments"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    slot: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChallengerDaily(Base):
    """The challenger against the champion, one row per day (Europe/Paris) and version pair."""

    __tablename__ = "challenger_daily"
    __table_args__ = (UniqueConstraint("day", "champion_version", "challenger_version", name="uq_challenger_daily_key"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10))
    champion_version: Mapped[str] = mapped_column(String(64))
    challenger_version: Mapped[str] = mapped_column(String(64))
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    agreements: Mapped[int] = mapped_column(BigInteger, default=0)
    flips_to_refuse: Mapped[int] = mapped_column(BigInteger, default=0)
    flips_to_approve: Mapped[int] = mapped_column(BigInteger, default=0)
    shift_sum: Mapped[float] = mapped_column(Float, default=0.0)
    shift_abs_sum: Mapped[float] = mapped_column(Float, default=0.0)
    shift_histogram: Mapped[list[int]] = mapped_column(JSON)
    dropped: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


__all__ = ["ChallengerDaily", "ModelDeployment"]
