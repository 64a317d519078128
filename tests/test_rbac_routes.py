"""Every route declares one permission, and the whole role x route matrix answers as the policy says.

Both tests are built from ``app.routes``: a route another engineer adds later is walked and
probed automatically. Routes with a known request shape get a builder below and must answer
2xx to allowed roles; others get a generic probe and must answer anything but 401/403/5xx
(503 is allowed: "dependency unavailable", e.g. no model bundle loaded).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from backend.auth.deps import route_permission
from security.rbac import ROLE_PERMISSIONS, Permission, Role, has_permission
from tests.fixtures.auth import login

PUBLIC_ROUTES = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
}
# Framework pages (off in production): not part of the API surface.
FRAMEWORK_PATHS = {"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}
TARGET_USER = "matrix-target"


def _calls(dependant: Any) -> list[Callable[..., object]]:
    found = []
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.append(sub.call)
        found.extend(_calls(sub))
    return found


@dataclass(frozen=True)
class WalkedRoute:
    """One route as the app serves it: full path template and effective dependencies."""

    path: str
    methods: frozenset[str]
    dependant: Any
    is_api: bool


def walk(app) -> list[WalkedRoute]:
    # FastAPI >= 0.16x keeps included routers nested; iter_route_contexts flattens them with
    # the full prefix and the dependencies the include added.
    walked = []
    for context in routing.iter_route_contexts(app.routes):
        effective = getattr(context, "_effective_route", context.route)
        dependant = getattr(effective, "dependant", None) or getattr(context.route, "dependant", None)
        walked.append(
            WalkedRoute(
                path=context.path,
                methods=frozenset(context.methods or ()),
                dependant=dependant,
                is_api=isinstance(context.route, APIRoute),
            )
        )
    return walked


def api_routes(app) -> list[tuple[str, WalkedRoute]]:
    pairs = []
    for route in walk(app):
        if route.is_api:
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                pairs.append((method, route))
    return pairs


def declared_permissions(route: WalkedRoute) -> set[Permission]:
    return {
        call.permission  # type: ignore[attr-defined]
        for call in _calls(route.dependant)
        if isinstance(getattr(call, "permission", None), Permission)
    }


def test_every_route_declares_exactly_one_permission(app):
    missing, ambiguous = [], []
    for method, route in api_routes(app):
        if (method, route.path) in PUBLIC_ROUTES:
            assert not declared_permissions(route), f"public route {route.path} has a permission"
            continue
        permissions = declared_permissions(route)
        if not permissions:
            missing.append(f"{method} {route.path}")
        elif len(permissions) > 1:
            ambiguous.append(f"{method} {route.path}: {sorted(permissions)}")
    for route in walk(app):
        if not route.is_api:
            assert route.path in FRAMEWORK_PATHS, f"unexpected non-API route {route.path!r}"
    assert not missing, f"routes without a permission: {missing}"
    assert not ambiguous, f"routes with several permissions: {ambiguous}"
    assert route_permission(_calls(next(r for _, r in api_routes(app) if r.path == "/api/v1/users").dependant)) is Permission.users_manage


# Routes whose guard records no audit action: reading one's own account touches nobody's data.
UNAUDITED_ROUTES = {("GET", "/api/v1/auth/me")}


def test_every_route_has_one_guard_naming_its_permission_and_audit_action(app):
    from backend.audit.actions import AuditAction

    problems = []
    for method, route in api_routes(app):
        if (method, route.path) in PUBLIC_ROUTES:
            continue
        guards = [c for c in _calls(route.dependant) if getattr(c, "is_guard", False)]
        if len(guards) != 1:
            problems.append(f"{method} {route.path}: {len(guards)} guards")
            continue
        action = guards[0].audit_action
        if (method, route.path) in UNAUDITED_ROUTES:
            if action is not None:
                problems.append(f"{method} {route.path}: listed as unaudited but records {action}")
        elif not isinstance(action, AuditAction):
            problems.append(f"{method} {route.path}: no audit action")
        if any(getattr(c, "__name__", "") == "get_db" for c in _calls(route.dependant)):
            # The guard opens the request's one session; a second one would be a second transaction.
            problems.append(f"{method} {route.path}: a session besides the guard's")
        if not getattr(route.dependant.call, "one_trip", False):
            # Registered without GuardedRoute, the route would get the guard's admission only.
            problems.append(f"{method} {route.path}: guard and route not run in one trip (GuardedRoute)")
    assert not problems, problems


def test_policy_keeps_admin_away_from_client_data_and_comex_away_from_individuals():
    assert not any(p.value.startswith(("clients:", "scores:", "audit:")) for p in ROLE_PERMISSIONS[Role.admin])
    assert not any(p.value.startswith(("clients:", "scores:", "decisions:", "reports:")) for p in ROLE_PERMISSIONS[Role.comex])
    assert not has_permission(Role.compliance, Permission.users_manage)
    assert not has_permission("root", Permission.users_manage)
    assert not has_permission(Role.admin, "users:everything")


# --- the matrix ---------------------------------------------------------------------------

_counter = itertools.count()


def _new_user_body(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"username": f"made-{next(_counter)}", "role": "advisor", "full_name": "New"}}


def _password_body(ctx: dict[str, Any]) -> dict[str, Any]:
    old = ctx["password"]
    ctx["password"] = old + "-Renewed!"
    return {"json": {"current_password": old, "new_password": ctx["password"]}}


def _fresh_session(ctx: dict[str, Any]) -> dict[str, Any]:
    tokens = login(ctx["client"], ctx["username"], ctx["password"])
    return {"headers": {"Authorization": f"Bearer {tokens['access_token']}"}}


# (method, path template) -> request kwargs; these routes must answer 2xx to allowed roles.
BUILDERS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("GET", "/api/v1/auth/me"): lambda ctx: {},
    ("POST", "/api/v1/auth/password"): _password_body,
    ("POST", "/api/v1/auth/logout"): _fresh_session,
    ("GET", "/api/v1/users"): lambda ctx: {},
    ("POST", "/api/v1/users"): _new_user_body,
    ("PATCH", "/api/v1/users/{username}"): lambda ctx: {"json": {"active": True}},
    ("POST", "/api/v1/users/{username}/unlock"): lambda ctx: {},
    ("POST", "/api/v1/users/{username}/reset-password"): lambda ctx: {},
    ("GET", "/api/v1/audit/events"): lambda ctx: {"params": {"limit": 5}},
    ("GET", "/api/v1/audit/verify"): lambda ctx: {},
    ("GET", "/api/v1/audit/export"): lambda ctx: {"params": {"format": "csv"}},
}
PATH_VALUES = {"username": TARGET_USER}


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def _code(response: Any) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


def test_role_route_matrix_answers_2xx_or_403_as_the_policy_says(app, client: TestClient, make_user):
    make_user(TARGET_USER, "advisor")
    contexts = {}
    for role in Role:
        username, password = make_user(f"matrix-{role.value}", role.value)
        tokens = login(client, username, password)
        contexts[role] = {
            "client": client, "username": username, "password": password,
            "headers": {"Authorization": f"Bearer {tokens['access_token']}"},
        }
    failures = []
    routes = [
        (m, r) for m, r in api_routes(app) if (m, r.path) not in PUBLIC_ROUTES
    ]
    for method, route in routes:
        permission = next(iter(declared_permissions(route)))
        builder = BUILDERS.get((method, route.path))
        for role, ctx in contexts.items():
            kwargs = builder(ctx) if builder else {"json": {}}
            headers = kwargs.pop("headers", ctx["headers"])
            response = client.request(method, _fill(route.path), headers=headers, **kwargs)
            if route.path == "/api/v1/auth/password" and response.status_code == 200:
                # A password change ends the session it came from: go on with the new pair.
                ctx["headers"] = {"Authorization": f"Bearer {response.json()['access_token']}"}
            allowed = has_permission(role, permission)
            cell = f"{role.value:10} {method:6} {route.path} -> {response.status_code}"
            if not allowed and response.status_code != 403:
                failures.append(f"{cell} (expected 403)")
            elif allowed and builder and not 200 <= response.status_code < 300:
                failures.append(f"{cell} (expected 2xx) {response.text[:120]}")
            elif allowed and (
                # A four-eyes refusal (an admin deciding her own access request, issue 14) is
                # the route working, not the policy table refusing the role.
                (response.status_code in (401, 403) and _code(response) != "four_eyes")
                or (response.status_code >= 500 and response.status_code != 503)
            ):
                failures.append(f"{cell} (allowed role refused or crashed)")
    assert not failures, "\n".join(failures)


def test_requests_without_a_token_get_401_on_every_protected_route(app, client):
    for method, route in api_routes(app):
        if (method, route.path) in PUBLIC_ROUTES:
            continue
        response = client.request(method, _fill(route.path), json={})
        assert response.status_code == 401, f"{method} {route.path}: {response.status_code}"
        assert response.headers.get("www-authenticate") == "Bearer"
