"""The model bundle inside the app: loaded once at start, reported by readiness, swappable.

The app must start without a bundle (a fresh install before ``octroi train``): readiness then
says "model" failed, and every endpoint that needs the model answers 503 with a message
that says what to do. When a different bundle version is loaded, cached results of the
previous version are dropped.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import FastAPI, Request, Response

from backend.cache import ResultCache, make_cache
from backend.errors import ApiProblem, ErrorCode
from security.pseudonym import PseudonymKeyRing

if TYPE_CHECKING:
    from ml.bundle import ModelBundle

log = structlog.get_logger("octroi.model")


class ModelUnavailable(RuntimeError):
    """No usable model bundle is loaded."""


class ModelHolder:
    """The current bundle (or why there is none)."""

    def __init__(self, directory: Path, cache: ResultCache) -> None:
        self.directory = directory
        self.cache = cache
        self._bundle: ModelBundle | None = None
        self._error = "model not loaded yet"
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if not (self.directory / "manifest.json").is_file():  # ml.bundle.MANIFEST_FILE
                self._bundle = None
                self._error = (
                    f"no model bundle in {self.directory}; train one with `octroi train` "
                    "(or set OCTROI_MODEL_DIR)"
                )
                log.warning("model_missing", model_dir=str(self.directory))
                return
            try:
                # Imported here: LightGBM/SHAP load only when there is a bundle to serve.
                from ml.bundle import ModelBundle

                bundle = ModelBundle.load(self.directory)
            except Exception as exc:  # noqa: BLE001 - any load failure leaves the API up, not ready
                self._bundle = None
                self._error = f"the model bundle in {self.directory} cannot be loaded ({type(exc).__name__})"
                log.error("model_load_failed", model_dir=str(self.directory), error_type=type(exc).__name__)
                return
            previous = self._bundle.version if self._bundle is not None else None
            self._bundle = bundle
            self._error = ""
            if previous != bundle.version:
                # Results computed by another version must never be served for this one.
                self.cache.retain_model(bundle.version)
            log.info("model_loaded", model_version=bundle.version)

    def use(self, bundle: ModelBundle) -> None:
        """Serve ``bundle`` from now on (a promotion or rollback followed by ``backend.registry``)."""
        with self._lock:
            previous = self._bundle.version if self._bundle is not None else None
            self._bundle = bundle
            self._error = ""
            if previous != bundle.version:
                self.cache.retain_model(bundle.version)
                log.info("model_switched", model_version=bundle.version, previous=previous)

    @property
    def loaded(self) -> ModelBundle | None:
        return self._bundle

    @property
    def bundle(self) -> ModelBundle:
        bundle = self._bundle
        if bundle is None:
            raise ModelUnavailable(self._error)
        return bundle


def install_model(app: FastAPI) -> None:
    """Create the cache and the holder; load at start-up; add the "model" readiness check."""
    settings = app.state.settings
    # Parsed now so a malformed OCTROI_PSEUDONYM_KEY stops the start, not the first request.
    app.state.pseudonym_ring = PseudonymKeyRing.parse(settings.secret("pseudonym_key"))
    app.state.result_cache = make_cache(settings.redis_url, settings.score_cache_ttl_seconds)
    app.state.model = ModelHolder(settings.effective_model_dir, app.state.result_cache)

    def load(app: FastAPI) -> None:
        app.state.model.load()

    def ready(app: FastAPI) -> None:
        app.state.model.bundle  # noqa: B018 - raises ModelUnavailable when there is none

    app.state.startup_hooks.append(load)
    app.state.readiness_checks["model"] = ready


def bundle_of(request: Request, response: Response) -> ModelBundle:
    """The loaded bundle, or 503 naming the problem. The answer names the version that
    produced it (``X-Model-Version``), read once so a promotion mid-request cannot mix two."""
    try:
        bundle = request.app.state.model.bundle
    except ModelUnavailable as exc:
        raise ApiProblem(503, ErrorCode.model_unavailable, f"model unavailable: {exc}") from None
    response.headers["X-Model-Version"] = bundle.version
    return bundle


def keyring_of(request: Request) -> PseudonymKeyRing:
    """The pseudonym key ring, parsed once at start-up from ``OCTROI_PSEUDONYM_KEY``."""
    ring: PseudonymKeyRing = request.app.state.pseudonym_ring
    return ring


def cache_of(request: Request) -> ResultCache:
    cache: Any = request.app.state.result_cache
    return cache


# The same as dependencies. Coroutines, because they only read memory: a plain ``def``
# dependency would cost a trip through the thread pool each (backend.api.routing).
async def get_bundle(request: Request, response: Response) -> ModelBundle:
    return bundle_of(request, response)


async def get_keyring(request: Request) -> PseudonymKeyRing:
    return keyring_of(request)
