"""Human-oversight decisions (schema: alembic 0004). Never a probability or a SHAP value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class AdvisorDecision(Base):
    """An advisor's final decision beside the model's recommendation (GDPR Art. 22, AI Act Art. 14).

    ``pseudonym`` and ``reason`` are cleared when the client is erased; the rest stays so the
    override statistics (automation-bias monitoring) do not change after an erasure.
    """

    __tablename__ = "advisor_decisions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    pseudonym: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    decision: Mapped[str] = mapped_column(String(16))
    recommendation: Mapped[str] = mapped_column(String(16))
    is_override: Mapped[bool] = mapped_column(Boolean)
    model_version: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    advisor: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Model lifecycle (alembic 0007, backend/decisions): what the model saw, and the decision
    # this row revises (a decision's history is the chain of its rows).
    snapshot_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revises_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)


class ErasureRequest(Base):
    """Four-eyes on an erasure (alembic 0018): one compliance officer asks, another confirms.

    ``pseudonym`` is the client's (never the bank id); the row stays once decided (who asked,
    who confirmed or refused, when) until the audit retention purge. A pending request lapses after
    ``backend.privacy.erasure_requests.REQUEST_TTL``."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, confirmed, refused
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
