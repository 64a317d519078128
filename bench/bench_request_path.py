"""Where a score request spends its CPU: each step of the request path against the model work.

Set-up as bench_api.py (synthetic data, a quick bundle, a scratch database, applicants
imported, one advisor). The real app is then driven straight through ASGI in this process (no
HTTP, no test client: what is timed is the app's own work) with score and explanation requests
for distinct clients, while each step is timed in CPU time of the thread running it
(``time.thread_time``) by wrapping the function the app calls:

- on the event loop: FastAPI's dependency solving (parameters, the guard's token admission and
  the role's permission) and the answer's validation and encoding; the loop's whole CPU time;
- in the request's thread-pool trip (``GuardCall.run``): the user and login session (with the
  transaction's begin), the rate-limit read, loading the client, the model work, the audited
  write (rate count + audit append + commit, one transaction); the trip's whole CPU time;
- the process's CPU time, and what is in neither (the threads' hand-offs, the sequencer);
- the cyclic garbage collector's time, printed apart: it runs inside whichever step allocated
  last (a full collection takes tens of ms with the model and data loaded), so a step's figure
  can carry it in one run and not in the next.

The baseline is the model work itself; every other step is printed as a ratio to it, measured
in the same run. The model work is also printed as a ratio to the bare booster, issue 17's
model floor (``booster.predict(x, pred_contrib=True, num_threads=1)`` + ``booster.predict(x,
num_threads=1)`` on the same clients' prebuilt feature rows). ``bench_model.py --route-only``
breaks the explanation's model work down step by step.

    .venv/bin/python bench/bench_request_path.py [--clients 300] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import inspect
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import fastapi.routing
import pandas as pd
from _common import import_csv, scratch_database, settings_for, train_bundle

import backend.auth.deps as auth_deps
import backend.clients.guard as client_guard
import backend.ratelimit as ratelimit
import backend.scoring.service as scoring
from backend.app import create_app
from backend.users.service import create_user
from ml import synth
from ml.bundle import ModelBundle
from ml.data import load_applications

PASSWORD = "Octroi-chemin-4471!"  # noqa: S105 - a throwaway benchmark account
LOOP_STEPS = {
    "FastAPI dependency solving (incl. token admission)": (fastapi.routing, "solve_dependencies"),
    "answer validation + encoding": (fastapi.routing, "serialize_response"),
}
TRIP_STEPS = {
    "user + login session (one query, with the begin)": (auth_deps, "principal_of"),
    "rate-limit read (the guard)": (ratelimit.RateLimiter, "peek"),
    "load client": (client_guard, "load_client"),
    "rate count + audit append + commit (one transaction)": (auth_deps.RequestContext, "audit"),
}
MODEL_STEPS = {"score": (scoring, "client_score"), "explanation": (scoring, "client_explanation")}
TRIP = "the trip (GuardCall.run)"


def _timed_wrapper(owner: object, name: str, bucket: list[float]) -> None:
    """Wrap ``owner.name`` to add its CPU time (ms, the calling thread's) to ``bucket``."""
    original = getattr(owner, name)
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:  # nothing else runs on the loop thread while this awaits: CPU stays its own
                bucket.append((time.thread_time() - started) * 1000)
    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                bucket.append((time.thread_time() - started) * 1000)

    setattr(owner, name, wrapper)


class AsgiClient:
    """Requests straight into the ASGI app, on this thread's event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = []

    async def call(self, method: str, path: str, query: str = "", body: bytes = b"",
                   headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), *self.headers, *(headers or [])],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        }
        sent = False
        out: dict[str, Any] = {"status": 0, "body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect while the app answers
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        await self.app(scope, receive, send)
        return out["status"], out["body"]

    async def login(self, username: str, password: str) -> None:
        status, body = await self.call(
            "POST", "/api/v1/auth/token", body=f"username={username}&password={password}".encode(),
            headers=[(b"content-type", b"application/x-www-form-urlencoded")])
        assert status == 200, body
        self.headers = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]


async def drive(app: Any, ids: list[int], rows: Any, bundle: ModelBundle, timings: dict[str, list[float]],
                clients: int) -> dict[str, float]:
    """Score + explanation for each client; CPU time of the loop, the process, the bare booster."""
    async with app.router.lifespan_context(app):
        client = AsgiClient(app)
        await client.login("bench-path", PASSWORD)
        for raw in ids[:10]:  # warm the code paths on other clients
            assert (await client.call("GET", f"/api/v1/clients/{raw}/explanation"))[0] == 200
        for bucket in timings.values():
            bucket.clear()
        loop = process = 0.0
        bare: list[float] = []
        collecting = [0.0, 0.0]  # started, total (s)

        def collector(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                collecting[0] = time.perf_counter()
            else:
                collecting[1] += time.perf_counter() - collecting[0]

        gc.callbacks.append(collector)
        for i, raw in enumerate(ids[10 : 10 + clients]):
            loop_started, process_started = time.thread_time(), time.process_time()
            for suffix in ("/score", "/explanation"):
                assert (await client.call("GET", f"/api/v1/clients/{raw}{suffix}"))[0] == 200
            loop += (time.thread_time() - loop_started) * 1000
            process += (time.process_time() - process_started) * 1000
            # Issue 17's model floor: LightGBM's own pred_contrib + predict on the row, timed
            # between the requests so both see the same machine (not in the request times).
            started = time.thread_time()
            bundle.booster.predict(rows[i : i + 1], pred_contrib=True, num_threads=1)
            bundle.booster.predict(rows[i : i + 1], num_threads=1)
            bare.append((time.thread_time() - started) * 1000)
        gc.callbacks.remove(collector)
    return {"loop": loop, "process": process, "bare": sum(bare) / len(bare), "gc": collecting[1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    timings: dict[str, list[float]] = defaultdict(list)
    for label, (owner, name) in {**LOOP_STEPS, **TRIP_STEPS, **MODEL_STEPS, TRIP: (auth_deps.GuardCall, "run")}.items():
        _timed_wrapper(owner, name, timings[label])

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=max(6_000, args.clients * 12), seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=150)
        with scratch_database(tmp, args.sqlite) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING",
                                    rate_limit_scoring_per_minute=100_000)
            import_csv(settings, paths["test"])
            ids = list(pd.read_csv(paths["test"], usecols=["SK_ID_CURR"])["SK_ID_CURR"])
            app = create_app(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-path", role="advisor",
                            password=PASSWORD, must_change_password=False)
                db.commit()
            bundle = ModelBundle.load(bundle_dir)
            rows = bundle._matrix(load_applications(paths["test"]).iloc[10 : 10 + args.clients])
            totals = asyncio.run(drive(app, ids, rows, bundle, timings, args.clients))

    requests = 2 * args.clients
    per = {label: sum(bucket) / requests for label, bucket in timings.items()}
    model = per["score"] + per["explanation"]
    loop, process, trip = totals["loop"] / requests, totals["process"] / requests, per[TRIP]
    engine = "sqlite" if args.sqlite else "postgresql"
    print(f"request path, {args.clients} clients x (score + explanation), {engine}, nothing cached, "
          "CPU ms per request (thread CPU time), in process through ASGI:")
    print(f"  bare booster pred_contrib + predict on one row (1 thread) {totals['bare']:6.3f}")
    print(f"  baseline: model work (score or explanation, incl. cache)   {model:6.3f}"
          f"   ratio to the bare booster {model / totals['bare']:5.2f}")

    def line(label: str, value: float, indent: str = "  ") -> None:
        print(f"{indent}{label:<{58 - len(indent)}}{value:6.3f}   ratio {value / model:5.2f}")

    line("whole request (the process's CPU)", process)
    line("on the event loop", loop)
    for label in LOOP_STEPS:
        line(label, per[label], "    ")
    line(TRIP, trip)
    for label in TRIP_STEPS:
        line(label, per[label], "    ")
    line("model work", model, "    ")
    line("in neither (thread hand-offs, the sequencer)", process - loop - trip)
    line("garbage collection (within the steps above)", totals["gc"] / requests)
    command = "bench/bench_request_path.py" + (" --sqlite" if args.sqlite else "")
    print(f"\nrerun: .venv/bin/python {command}")


if __name__ == "__main__":
    main()
