"""OWASP API2:2023 Broken Authentication.

An attacker forges, replays or smuggles tokens on every protected route (walked from
``app.routes``), guesses passwords, and keeps using a session after it ended. Every attempt
gets 401 (or 429 once the account is locked), never data.
"""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from jose import jwt
from sqlalchemy import select

from backend.audit.models import AuditEvent
from tests.fixtures.auth import TOKEN_URL, login
from tests.test_rbac_routes import PUBLIC_ROUTES, api_routes

API = "/api/v1"


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", "1", path)


def _claims(app, username: str, role: str, **changes):
    now = int(time.time())
    config = app.state.token_config
    claims = {"sub": username, "role": role, "typ": "access", "iat": now, "exp": now + 600,
              "jti": "x", "iss": config.issuer, "aud": config.audience}
    claims.update(changes)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forgeries(app) -> dict[str, str]:
    key = app.state.token_config.key
    admin = _claims(app, "attacker-admin", "admin")
    genuine = jwt.encode(_claims(app, "victim", "advisor"), key, algorithm="HS256")
    header, _, signature = genuine.split(".")
    none_header = _b64(b'{"alg":"none","typ":"JWT"}')
    return {
        "alg_none": f"{none_header}.{_b64(json.dumps(admin).encode())}.",
        "wrong_key": jwt.encode(admin, "guessed-key-" * 4, algorithm="HS256"),
        "role_swapped_in_payload": f"{header}.{_b64(json.dumps(_claims(app, 'victim', 'admin')).encode())}.{signature}",
        "expired": jwt.encode(_claims(app, "victim", "advisor", exp=int(time.time()) - 5), key, algorithm="HS256"),
        "refresh_as_access": jwt.encode(_claims(app, "victim", "advisor", typ="refresh"), key, algorithm="HS256"),
        "garbage": "not.a.token",
        "empty": "",
    }


def test_forged_expired_and_garbage_tokens_get_401_on_every_protected_route(app, client, make_user):
    make_user("victim", "advisor")
    failures = []
    routes = [(m, r) for m, r in api_routes(app) if (m, r.path) not in PUBLIC_ROUTES]
    for name, token in _forgeries(app).items():
        for method, route in routes:
            response = client.request(method, _fill(route.path), json={},
                                      headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
                failures.append(f"{name}: {method} {route.path} -> {response.status_code}")
    assert failures == []


def test_tokens_are_only_read_from_the_authorization_header(app, client, make_user):
    username, password = make_user("victim", "advisor")
    token = login(client, username, password)["access_token"]
    assert client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(f"{API}/auth/me", params={"access_token": token}).status_code == 401
    assert client.get(f"{API}/auth/me", cookies={"access_token": token}).status_code == 401
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    assert client.get(f"{API}/auth/me", headers={"Authorization": f"Basic {basic}"}).status_code == 401


def test_password_guessing_locks_the_account_and_the_lock_is_audited(app, client, make_user):
    username, password = make_user("victim", "advisor")
    codes = [client.post(TOKEN_URL, data={"username": username, "password": f"guess-{i}"}).status_code
             for i in range(5)]
    assert codes == [401] * 5
    locked = client.post(TOKEN_URL, data={"username": username, "password": password})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "access_token" not in locked.text
    with app.state.sessionmaker() as db:
        reasons = [e.details["reason"] for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.outcome == "denied"))]
    assert reasons.count("account locked") == 1 and len(reasons) == 6


def test_unknown_and_known_usernames_get_the_same_refusal(client, make_user):
    make_user("victim", "advisor")
    known = client.post(TOKEN_URL, data={"username": "victim", "password": "wrong-password-1"})
    unknown = client.post(TOKEN_URL, data={"username": "nobody", "password": "wrong-password-1"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_a_logged_out_session_and_a_replayed_refresh_token_are_dead(client, make_user):
    username, password = make_user("victim", "advisor")
    tokens = login(client, username, password)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    rotated = client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    # Replaying the old refresh token (stolen copy) kills the whole session family.
    assert client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    new_headers = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert client.get(f"{API}/auth/me", headers=new_headers).status_code == 401
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 401


@pytest.mark.parametrize("field", ["username", "password"])
def test_oversized_credentials_are_refused_without_a_server_error(client, field):
    data = {"username": "victim", "password": "x" * 12}
    data[field] = "a" * 100_000
    response = client.post(TOKEN_URL, data=data)
    assert response.status_code in (401, 422)
