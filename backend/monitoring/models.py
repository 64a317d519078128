"""Monitoring tables (schema: alembic 0009, 0013): outcomes by pseudonym, batch-job aggregates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    true,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.db import Base


class Outcome(Base):
    """What happened to a client's loan (1 = default), under the client's pseudonym."""

    __tablename__ = "outcomes"
    __table_args__ = (CheckConstraint("target IN (0, 1)", name="target_binary"),)

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_version: Mapped[str] = mapped_column(String(16))
    target: Mapped[int] = mapped_column(SmallInteger)
    observed_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonitoringAggregate(Base):
    """One batch-job result: aggregates only (cells of at least 10 people), never a client.

    Served only when ``published``: a result whose population differs from a published one by
    1 to 9 people is held (``ml.disclosure.publishable``); ``members`` holds the digests of its
    population's rows to compare the next results with (never loaded with the row), and
    ``member_cells`` each row's cells, to count who moved in each segment and cohort."""

    __tablename__ = "monitoring_aggregates"
    __table_args__ = (
        Index("ix_monitoring_aggregates_kind_version_time", "kind", "model_version", "computed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # portfolio | drift | backtest
    model_version: Mapped[str] = mapped_column(String(64))
    population_revision: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[float] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    changed_people: Mapped[int | None] = mapped_column(Integer, nullable=True)
    members: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    # Each member's cells (its segment in every segmentation, its cohort): a structured array
    # saved as .npy (``backend.monitoring.service``), in the members' order.
    member_cells: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    # A digest of members and member_cells: the next job compares with each population once.
    population_digest: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What a history lists of this result, as served when it was the latest (drift, backtest):
    # set by the job that stores it (``backend.monitoring.service.point_of``), a few numbers.
    point: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
