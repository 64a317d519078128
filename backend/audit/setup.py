"""Wire the audit trail into the app: signer, 503 handler, checkpoint on shutdown."""

from __future__ import annotations

import threading

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from backend.audit.sequencer import Sequencer
from backend.audit.service import (
    SEQUENCER,
    WAKE_INFO_KEY,
    AuditUnavailable,
    configure_session_factory,
    write_checkpoint,
)
from backend.audit.witness import Witness
from backend.auth.config import AuthSettings
from backend.db import make_engine, make_sessionmaker
from backend.errors import ErrorCode, error_body
from backend.settings import ConfigurationError, Settings
from security.audit_chain import CheckpointSigner

log = structlog.get_logger("octroi.audit")


def signer_from_settings(settings: Settings) -> CheckpointSigner:
    return CheckpointSigner(settings.secret("audit_signing_key"))


def witness_from_settings(settings: Settings, auth: AuthSettings | None = None) -> Witness:
    auth = auth or AuthSettings()
    return Witness(auth.audit_witness_dir or settings.var_dir / "audit-witness")


def retired_public_keys(settings: Settings) -> list[Ed25519PublicKey]:
    """``OCTROI_AUDIT_PREVIOUS_PUBLIC_KEYS``: public keys of retired signing keys (hex, comma-separated)."""
    keys = []
    for position, raw in enumerate(filter(None, (p.strip() for p in settings.audit_previous_public_keys.split(","))), 1):
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw)))
        except ValueError as exc:
            raise ConfigurationError(
                f"OCTROI_AUDIT_PREVIOUS_PUBLIC_KEYS entry {position} is not a 64-hex-digit Ed25519 public key"
            ) from exc
    return keys


def install_audit(app: FastAPI, settings: Settings, checkpoint_every: int) -> None:
    auth = AuthSettings()
    signer = signer_from_settings(settings)
    app.state.checkpoint_signer = signer
    app.state.retired_audit_keys = retired_public_keys(settings)
    app.state.audit_witness = witness_from_settings(settings, auth)
    configure_session_factory(
        app.state.sessionmaker, signer, checkpoint_every, app.state.audit_witness, chain=settings.audit_chain,
    )
    if settings.audit_chain == SEQUENCER:
        install_sequencer(app)
    if auth.audit_checkpoint_seconds:
        timer = CheckpointTimer(app.state.sessionmaker, signer, auth.audit_checkpoint_seconds)
        app.state.startup_hooks.append(lambda _app: timer.start())
        app.state.shutdown_hooks.append(lambda _app: timer.stop())

    @app.exception_handler(AuditUnavailable)
    async def _audit_unavailable(request: Request, exc: AuditUnavailable) -> JSONResponse:
        log.error(
            "audit_unavailable",
            error=str(exc),
            request_id=request.scope.get("state", {}).get("request_id"),
        )
        return JSONResponse(
            status_code=503,
            content=error_body(
                503, "The audit trail is unavailable; the request was not carried out.", ErrorCode.audit_unavailable
            ),
            headers={"Retry-After": "5"},
        )

    def checkpoint_on_shutdown(app: FastAPI) -> None:
        try:
            with app.state.sessionmaker() as session:
                written = write_checkpoint(session, app.state.checkpoint_signer)
                session.commit()
        except SQLAlchemyError as exc:
            log.warning("audit_checkpoint_failed", error_type=type(exc).__name__)
            return
        if written is not None:
            log.info("audit_checkpoint", seq=written.seq, key_id=written.key_id)

    app.state.shutdown_hooks.append(checkpoint_on_shutdown)


def install_sequencer(app: FastAPI) -> None:
    """Start this process's audit sequencer with the app; woken by every local commit that
    wrote audit events (the session factory's wake hook)."""
    factory = app.state.sessionmaker
    # Its own engine (one connection): never takes a request's pooled connection.
    engine = make_engine(app.state.engine.url.render_as_string(hide_password=False), pool_size=1)
    sequencer = Sequencer(engine, factory.kw["info"])
    app.state.audit_sequencer = sequencer

    def stop(_app: FastAPI) -> None:
        sequencer.stop()
        engine.dispose()

    app.state.startup_hooks.append(lambda _app: sequencer.start())
    # Shutdown hooks run in reverse: the shutdown checkpoint (which chains what is left) runs
    # before this stop.
    app.state.shutdown_hooks.append(stop)
    factory.configure(info=factory.kw["info"] | {WAKE_INFO_KEY: sequencer.notify})


class CheckpointTimer:
    """Signs the head at least every ``seconds`` while it moves (one daemon thread per process).

    Idempotent across replicas: ``write_checkpoint`` takes the head lock and does nothing when
    the head already has a checkpoint.
    """

    def __init__(self, factory: sessionmaker[Session], signer: CheckpointSigner, seconds: int) -> None:
        self._factory, self._signer, self._seconds = factory, signer, seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint-timer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                with self._factory() as session:
                    written = write_checkpoint(session, self._signer)
                    session.commit()
            except SQLAlchemyError as exc:
                log.warning("audit_checkpoint_failed", error_type=type(exc).__name__)
                continue
            if written is not None:
                log.info("audit_checkpoint", seq=written.seq, key_id=written.key_id, trigger="timer")


def cli_sessionmaker(settings: Settings) -> tuple[sessionmaker[Session], Engine]:
    """A session factory for CLI commands, configured like the app's (audit signer included)."""
    engine = make_engine(settings.effective_database_url, pool_size=1)
    factory = make_sessionmaker(engine)
    auth = AuthSettings()
    configure_session_factory(
        factory, signer_from_settings(settings), auth.audit_checkpoint_every,
        witness_from_settings(settings, auth), chain=settings.audit_chain,
    )
    return factory, engine
