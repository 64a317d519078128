"""OWASP API5:2023 Broken Function Level Authorization.

The route walk and the role x route matrix live in ``tests/test_rbac_routes.py``; this module
adds what an attacker tries on top: calling another role's functions (every refusal audited),
switching HTTP methods, and acting before changing a one-time password.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.audit.models import AuditEvent
from security.rbac import Role, has_permission
from tests.fixtures.auth import login
from tests.test_rbac_routes import PUBLIC_ROUTES, api_routes, declared_permissions, walk

API = "/api/v1"


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", "1", path)


def test_every_refused_function_call_is_audited_as_denied_with_the_route_template(app, client, auth_headers):
    refused = 0
    for role in Role:
        headers = auth_headers(role.value)
        for method, route in api_routes(app):
            if (method, route.path) in PUBLIC_ROUTES:
                continue
            [permission] = declared_permissions(route)
            if has_permission(role, permission):
                continue
            response = client.request(method, _fill(route.path), headers=headers, json={})
            assert response.status_code == 403, f"{role} {method} {route.path}"
            refused += 1
    with app.state.sessionmaker() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert len(events) == refused > 20
    assert all("{" in e.resource or "/1" not in e.resource for e in events)
    assert {e.role for e in events} == {r.value for r in Role}


def test_admin_and_comex_cannot_reach_any_individual_client_function(app, client, auth_headers):
    for role in ("admin", "comex"):
        headers = auth_headers(role)
        for method, route in api_routes(app):
            if "{client_id}" in route.path:
                assert client.request(method, _fill(route.path), headers=headers, json={}).status_code == 403


def test_unlisted_http_methods_are_refused_and_never_reach_a_function(app, client, auth_headers):
    admin = auth_headers("admin")
    served = {(m, r.path) for m, r in api_routes(app)}
    for route in walk(app):
        if not route.is_api:
            continue
        for method in ("PUT", "DELETE", "PATCH", "POST", "GET"):
            if (method, route.path) in served:
                continue
            response = client.request(method, _fill(route.path), headers=admin, json={"role": "admin"})
            assert response.status_code in (401, 403, 404, 405), f"{method} {route.path}: {response.status_code}"


def test_a_pending_one_time_password_opens_only_the_self_service_functions(app, client, make_user):
    username, password = make_user("fresh-admin", "admin", must_change_password=True)
    headers = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    assert client.get(f"{API}/users", headers=headers).status_code == 403
    assert client.post(f"{API}/users", headers=headers,
                       json={"username": "sneaky", "role": "admin"}).status_code == 403
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 200
