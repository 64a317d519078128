"""Every ``/api/v1`` router, included in one place."""

from __future__ import annotations

from fastapi import APIRouter

api_router = APIRouter()

# Domains add themselves here, e.g.:
# from backend.auth.routes import router as auth_router
# api_router.include_router(auth_router)
