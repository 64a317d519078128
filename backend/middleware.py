"""Request id and the one access-log line per request.

A pure ASGI middleware (no BaseHTTPMiddleware: it would break streaming and contextvars).
The route template comes from the matched route, never the raw path, because paths carry
client ids. Dependencies that authenticate set ``request.state.user`` / ``.role``; they are
read back from the ASGI scope once the response is done.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

log = structlog.get_logger("octroi.access")


def route_template(scope: Scope) -> str:
    """The matched route's full template, e.g. ``/api/v1/clients/{client_id}``.

    FastAPI keeps included routers nested: ``scope["route"]`` holds the path relative to its
    router while the effective route context (present while the route runs) holds the full one.
    """
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(effective, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode(
            "latin-1"
        )
        # A caller-chosen id is kept only if it is harmless to log and to echo.
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, object] = {"status": 500, "route": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                # Read while the route still runs: its context is gone once the app returns.
                status_holder["route"] = route_template(scope)
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                request_id=request_id,
                method=scope.get("method"),
                route=status_holder["route"] or route_template(scope),
                status=status_holder["status"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user=state.get("user"),
                role=state.get("role"),
            )


# Every API answer is JSON or a file download: nothing may be framed, sniffed or cached.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)
# The interactive docs load their own script and styles; they are off in production.
_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")
MAX_BODY_BYTES = 1_000_000


class SecurityHeadersMiddleware:
    """Security headers on every response, and a request body size limit (413)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _too_large(send, self.max_body_bytes)
            return
        is_docs = scope.get("path") in _DOCS_PATHS
        if declared is None and scope.get("method") in {"POST", "PUT", "PATCH"}:
            # No length announced (chunked): read up to the limit before the app sees anything,
            # so an oversized body is refused as 413, not half-parsed.
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if size > self.max_body_bytes:
                    await _too_large(send, self.max_body_bytes)
                    return
                if not message.get("more_body", False):
                    break
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                return await receive()

            receive = replay

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name, value)
                    for name, value in SECURITY_HEADERS
                    if name not in present
                    and not (is_docs and name == b"content-security-policy")
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _too_large(send: Send, limit: int) -> None:
    # The ErrorBody shape of backend/errors.py (which imports this module, hence the literal).
    body = json.dumps(
        {"detail": f"request body too large (limit {limit} bytes)", "code": "payload_too_large"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_forwarded_headers(app: Any, trusted_proxies: str) -> None:
    """Believe ``X-Forwarded-For``/``-Proto`` only from the configured proxies (issue 14).

    None by default, so the address an audit event records is the peer's own: a client
    cannot write ``=HYPERLINK(...)`` or someone else's address there. The compose stack lists
    its reverse proxy (``OCTROI_TRUSTED_PROXIES``). Uvicorn's own handling is turned off
    (``octroi serve api``), so this is the only place the decision is made.
    """
    hosts = [entry.strip() for entry in trusted_proxies.split(",") if entry.strip()]
    if hosts:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)
