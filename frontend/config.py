"""Dashboard settings, read from the environment only.

The dashboard imports nothing from ``backend`` (an import-linter contract), so it cannot use
the API's settings class: the few values it needs are read here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_API_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DashboardConfig:
    api_url: str
    # A page that waits longer than this on the API shows "the service is slow" instead.
    timeout_seconds: float
    # Bounds what one API answer may make this process hold in memory.
    max_response_bytes: int
    # The access token is refreshed this long before it expires, so a click never races it.
    refresh_margin_seconds: float


def _positive_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


def load_config() -> DashboardConfig:
    api_url = os.environ.get("OCTROI_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ValueError(f"OCTROI_API_URL must start with http:// or https://, got {api_url!r}")
    return DashboardConfig(
        api_url=api_url.rstrip("/"),
        timeout_seconds=_positive_float("OCTROI_DASHBOARD_TIMEOUT_SECONDS", 15.0),
        max_response_bytes=int(_positive_float("OCTROI_DASHBOARD_MAX_RESPONSE_MB", 20.0) * 1024 * 1024),
        refresh_margin_seconds=60.0,
    )
