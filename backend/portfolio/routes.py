"""COMEX endpoints: portfolio aggregates (``portfolio:read``); no route here names a client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from backend.api.deps import get_db
from backend.audit.service import commit_audited
from backend.auth.deps import Principal, require
from backend.cache import ResultCache
from backend.clients.schemas import Lang
from backend.portfolio.schemas import PortfolioSummary, SegmentBy, Segments
from backend.portfolio.service import (
    MIN_SEGMENT,
    PopulationSnapshots,
    executive_summary,
    portfolio_aggregates,
)
from backend.scoring.model import get_bundle, get_cache
from security.rbac import Permission

router = APIRouter(prefix="/portfolio", tags=["portfolio"])


def get_snapshots(request: Request) -> PopulationSnapshots:
    snapshots = getattr(request.app.state, "population_snapshots", None)
    if snapshots is None:
        snapshots = request.app.state.population_snapshots = PopulationSnapshots()
    return snapshots


@router.get("/summary", response_model=PortfolioSummary)
def summary(
    request: Request,
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.portfolio_read)),
    db: Session = Depends(get_db),
    bundle: Any = Depends(get_bundle),
    cache: ResultCache = Depends(get_cache),
    snapshots: PopulationSnapshots = Depends(get_snapshots),
) -> PortfolioSummary:
    """Applicants, approval rate, expected default rate and loss, score histogram, risk bands."""
    aggregates = portfolio_aggregates(db, bundle, cache, snapshots)["summary"]
    result = PortfolioSummary(**aggregates, executive_summary=executive_summary(aggregates, lang), lang=lang)
    commit_audited(db, request, principal, action="portfolio.read", model_version=bundle.version,
                   details={"view": "summary"})
    return result


@router.get("/segments", response_model=Segments)
def segments(
    request: Request,
    by: SegmentBy,
    principal: Principal = Depends(require(Permission.portfolio_read)),
    db: Session = Depends(get_db),
    bundle: Any = Depends(get_bundle),
    cache: ResultCache = Depends(get_cache),
    snapshots: PopulationSnapshots = Depends(get_snapshots),
) -> Segments:
    """Per segment: count, approval rate, mean probability; segments under 10 are suppressed."""
    table = portfolio_aggregates(db, bundle, cache, snapshots)["segments"][by]
    result = Segments(model_version=bundle.version, min_segment_size=MIN_SEGMENT, **table)
    commit_audited(db, request, principal, action="portfolio.read", model_version=bundle.version,
                   details={"view": "segments", "by": by})
    return result
