"""Stored batch-job results: write one, read the latest, say how fresh it is.

A result is keyed by kind (portfolio, drift, backtest), model version and the revision of
the population it was computed on. It is "current" when that revision is still the
population's; otherwise the API still serves it and says it is stale (a job is due).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.clients.service import clients_revision
from backend.models import ServiceMeta
from backend.monitoring.models import MonitoringAggregate

KINDS = ("portfolio", "drift", "backtest")
# Changes whenever outcomes are imported or erased; backtests depend on it too.
OUTCOMES_REVISION_KEY = "outcomes_revision"


def outcomes_revision(db: Session) -> str:
    value = db.scalar(select(ServiceMeta.value).where(ServiceMeta.key == OUTCOMES_REVISION_KEY))
    return value or "none"


def bump_outcomes_revision(db: Session) -> str:
    value = uuid.uuid4().hex
    now = datetime.now(UTC)
    row = db.get(ServiceMeta, OUTCOMES_REVISION_KEY)
    if row is None:
        db.add(ServiceMeta(key=OUTCOMES_REVISION_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
    db.flush()
    return value


def population_revision(db: Session, kind: str) -> str:
    """The revision a result of this kind depends on (clients; plus outcomes for backtests)."""
    clients = clients_revision(db)
    if kind != "backtest":
        return clients
    return hashlib.sha256(f"{clients}:{outcomes_revision(db)}".encode()).hexdigest()[:32]


def store(
    db: Session, kind: str, model_version: str, revision: str, payload: dict[str, Any], duration: float
) -> MonitoringAggregate:
    row = MonitoringAggregate(
        kind=kind, model_version=model_version, population_revision=revision,
        computed_at=datetime.now(UTC), duration_seconds=round(duration, 3), payload=payload,
    )
    db.add(row)
    db.flush()
    return row


def latest(db: Session, kind: str, model_version: str, *, population_other_than: str | None = None
           ) -> MonitoringAggregate | None:
    """The newest result of ``kind`` for the model; with ``population_other_than``, the newest
    computed on another population (the previous period, however often the same one was rerun)."""
    query = select(MonitoringAggregate).where(
        MonitoringAggregate.kind == kind, MonitoringAggregate.model_version == model_version
    )
    if population_other_than is not None:
        query = query.where(MonitoringAggregate.population_revision != population_other_than)
    return db.scalars(
        query.order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc()).limit(1)
    ).first()


def history(db: Session, kind: str, model_version: str | None = None, limit: int = 50) -> list[MonitoringAggregate]:
    """Most recent first, every model version unless one is given."""
    query = select(MonitoringAggregate).where(MonitoringAggregate.kind == kind)
    if model_version is not None:
        query = query.where(MonitoringAggregate.model_version == model_version)
    query = query.order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc()).limit(limit)
    return list(db.scalars(query))


def earlier(db: Session, row: MonitoringAggregate, limit: int = 100) -> list[MonitoringAggregate]:
    """Results of the same kind computed before ``row`` (any model version), most recent first."""
    return list(db.scalars(
        select(MonitoringAggregate)
        .where(
            MonitoringAggregate.kind == row.kind,
            or_(MonitoringAggregate.computed_at < row.computed_at,
                and_(MonitoringAggregate.computed_at == row.computed_at, MonitoringAggregate.id < row.id)),
        )
        .order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc())
        .limit(limit)
    ))


@dataclass(frozen=True)
class Freshness:
    computed_at: datetime
    age_seconds: float
    population_revision: str
    current: bool  # computed on today's population (no import, erasure or outcome since)

    def as_dict(self) -> dict[str, Any]:
        return {"computed_at": self.computed_at, "age_seconds": round(self.age_seconds, 1),
                "population_revision": self.population_revision, "current": self.current}


def freshness(db: Session, row: MonitoringAggregate) -> Freshness:
    computed = row.computed_at if row.computed_at.tzinfo else row.computed_at.replace(tzinfo=UTC)
    return Freshness(
        computed_at=computed,
        age_seconds=(datetime.now(UTC) - computed).total_seconds(),
        population_revision=row.population_revision,
        current=row.population_revision == population_revision(db, row.kind),
    )
