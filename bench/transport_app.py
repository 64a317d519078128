"""The HTTP transport alone, for ``bench_http_path.py``: a bare ASGI app answering every request
with the same JSON body (``OCTROI_BENCH_BODY``, a file), served by the same uvicorn as the API.

No framework, no authentication, no database, no model: what is left is what any Python API
on this server pays per request (HTTP parsing, the event loop, the socket, the client).
"""

from __future__ import annotations

import os
from pathlib import Path

_BODY = Path(os.environ["OCTROI_BENCH_BODY"]).read_bytes()
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
