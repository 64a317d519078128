"""Every ``/api/v1`` router, included in one place."""

from __future__ import annotations

from fastapi import APIRouter

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

api_router = APIRouter()
api_router.include_router(auth_router)
api_router.include_router(users_router)
api_router.include_router(audit_router)
api_router.include_router(clients_router)
api_router.include_router(scoring_router)
api_router.include_router(portfolio_router)
api_router.include_router(monitoring_router)
api_router.include_router(reports_router)
api_router.include_router(privacy_router)
api_router.include_router(decisions_router)
api_router.include_router(registry_router)
