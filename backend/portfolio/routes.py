"""COMEX endpoints: portfolio aggregates (``portfolio:read``); no route here names a client.

The aggregates are computed by the portfolio batch job (``octroi jobs run portfolio``, also
run after every import, erasure or promotion) and stored; these routes read the latest one
for the serving model and say how fresh it is. No API process holds the population.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.clients.schemas import Lang
from backend.errors import ApiProblem, ErrorCode
from backend.monitoring import service as stored
from backend.portfolio.schemas import PortfolioSummary, SegmentBy, Segments
from backend.portfolio.service import MIN_SEGMENT, executive_summary
from backend.scoring.model import get_bundle
from security.rbac import Permission

router = APIRouter(prefix="/portfolio", tags=["portfolio"])
NOT_FOUND = {404: {"description": "The portfolio job has not run for the serving model yet"}}


def _latest(db: Session, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    row = stored.latest(db, "portfolio", version)
    if row is None:
        raise ApiProblem(
            404, ErrorCode.aggregates_not_computed,
            f"no portfolio aggregates for model {version} yet: run `octroi jobs run portfolio`",
        )
    return row.payload, stored.freshness(db, row).as_dict()


@router.get("/summary", response_model=PortfolioSummary, responses=NOT_FOUND)
def summary(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.portfolio_read, AuditAction.portfolio_read)),
    bundle: Any = Depends(get_bundle),
) -> PortfolioSummary:
    """Applicants, approval rate, expected default rate and loss, score histogram, risk bands."""
    payload, freshness = _latest(ctx.db, bundle.version)
    aggregates = payload["summary"]
    result = PortfolioSummary(**aggregates, executive_summary=executive_summary(aggregates, lang), lang=lang,
                              freshness=freshness)
    ctx.audit(model_version=bundle.version, details={"view": "summary"})
    return result


@router.get("/segments", response_model=Segments, responses=NOT_FOUND)
def segments(
    by: SegmentBy,
    ctx: RequestContext = Depends(guard(Permission.portfolio_read, AuditAction.portfolio_read)),
    bundle: Any = Depends(get_bundle),
) -> Segments:
    """Per segment: count, approval rate, mean probability; segments under 10 are suppressed."""
    payload, freshness = _latest(ctx.db, bundle.version)
    result = Segments(model_version=bundle.version, min_segment_size=MIN_SEGMENT, freshness=freshness,
                      **payload["segments"][by])
    ctx.audit(model_version=bundle.version, details={"view": "segments", "by": by})
    return result
