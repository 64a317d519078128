"""The FastAPI application factory."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from backend.api import health
from backend.api import router as api_router
from backend.api.routing import install_request_threads
from backend.audit.setup import install_audit
from backend.auth.config import AuthSettings
from backend.auth.setup import install_auth
from backend.db import make_engine, make_sessionmaker
from backend.errors import install_error_handlers
from backend.logging import configure_logging
from backend.middleware import (
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    install_forwarded_headers,
)
from backend.registry.live import install_registry
from backend.scoring.model import install_model
from backend.settings import Settings, get_settings

API_PREFIX = "/api/v1"

# FastAPI's native OpenTelemetry, off. Left on, it starts recording as soon as any tracer, meter
# or logger provider is set in the process (an operator's `opentelemetry-instrument`, or
# FASTAPI_OTEL_AUTO_CONFIGURE=true): every request's path and query (raw client ids), the
# validation failures with their input and the exceptions' messages, sent to whatever collector
# is configured. The API's telemetry is its access log (route templates, never paths:
# backend/middleware.py) and the audit trail. docs/decisions/0027-no-native-telemetry.md.
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                 "auto_configure": False}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or get_settings()).ensure_secrets()
    configure_logging(settings.log_level)
    engine = make_engine(settings.effective_database_url)

    # How many servers run this app right now. A second one on a running app (a test client
    # opened by a schema loader, a server embedding it) shares what the first started: the
    # hooks start the background threads on the first start and stop them on the last stop.
    running = {"count": 0}
    running_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with running_lock:
            if running["count"] == 0:
                for hook in app.state.startup_hooks:
                    hook(app)
            running["count"] += 1
        try:
            yield
        finally:
            with running_lock:
                running["count"] -= 1
                if running["count"] == 0:
                    for hook in reversed(app.state.shutdown_hooks):
                        hook(app)
                    engine.dispose()

    app = FastAPI(
        title="Octroi",
        version="0.1.0",
        description="Credit-scoring API: explainable scores, role-based access, audit trail.",
        docs_url=None if settings.is_production else "/docs",
        redoc_url=None,
        openapi_url=None if settings.is_production else "/openapi.json",
        lifespan=lifespan,
        telemetry=TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_request_threads(app, settings.request_threads)
    # Other domains register readiness checks (name -> callable raising on failure) and
    # start/stop hooks here, so the health module needs to know none of them.
    app.state.readiness_checks = {}
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []

    # Added last = outermost: the request id and access log wrap everything.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    # Outermost: the client address is settled before anything reads it.
    install_forwarded_headers(app, settings.trusted_proxies)
    install_error_handlers(app)
    auth_settings = AuthSettings()
    install_auth(app, settings, auth_settings)
    install_audit(app, settings, auth_settings.audit_checkpoint_every)
    app.include_router(health.router)
    api_router.include(app, API_PREFIX)
    health.register_database_checks(app)
    # The model bundle: loaded at start-up, a "model" readiness check, 503s while missing.
    install_model(app)
    # Champion/challenger from the registry, followed by every process (backend/registry).
    install_registry(app)
    return app

