"""OWASP API10:2023 Unsafe Consumption of APIs.

The dashboard consumes the Octroi API; a compromised proxy or a sick API replica must not
hang it, exhaust its memory or show a traceback. Its client (``frontend/api.py``) is driven
here against a real HTTP server on a loopback socket that answers slow, dribbling, huge,
malformed or broken, and each case must end in bounded time as a typed ``ApiError`` whose
kind has a sentence in both languages of the catalog.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from frontend import i18n
from frontend.api import ApiClient, ApiError, ErrorKind, Tokens
from frontend.config import DashboardConfig

TIMEOUT = 1.0
MAX_BYTES = 64 * 1024
# Generous against scheduling noise on a loaded CI machine, still far below "hung".
BOUND = 4 * TIMEOUT

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json",
          length: bool = True) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _slow_headers(handler):
    time.sleep(TIMEOUT * 3)
    _send(handler, 200, b"{}")


def _dribble(handler):
    # Each byte arrives well inside the read timeout; the whole answer takes 8x the timeout.
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "40")
    handler.end_headers()
    for _ in range(16):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(TIMEOUT / 2)


def _huge_streamed(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"9" * 65536
    for _ in range(800):  # 50 MB if nobody stops reading
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    handler.wfile.write(b"0\r\n\r\n")


def _huge_declared(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(10**9))
    handler.end_headers()
    handler.wfile.write(b"[" * 1000)


BEHAVIOURS: dict[str, tuple[Behaviour, set[ErrorKind]]] = {
    "slow_headers": (_slow_headers, {ErrorKind.timeout}),
    "huge_streamed": (_huge_streamed, {ErrorKind.too_large}),
    "huge_declared": (_huge_declared, {ErrorKind.too_large}),
    "html_instead_of_json": (lambda h: _send(h, 200, b"<html>proxy error</html>", "text/html"), {ErrorKind.malformed}),
    "truncated_json": (lambda h: _send(h, 200, b'{"version": "1", "metrics": {'), {ErrorKind.malformed}),
    "invalid_utf8": (lambda h: _send(h, 200, b'{"version": "\xff\xfe"}'), {ErrorKind.malformed}),
    "deeply_nested": (lambda h: _send(h, 200, b"[" * 50_000 + b"]" * 50_000), {ErrorKind.malformed, ErrorKind.too_large}),
    "error_with_html_body": (lambda h: _send(h, 502, b"<h1>Bad gateway</h1>", "text/html"), {ErrorKind.unavailable}),
    "length_lies_then_closes": (lambda h: (h.send_response(200), h.send_header("Content-Length", "5000"),
                                           h.end_headers(), h.wfile.write(b'{"a":'), h.wfile.flush(),
                                           h.connection.shutdown(socket.SHUT_RDWR)),
                                {ErrorKind.unreachable, ErrorKind.malformed}),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        try:
            self.server.behaviour(self)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up, as it should

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_api() -> Iterator[Callable[[Behaviour], ApiClient]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def client_for(behaviour: Behaviour) -> ApiClient:
        server.behaviour = behaviour
        config = DashboardConfig(f"http://127.0.0.1:{server.server_address[1]}", timeout_seconds=TIMEOUT,
                                 max_response_bytes=MAX_BYTES, refresh_margin_seconds=60)
        return ApiClient(config, Tokens("a", "r", time.time() + 900, "advisor", "alice"))

    yield client_for
    server.shutdown()
    server.server_close()


def _call(client: ApiClient) -> tuple[ApiError, float]:
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.get("/model")
    return caught.value, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_a_misbehaving_api_ends_in_bounded_time_as_a_typed_error_with_a_sentence(fake_api, name):
    behaviour, kinds = BEHAVIOURS[name]
    error, elapsed = _call(fake_api(behaviour))
    assert error.kind in kinds, (name, error.kind)
    assert elapsed < BOUND, f"{name} took {elapsed:.1f}s"
    for lang in ("fr", "en"):
        sentence = i18n.translate(lang, f"error.{error.kind.value}", detail="")
        assert sentence and not sentence.startswith("error.") and "Traceback" not in sentence


def test_an_api_dribbling_its_answer_is_cut_off_at_a_total_deadline(fake_api):
    error, elapsed = _call(fake_api(_dribble))
    assert elapsed < BOUND, f"dribbling answer held the client {elapsed:.1f}s"
    assert error.kind is ErrorKind.timeout


def test_an_unreachable_api_is_a_clean_error_quickly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        config = DashboardConfig(f"http://127.0.0.1:{port}", TIMEOUT, MAX_BYTES, 60)
        client = ApiClient(config, Tokens("a", "r", time.time() + 900, "advisor", "alice"))
        error, elapsed = _call(client)
    assert error.kind is ErrorKind.unreachable and elapsed < BOUND


def test_a_json_answer_of_the_wrong_shape_at_login_is_malformed_not_a_crash(fake_api):
    client = fake_api(lambda h: _send(h, 200, json.dumps({"access_token": ["x"], "role": None}).encode()))
    with pytest.raises(ApiError) as caught:
        client.login("alice", "password-123456")
    assert caught.value.kind is ErrorKind.malformed
