"""``GuardedRoute``: a guarded route runs its guard and its body in one trip through the thread pool.

FastAPI runs every plain ``def`` in the thread pool, one trip each: a generator dependency on
the way in and again on the way out, the route, then the validation of its answer. Each trip
costs about as much as a database query on the request path, and the route does nothing
between them that needs the event loop. So the guard's dependency (``backend.auth.deps``) only
admits the token (signature, claims, the role's permission: no database, before the route's
parameters are validated, so 401/403 still come before 422) and hands over a ``GuardCall``;
this route class turns the plain ``def`` route into a coroutine with the same signature that
makes one trip: the rest of the guard (the request's session, user and login session, rate
budget, client and model), the route's body and the session's end. The answer is then
validated on the event loop, as FastAPI does for a coroutine (pydantic-core, microseconds).

That trip runs on the app's own pool of ``OCTROI_REQUEST_THREADS`` threads (default 2;
``install_request_threads``), not on the thread pool FastAPI shares with every other plain
``def`` (40 threads): the work of a guarded request is CPU bound, so more threads in one
process only contend for the interpreter and SQLite's write lock (8 clients on 2 workers,
SQLite: median throughput +11 % with 2 threads, PostgreSQL unchanged;
``docs/decisions/0026-request-threads.md``), and a burst of logins (argon2, on FastAPI's pool)
cannot hold the threads guarded requests need. A route whose work grows with the data
(``guard(..., long_running=True)``: the whole trail's verification) runs on FastAPI's pool
instead, so it never holds a request thread for seconds.

``OCTROI_REQUEST_THREADS=0``: no request thread at all; the event loop runs the trip itself,
one guarded request at a time per process. The hand-off between the loop and a thread is then
gone (8 clients on 2 workers, SQLite: 14-19 % more requests a second, p50 8-18 % lower,
``docs/decisions/0028-requests-on-the-event-loop.md``), but while a trip waits on the database
(SQLite's write lock held by another process, a PostgreSQL round trip) the process answers
nothing else, ``/healthz`` included. Long-running routes, logins and audited refusals keep
their threads.

Every router under ``/api/v1`` is created with ``route_class=GuardedRoute``; the route walk in
``tests/test_rbac_routes.py`` proves it. Routes without a guard make no trip of their own.

Both route classes (``CheckedRoute``, and ``GuardedRoute`` built on it) screen the request first
(``backend.api.hygiene``: control characters, undeclared query parameters, the body's content
type), right after the guard's admission and before anything else the route depends on.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute

from backend.api.hygiene import screened
from backend.auth.deps import GuardCall

REQUEST_LIMITER = "request_limiter"
ON_THE_LOOP = "requests_on_the_loop"


def install_request_threads(app: FastAPI, threads: int) -> None:
    """Give ``app`` its pool of ``threads`` for guarded requests (per process: each worker has
    its own); 0: the event loop runs them itself."""
    setattr(app.state, REQUEST_LIMITER, CapacityLimiter(threads) if threads else None)
    setattr(app.state, ON_THE_LOOP, threads == 0)


def guard_parameter(endpoint: Callable[..., Any]) -> str | None:
    """The name of the endpoint's parameter whose default is a guard's ``Depends``, if any."""
    names = [
        name
        for name, parameter in inspect.signature(endpoint).parameters.items()
        if isinstance(parameter.default, Depends) and getattr(parameter.default.dependency, "is_guard", False)
    ]
    if len(names) > 1:
        raise TypeError(f"{endpoint.__qualname__} declares {len(names)} guards; a route has one")
    return names[0] if names else None


def one_trip(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` as a coroutine that runs its guard and its body in one thread-pool trip."""
    name = guard_parameter(endpoint)
    if name is None:
        return endpoint
    if inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{endpoint.__qualname__}: a guarded route is a plain def (its guard queries the database)")

    @functools.wraps(endpoint)
    async def route(**values: Any) -> Any:
        call: GuardCall = values[name]
        state = call.request.app.state
        if call.spec.long_running:
            limiter = None  # FastAPI's shared pool
        elif getattr(state, ON_THE_LOOP, False):
            return call.run(endpoint, values, name)
        else:
            # The app's request threads (FastAPI's shared pool for an app not built by create_app).
            limiter = getattr(state, REQUEST_LIMITER, None)
        return await anyio.to_thread.run_sync(call.run, endpoint, values, name, limiter=limiter)

    route.one_trip = True  # type: ignore[attr-defined]
    return route


class CheckedRoute(APIRoute):
    """An ``APIRoute`` whose request is screened (``backend.api.hygiene``) before its
    dependencies, right after its guard if it has one."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, screened(self.prepare(endpoint), after=guard_parameter(endpoint)), **kwargs)

    def prepare(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        return endpoint


class GuardedRoute(CheckedRoute):
    """A ``CheckedRoute`` whose guarded plain-``def`` endpoint makes one thread-pool trip."""

    def prepare(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        return one_trip(endpoint)
