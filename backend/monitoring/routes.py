"""Monitoring endpoints for COMEX and compliance (``monitoring:read``): the latest stored
drift and backtest results of the serving model, with their freshness and history. Only
published results are served (``backend.monitoring.service``).

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
from backend.monitoring.models import MonitoringAggregate
from backend.monitoring.schemas import BacktestReport, DriftReport
from backend.portfolio.service import SEGMENTS, segment_labels
from backend.registry.store import RegistryError
from backend.scoring.model import get_bundle
from ml.disclosure import MIN_CELL
from ml.monitoring import NEVER_SERVED, disclosed_outcomes, protected_score
from security.rbac import Permission

router = APIRouter(prefix="/monitoring", tags=["monitoring"], route_class=GuardedRoute)
NOT_FOUND = {404: {"description": "No published result yet for this model version: the job has not run "
                                  "(aggregates_not_computed) or its results are held (aggregates_held)"}}
VersionQuery = Query(
    None, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
    description="A model version (default: the one the API serves), e.g. to compare with a retired one",
)


def served(db: Session, kind: str, version: str) -> MonitoringAggregate:
    """The newest published result of ``kind`` for the model, or a 404 saying why there is none:
    the job never ran, or its results are held (1 to 9 people from a published one)."""
    row = service.latest(db, kind, version)
    if row is not None:
        return row
    held = service.held(db, kind, version)
    if held is not None:
        raise ApiProblem(
            404, ErrorCode.aggregates_held,
            f"the {kind} result for model {version} is held: its population is {held.changed_people} "
            f"people from a published one, fewer than {MIN_CELL}; it is published once {MIN_CELL} have changed",
        )
    raise ApiProblem(
        404, ErrorCode.aggregates_not_computed,
        f"no {kind} result for model {version} yet: run `octroi jobs run {kind}`",
    )


def _training_rows(ctx: RequestContext, bundle: Any, version: str) -> int | None:
    """How many rows ``version`` was trained on: the served bundle's reference, else the
    registry's manifest; None when neither knows the version."""
    if version == bundle.version and bundle.monitoring_reference is not None:
        return int(bundle.monitoring_reference["rows"])
    registry = getattr(ctx.request.app.state.model_follower, "registry", None)
    try:
        rows = registry.info(version).training_data.get("rows") if registry is not None else None
    except RegistryError:
        return None
    return int(rows) if rows is not None else None


@router.get("/drift", response_model=DriftReport, responses=NOT_FOUND)
def drift(
    model_version: str | None = VersionQuery,
    ctx: RequestContext = Depends(guard(Permission.monitoring_read, AuditAction.monitoring_read)),
    bundle: Any = Depends(get_bundle),
) -> DriftReport:
    """Score PSI, input CSI and data quality against training and the previous run; alerts."""
    row = served(ctx.db, "drift", model_version or bundle.version)
    payload = {k: v for k, v in row.payload.items() if k not in NEVER_SERVED}
    # A report stored before it named its training rows: the bundle's, served or registered.
    if "training_rows" not in payload:
        payload["training_rows"] = _training_rows(ctx, bundle, row.model_version)
    # No decile edge within 9 people of what the portfolio publishes of the same people (its
    # threshold; its histogram and grades when it was published first).
    # One answer for every result on these people (the first published of each kind decides).
    edges = service.published_edges(ctx.db, row)
    if isinstance(payload.get("score"), dict) and payload.get("rows"):
        payload["score"] = protected_score(payload["score"], payload["rows"], beside=edges,
                                           moved=row.payload.get("piece_moves"))

    # Each point as served when its run was the latest (``service.point_of``): a PSI withheld
    # then, beside what the portfolio published on that run's people, stays withheld.
    history = service.history(ctx.db, "drift")
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
    row = served(ctx.db, "backtest", model_version or bundle.version)
    history = service.history(ctx.db, "backtest")
    payload = disclosed_outcomes(row.payload)
    payload["segments"] = {name: _in_segment_order(name, rows) for name, rows in (payload.get("segments") or {}).items()}
    result = BacktestReport(model_version=row.model_version, freshness=service.freshness(ctx.db, row).as_dict(),
                            history=history, **payload)
    ctx.audit(model_version=row.model_version, details={"view": "backtest"})
    return result


def _in_segment_order(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A segmentation's rows in its own order, as the portfolio gives them (age bands youngest
    first, the schema's levels, "unknown" last), also for a result stored sorted as text ("<25"
    came after "65+")."""
    if name not in SEGMENTS:
        return rows
    order = {label: i for i, label in enumerate(segment_labels(name))}
    return sorted(rows, key=lambda r: (order.get(r.get("segment"), len(order)), str(r.get("segment"))))
