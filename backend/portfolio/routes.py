"""COMEX endpoints: portfolio aggregates (``portfolio:read``); no route here names a client.

The aggregates are computed by the portfolio batch job (``octroi jobs run portfolio``, also
run after every import, erasure or promotion) and stored; these routes read the latest one
for the serving model and say how fresh it is. No API process holds the population.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.clients.schemas import Lang
from backend.monitoring import service as stored
from backend.monitoring.models import MonitoringAggregate
from backend.monitoring.routes import served
from backend.portfolio.schemas import PortfolioPrevious, PortfolioSummary, SegmentBy, Segments
from backend.portfolio.service import (
    MIN_SEGMENT,
    apart_from,
    comparable,
    disclosed_rates,
    executive_summary,
    protect_stored,
    with_lgd,
)
from backend.scoring.model import get_bundle
from ml.monitoring import known_under, served_score
from security.rbac import Permission

router = APIRouter(prefix="/portfolio", tags=["portfolio"], route_class=GuardedRoute)
NOT_FOUND = {404: {"description": "No published portfolio result for the serving model: the job has not run "
                                  "(aggregates_not_computed) or its results are held (aggregates_held)"}}


def _latest_row(db: Session, version: str) -> MonitoringAggregate:
    return served(db, "portfolio", version)


def _previous(db: Session, row: MonitoringAggregate, lgd: float) -> PortfolioPrevious | None:
    """The latest earlier run COMEX may compare with (``portfolio.service.comparable``)."""
    current = row.payload["summary"]
    for candidate in stored.earlier(db, row):
        summary = candidate.payload["summary"]
        if comparable(current, summary):
            computed = candidate.computed_at if candidate.computed_at.tzinfo else candidate.computed_at.replace(tzinfo=UTC)
            # As it was served when it was the latest: beside its own drift report (a split withheld
            # then, "beside" or "moved", is not given back now).
            served = with_lgd(summary, lgd, _drift_edges(db, candidate))
            return PortfolioPrevious(computed_at=computed, **{
                key: served[key] for key in PortfolioPrevious.model_fields if key != "computed_at"})
    return None


def _drift_edges(db: Session, row: MonitoringAggregate) -> dict[float, int]:
    """The counts the served drift report gives of the same applicants under the same model
    (its training deciles), for ``aligned_cells`` and ``apart_from``; none without a drift result
    on the same people. The first one published on them: a rerun gives the same figures."""
    drift = stored.first_published(db, "drift", row.model_version, row.population_revision)
    if drift is None or "score" not in drift.payload:
        return {}
    rows = int(drift.payload.get("rows") or 0)
    if not rows:
        return {}
    # The deciles as the drift route serves them (same model, same people).
    return known_under(served_score(drift.payload["score"], rows, beside=stored.published_edges(db, drift),
                                    moved=drift.payload.get("piece_moves")), rows)


@router.get("/summary", response_model=PortfolioSummary, responses=NOT_FOUND)
def summary(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.portfolio_read, AuditAction.portfolio_read)),
    bundle: Any = Depends(get_bundle),
) -> PortfolioSummary:
    """Applicants, approval rate, expected default rate and loss (PD x LGD x credit), score histogram,
    risk bands, and the previous comparable run's headline figures (``previous``)."""
    row = _latest_row(ctx.db, bundle.version)
    lgd = ctx.request.app.state.settings.lgd
    aggregates = with_lgd(row.payload["summary"], lgd, _drift_edges(ctx.db, row))
    result = PortfolioSummary(**aggregates, executive_summary=executive_summary(aggregates, lang), lang=lang,
                              freshness=stored.freshness(ctx.db, row).as_dict(), previous=_previous(ctx.db, row, lgd))
    ctx.audit(model_version=bundle.version, details={"view": "summary"})
    return result


@router.get("/segments", response_model=Segments, responses=NOT_FOUND)
def segments(
    by: SegmentBy,
    ctx: RequestContext = Depends(guard(Permission.portfolio_read, AuditAction.portfolio_read)),
    bundle: Any = Depends(get_bundle),
) -> Segments:
    """Per segment: count, approval rate, mean probability; segments under 10 are pooled, and a rate
    that would give 1 to 9 approved or refused applicants is withheld (null)."""
    row = _latest_row(ctx.db, bundle.version)
    # Every rate withheld when the split is, also beside a drift report published first.
    summary = apart_from(row.payload["summary"], _drift_edges(ctx.db, row))
    table = disclosed_rates(protect_stored(row.payload["segments"][by], summary["applicants"]), summary)
    result = Segments(model_version=bundle.version, min_segment_size=MIN_SEGMENT,
                      freshness=stored.freshness(ctx.db, row).as_dict(), **table)
    ctx.audit(model_version=bundle.version, details={"view": "segments", "by": by})
    return result
