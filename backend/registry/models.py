"""Deployment history and challenger aggregates (schema: alembic 0007, 0014). No per-client value
is kept beyond the day: ``challenger_seen`` (digests) goes when its day is sealed."""

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
    # Set once the day is over (``backend.registry.challenger.SEAL_GRACE``): only sealed rows are
    # served, and they never change again; applicants reaching a sealed row count in ``late`` only.
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    late: Mapped[int] = mapped_column(BigInteger, default=0)


class ChallengerSeen(Base):
    """The applicants already counted in an open day's row, so that each counts once a day
    across replicas: a digest of (day, versions, pseudonym), deleted when the day is sealed."""

    __tablename__ = "challenger_seen"
    __table_args__ = (UniqueConstraint("day", "champion_version", "challenger_version", "subject",
                                       name="uq_challenger_seen"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    champion_version: Mapped[str] = mapped_column(String(64))
    challenger_version: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))


__all__ = ["ChallengerDaily", "ChallengerSeen", "ModelDeployment"]
