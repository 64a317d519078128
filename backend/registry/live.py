"""Every API process follows the champion and challenger named in the database.

A daemon thread polls ``model_deployments`` every ``OCTROI_MODEL_POLL_SECONDS`` (default 2 s),
loads a newly promoted version from the registry (hash-verified) *before* switching, then swaps
the served bundle in one assignment: requests in flight finish on the bundle they started with
(each route reads it once), the next ones get the new one, no request fails and no restart is
needed. Loaded bundles are kept by version (a few), so a rollback is instant. The same tick
flushes the challenger's counters. Until a champion is ever promoted, the bundle in
``OCTROI_MODEL_DIR`` is served exactly as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request

from backend import heap
from backend.registry.challenger import ChallengerMonitor
from backend.registry.service import current_versions
from backend.registry.store import ModelRegistry, RegistryError, VersionNotFound

log = structlog.get_logger("octroi.registry")
KEEP_LOADED = 4


class ModelFollower:
    def __init__(self, app: FastAPI) -> None:
        settings = app.state.settings
        self.app = app
        self.holder = app.state.model
        self.registry = ModelRegistry(settings.effective_registry_dir)
        self.model_dir = Path(settings.effective_model_dir)
        self.poll_seconds = float(settings.model_poll_seconds)
        self.challenger: Any = None
        self.monitor = ChallengerMonitor()
        self._bundles: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.champion_version: str | None = None

    # ------------------------------------------------------------------ bundles by version
    def bundle_for(self, version: str) -> Any:
        """The verified bundle of ``version``: loaded ones, the registry, or OCTROI_MODEL_DIR's
        when it holds that version. ``VersionNotFound`` otherwise."""
        with self._lock:
            if version in self._bundles:
                self._bundles.move_to_end(version)
                return self._bundles[version]
        served = self.holder.loaded
        if served is not None and served.version == version:
            bundle = served
        elif self.registry.has(version):
            bundle = self.registry.load(version)
        else:
            bundle = self._from_model_dir(version)
        with self._lock:
            self._bundles[version] = bundle
            while len(self._bundles) > KEEP_LOADED:
                self._bundles.popitem(last=False)
        return bundle

    def _from_model_dir(self, version: str) -> Any:
        import json

        manifest = self.model_dir / "manifest.json"
        try:
            if json.loads(manifest.read_bytes()).get("version") == version:
                from ml.bundle import ModelBundle

                return ModelBundle.load(self.model_dir)
        except (OSError, ValueError):
            pass
        raise VersionNotFound(version)

    # ------------------------------------------------------------------ following
    def sync(self) -> None:
        """Read the shared state once and serve it; flush the challenger's counters."""
        factory = self.app.state.sessionmaker
        with factory() as db:
            champion, challenger = current_versions(db)
            db.rollback()
            try:
                self.monitor.flush(db)
            except Exception as exc:  # noqa: BLE001 - counters stay in memory for the next tick
                log.warning("challenger_flush_failed", error_type=type(exc).__name__)
        before = self._versions()
        if champion is not None:
            served = self.holder.loaded
            if served is None or served.version != champion:
                self.holder.use(self.bundle_for(champion))
        elif self.champion_version is not None:
            # Nothing promoted any more (a fresh database): back to OCTROI_MODEL_DIR.
            self.holder.load()
        self.champion_version = champion
        if challenger is None:
            self.challenger = None
        elif self.challenger is None or self.challenger.version != challenger:
            self.challenger = self.bundle_for(challenger)
        if self._versions() != before:
            heap.resettle()  # a bundle let go may have been frozen with the settled heap

    def _versions(self) -> tuple[str | None, str | None]:
        served = self.holder.loaded
        return (served.version if served is not None else None,
                self.challenger.version if self.challenger is not None else None)

    def _safe_sync(self) -> None:
        try:
            self.sync()
        except Exception as exc:  # noqa: BLE001 - keep serving what is loaded; retry next tick
            log.error("model_follow_failed", error_type=type(exc).__name__,
                      error=str(exc) if isinstance(exc, RegistryError) else None)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._safe_sync()

    def start(self) -> None:
        self._safe_sync()
        self._thread = threading.Thread(target=self._run, name="octroi-model-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.monitor.drain(timeout=5)
        self.monitor.shutdown()
        try:
            with self.app.state.sessionmaker() as db:
                self.monitor.flush(db)
        except Exception as exc:  # noqa: BLE001
            log.warning("challenger_flush_failed", error_type=type(exc).__name__)

    # ------------------------------------------------------------------ challenger
    def observe(self, pseudonym: str, features: Mapping[str, Any], champion_version: str, probability: float,
                decision: str) -> None:
        challenger = self.challenger
        if challenger is not None and challenger.version != champion_version:
            self.monitor.observe(challenger, champion_version, pseudonym, features, probability, decision)


def install_registry(app: FastAPI) -> None:
    """Follow the shared champion/challenger state (after the model holder is installed)."""
    app.state.model_follower = ModelFollower(app)
    app.state.startup_hooks.append(lambda app: app.state.model_follower.start())
    app.state.shutdown_hooks.append(lambda app: app.state.model_follower.stop())


def shadow_score(request: Request, pseudonym: str, features: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    """Called by client routes after the champion answered about the applicant ``pseudonym``:
    queue the challenger (if any). Simulations are hypotheses, not applications: not shadowed."""
    follower: ModelFollower | None = getattr(request.app.state, "model_follower", None)
    if follower is not None and follower.challenger is not None:
        follower.observe(pseudonym, features, str(result["model_version"]), float(result["probability"]),
                         str(result["decision"]))
