"""Liveness and readiness.

``/healthz`` answers as long as the process does. ``/readyz`` runs every registered check
(database reachable, migrations at head, and whatever other domains register, e.g. the model
bundle) and answers 503 naming the failing ones. Checks run on each call, so readiness comes
back by itself when the database does.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backend.api.routing import CheckedRoute
from backend.db import ping
from backend.migrations import current_revisions, head_revisions

router = APIRouter(tags=["health"], route_class=CheckedRoute)

ReadinessCheck = Callable[[FastAPI], None]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    app: FastAPI = request.app
    results: dict[str, str] = {}
    for name, check in app.state.readiness_checks.items():
        try:
            check(app)
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            results[name] = f"failed: {type(exc).__name__}"
    ready = all(value == "ok" for value in results.values())
    body = Readiness(status="ready" if ready else "not ready", checks=results)
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump())


class MigrationsBehind(RuntimeError):
    pass


def register_database_checks(app: FastAPI) -> None:
    heads = set(head_revisions())

    def database(app: FastAPI) -> None:
        ping(app.state.engine)

    def migrations(app: FastAPI) -> None:
        if set(current_revisions(app.state.engine)) != heads:
            raise MigrationsBehind("database schema is not at the latest migration")

    app.state.readiness_checks["database"] = database
    app.state.readiness_checks["migrations"] = migrations
