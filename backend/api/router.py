"""Every ``/api/v1`` router, included in one place."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.audit.routes import router as audit_router
from backend.auth.routes import router as auth_router
from backend.clients.routes import router as clients_router
from backend.decisions.routes import router as decisions_router
from backend.monitoring.routes import router as monitoring_router
from backend.portfolio.routes import router as portfolio_router
from backend.privacy.routes import router as privacy_router
from backend.registry.routes import router as registry_router
from backend.reports.routes import router as reports_router
from backend.scoring.routes import router as scoring_router
from backend.users.routes import router as users_router

# In matching order: FastAPI tries routes one by one (twice: to pick the router, then the
# route), so the routers an advisor calls on every client come first. Each is included on the
# app itself under /api/v1 (``include``): one level of routers fewer to walk through. No two
# routers share a path, so the order changes no answer (tests/test_rbac_routes.py walks them).
API_ROUTERS: tuple[APIRouter, ...] = (
    clients_router, decisions_router, reports_router, scoring_router, auth_router, portfolio_router,
    monitoring_router, users_router, audit_router, privacy_router, registry_router,
)


def include(app: FastAPI, prefix: str) -> None:
    for router in API_ROUTERS:
        app.include_router(router, prefix=prefix)
