"""Monitoring endpoints for COMEX and compliance (``monitoring:read``): the latest stored
drift and backtest results of the serving model, with their freshness and history.

The API computes nothing here: the batch jobs (``octroi jobs run drift|backtest``) do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.errors import ApiProblem, ErrorCode
from backend.monitoring import service
from backend.monitoring.schemas import BacktestReport, DriftReport
from backend.scoring.model import get_bundle
from security.rbac import Permission

router = APIRouter(prefix="/monitoring", tags=["monitoring"], route_class=GuardedRoute)
NOT_FOUND = {404: {"description": "No stored result yet for this model version: run the job"}}
VersionQuery = Query(
    None, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
    description="A model version (default: the one the API serves), e.g. to compare with a retired one",
)


def _latest(db: Session, kind: str, version: str) -> Any:
    row = service.latest(db, kind, version)
    if row is None:
        raise ApiProblem(
            404, ErrorCode.aggregates_not_computed,
            f"no {kind} result for model {version} yet: run `octroi jobs run {kind}`",
        )
    return row


@router.get("/drift", response_model=DriftReport, responses=NOT_FOUND)
def drift(
    model_version: str | None = VersionQuery,
    ctx: RequestContext = Depends(guard(Permission.monitoring_read, AuditAction.monitoring_read)),
    bundle: Any = Depends(get_bundle),
) -> DriftReport:
    """Score PSI, input CSI and data quality against training and the previous run; alerts."""
    row = _latest(ctx.db, "drift", model_version or bundle.version)
    payload = {k: v for k, v in row.payload.items() if k != "distribution"}
    history = [
        {"computed_at": h.computed_at, "model_version": h.model_version, "rows": h.payload["rows"],
         "score_psi": h.payload["score"]["psi"], "level": h.payload["level"], "alerts": len(h.payload["alerts"])}
        for h in service.history(ctx.db, "drift")
    ]
    result = DriftReport(model_version=row.model_version, freshness=service.freshness(ctx.db, row).as_dict(),
                         history=history, **payload)
    ctx.audit(model_version=row.model_version, details={"view": "drift"})
    return result


@router.get("/backtest", response_model=BacktestReport, responses=NOT_FOUND)
def backtest(
    model_version: str | None = VersionQuery,
    ctx: RequestContext = Depends(guard(Permission.monitoring_read, AuditAction.monitoring_read)),
    bundle: Any = Depends(get_bundle),
) -> BacktestReport:
    """AUC/Gini with CIs, predicted vs observed by grade, calibration, cohorts and segments."""
    row = _latest(ctx.db, "backtest", model_version or bundle.version)
    history = []
    for h in service.history(ctx.db, "backtest"):
        auc = h.payload.get("auc") or {}
        calibration = h.payload.get("calibration") or {}
        history.append({
            "computed_at": h.computed_at, "model_version": h.model_version, "n": h.payload.get("n"),
            "auc": auc.get("auc"), "gini": auc.get("gini"),
            "predicted_rate": calibration.get("predicted_rate"), "observed_rate": calibration.get("observed_rate"),
        })
    result = BacktestReport(model_version=row.model_version, freshness=service.freshness(ctx.db, row).as_dict(),
                            history=history, **row.payload)
    ctx.audit(model_version=row.model_version, details={"view": "backtest"})
    return result
