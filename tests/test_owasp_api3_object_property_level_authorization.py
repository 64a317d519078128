"""OWASP API3:2023 Broken Object Property Level Authorization.

Two directions. Out: no answer carries a password or token hash, a raw client id or a
stored score, whichever role asks. In: no request body accepts a property it does not
declare (mass assignment: ``{"role": "admin"}`` smuggled into a password change); every
JSON body schema says ``additionalProperties: false``, so a model added later without
``extra="forbid"`` fails here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.auth.models import RefreshToken
from backend.users.models import User
from security.rbac import Role
from tests.fixtures.clients import raw_id_pattern
from tests.test_rbac_routes import PUBLIC_ROUTES, api_routes

API = "/api/v1"
# Hash formats; the stored hash values themselves are searched too (column names may be
# listed legitimately, e.g. by the processing register).
SECRET_MARKERS = ("$argon2", "$pbkdf2", "$2b$", "$scrypt")


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_json_request_body_refuses_undeclared_properties(app):
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    open_bodies, checked = [], []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = _resolve(content["application/json"]["schema"], components)
            checked.append(f"{method.upper()} {path}")
            if schema.get("additionalProperties") is not False:
                open_bodies.append(f"{method.upper()} {path} ({schema.get('title')})")
    assert len(checked) >= 5
    assert open_bodies == [], "request models without extra='forbid'"


@pytest.mark.parametrize(
    ("method", "path", "body", "extra"),
    [
        ("POST", "/auth/password", {"current_password": "x", "new_password": "y"}, "role"),
        ("POST", "/auth/refresh", {"refresh_token": "x"}, "username"),
        ("POST", "/users", {"username": "mallory", "role": "advisor"}, "password_hash"),
        ("PATCH", "/users/advisor-user", {"active": True}, "must_change_password"),
        ("POST", "/scoring/simulate", {"features": {}}, "role"),
    ],
)
def test_an_undeclared_property_in_a_body_is_refused_by_name_and_changes_nothing(
    client, auth_headers, method, path, body, extra
):
    advisor, admin = auth_headers("advisor"), auth_headers("admin")
    headers = admin if path.startswith("/users") else advisor
    before = client.get(f"{API}/users", headers=admin).json()
    response = client.request(method, API + path, headers=headers, json={**body, extra: "admin"})
    assert response.status_code == 422, response.text
    assert extra in response.json()["detail"]
    assert client.get(f"{API}/users", headers=admin).json() == before
    assert client.get(f"{API}/auth/me", headers=advisor).json()["role"] == "advisor"


def test_no_answer_to_any_role_carries_a_hash_a_raw_client_id_or_a_stored_score(
    app, client, auth_headers, imported_clients
):
    raw = str(imported_clients[0])
    values = {"client_id": raw, "username": "advisor-user"}
    raw_id = raw_id_pattern([raw])
    leaks = []
    for role in Role:
        headers = auth_headers(role.value)
    with app.state.sessionmaker() as db:
        stored = [h for (h,) in db.execute(select(User.password_hash))]
        stored += [h for (h,) in db.execute(select(RefreshToken.token_hash))]
    assert len(stored) >= 8
    for role in Role:
        headers = auth_headers(role.value)
        for method, route in api_routes(app):
            if method != "GET" or (method, route.path) in PUBLIC_ROUTES:
                continue
            path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), route.path)
            response = client.get(path, headers=headers)
            if response.status_code >= 400:
                continue
            text = response.content.decode("utf-8", "replace")
            for marker in (*SECRET_MARKERS, *stored):
                if marker in text:
                    leaks.append(f"{role.value} GET {route.path}: {marker}")
            if raw_id.search(text):
                leaks.append(f"{role.value} GET {route.path}: raw client id")
    assert leaks == []


def test_client_data_answers_carry_no_probability_unless_they_compute_it(client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    raw = imported_clients[0]
    for suffix in ("", "/comparison", "/similar"):
        body = client.get(f"{API}/clients/{raw}{suffix}", headers=advisor).json()
        assert "probability" not in repr(body), suffix
    # The stored client row itself holds only application features: nothing scored was kept.
    profile = client.get(f"{API}/clients/{raw}", headers=advisor, params={"lang": "en"}).json()
    assert not {f["field"] for f in profile["profile"]} & {"probability", "score", "decision", "TARGET"}


def test_user_answers_never_carry_credentials(client, auth_headers):
    admin = auth_headers("admin")
    created = client.post(f"{API}/users", headers=admin, json={"username": "newbie", "role": "comex"})
    assert created.status_code in (200, 201), created.text
    body = created.json()
    # The one-time password is shown once on purpose; nothing derived from it is.
    assert set(body) >= {"username", "role"} and not any("hash" in key for key in body)
    listed = client.get(f"{API}/users", headers=admin).json()
    assert all(not any("hash" in key or "password" == key for key in user) for user in listed)
