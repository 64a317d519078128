"""Login, forged tokens, refresh rotation, lockout, one-time passwords, logout."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.auth.models import LoginThrottle
from backend.users.models import User
from security.passwords import Argon2Params, PasswordHasher, password_problems
from tests.fixtures.auth import TOKEN_URL, login

ME = "/api/v1/auth/me"


def _claims(app, username="alice", role="advisor", **changes):
    now = int(time.time())
    claims = {
        "sub": username, "role": role, "typ": "access", "iat": now, "exp": now + 600,
        "jti": "j1", "iss": app.state.token_config.issuer, "aud": app.state.token_config.audience,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(app, claims, key=None):
    return jwt.encode(claims, key or app.state.token_config.key, algorithm="HS256")


def _get_me(client, token):
    return client.get(ME, headers={"Authorization": f"Bearer {token}"})


def test_login_returns_a_token_pair_that_opens_me(client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    tokens = login(client, "alice", "Correct-Horse-9-Staple")
    assert tokens["token_type"] == "bearer" and tokens["role"] == "advisor"
    assert tokens["expires_in"] == 15 * 60
    me = _get_me(client, tokens["access_token"]).json()
    assert me["username"] == "alice" and "clients:read" in me["permissions"]


def test_well_signed_token_is_accepted_so_the_forgery_tests_mean_something(app, client, make_user):
    make_user("alice", "advisor")
    assert _get_me(client, _sign(app, _claims(app))).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        "alg_none", "wrong_key", "tampered_payload", "expired", "wrong_aud", "wrong_iss",
        "missing_sub", "missing_role", "missing_iat", "missing_exp", "missing_jti",
        "missing_iss", "missing_aud", "refresh_as_access", "role_escalated",
    ],
)
def test_forged_tokens_are_refused_with_401(app, client, make_user, forge):
    make_user("alice", "advisor")
    good = _claims(app)
    if forge == "alg_none":
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps(good).encode()).rstrip(b"=").decode()
        token = f"{header}.{body}."
    elif forge == "wrong_key":
        token = _sign(app, good, key="not-the-key-" * 4)
    elif forge == "tampered_payload":
        header, _, signature = _sign(app, good).split(".")
        evil = dict(good, role="admin")
        body = base64.urlsafe_b64encode(json.dumps(evil).encode()).rstrip(b"=").decode()
        token = f"{header}.{body}.{signature}"
    elif forge == "expired":
        token = _sign(app, _claims(app, iat=int(time.time()) - 3600, exp=int(time.time()) - 60))
    elif forge == "wrong_aud":
        token = _sign(app, _claims(app, aud="someone-else"))
    elif forge == "wrong_iss":
        token = _sign(app, _claims(app, iss="evil"))
    elif forge.startswith("missing_"):
        claims = dict(good)
        del claims[forge.removeprefix("missing_")]
        token = _sign(app, claims)
    elif forge == "refresh_as_access":
        token = _sign(app, _claims(app, typ="refresh", fam="f"))
    else:  # a valid signature cannot grant a role the database does not hold
        token = _sign(app, _claims(app, role="admin"))
    response = _get_me(client, token)
    assert response.status_code == 401, forge
    assert response.headers["www-authenticate"] == "Bearer"


def test_expired_token_of_a_known_user_is_audited_as_denied(app, client, make_user):
    make_user("alice", "advisor")
    token = _sign(app, _claims(app, iat=int(time.time()) - 3600, exp=int(time.time()) - 60))
    assert _get_me(client, token).status_code == 401
    with app.state.sessionmaker() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "auth.token")).scalar_one()
    assert (event.actor, event.outcome) == ("alice", "denied")


def test_refresh_rotates_and_replaying_a_rotated_token_revokes_the_family(client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    first = login(client, "alice", "Correct-Horse-9-Staple")
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert _get_me(client, second["access_token"]).status_code == 200
    # The stolen, already-rotated token comes back: the whole session dies.
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401
    assert _get_me(client, second["access_token"]).status_code == 401
    # A new login opens a new, working session.
    assert _get_me(client, login(client, "alice", "Correct-Horse-9-Staple")["access_token"]).status_code == 200


def test_logout_ends_the_session_for_both_tokens(client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    tokens = login(client, "alice", "Correct-Horse-9-Staple")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get(ME, headers=headers).status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


def test_sixth_login_after_five_failures_is_locked_even_with_the_right_password(app, client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    for _ in range(5):
        bad = client.post(TOKEN_URL, data={"username": "alice", "password": "wrong-password-123"})
        assert bad.status_code == 401
    locked = client.post(TOKEN_URL, data={"username": "alice", "password": "Correct-Horse-9-Staple"})
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    with app.state.sessionmaker() as db:
        user = db.execute(select(User).where(User.username == "alice")).scalar_one()
        assert user.locked_until is not None
        # 15 minutes later (moved back in the database, where the state lives) it opens again.
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        db.commit()
    assert client.post(TOKEN_URL, data={"username": "alice", "password": "Correct-Horse-9-Staple"}).status_code == 200


def test_a_lockout_does_not_reveal_whether_a_username_exists(app, client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")

    def answers(username: str) -> list[tuple[int, str, bool]]:
        seen = []
        for _ in range(7):
            r = client.post(TOKEN_URL, data={"username": username, "password": "wrong-password-123"})
            seen.append((r.status_code, r.json()["detail"], "retry-after" in r.headers))
        return seen

    known, unknown = answers("alice"), answers("mallory")
    assert known == unknown
    assert [status for status, _, _ in unknown] == [401] * 5 + [429] * 2
    with app.state.sessionmaker() as db:
        throttle = db.execute(select(LoginThrottle)).scalar_one()
        assert throttle.locked_until is not None
        assert "mallory" not in throttle.name_hash  # only a digest of the name is kept
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "auth.login")).scalars().all()
        assert not any(e.actor == "mallory" for e in events)


def test_unknown_user_gets_the_same_answer_through_the_dummy_hash(app, client, make_user, monkeypatch):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    burned = []
    hasher = app.state.password_hasher
    original = hasher.burn
    monkeypatch.setattr(hasher, "burn", lambda pw: (burned.append(1), original(pw)))
    unknown = client.post(TOKEN_URL, data={"username": "mallory", "password": "whatever-123456"})
    wrong = client.post(TOKEN_URL, data={"username": "alice", "password": "whatever-123456"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert burned == [1]  # the unknown user paid for a full argon2 verification
    with app.state.sessionmaker() as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "auth.login")).scalars().all()
    assert [(e.actor, e.outcome) for e in events] == [(None, "denied"), ("alice", "denied")]
    assert all("whatever" not in json.dumps(e.details) for e in events)


def test_one_time_password_must_be_changed_before_anything_else(client, make_user, auth_headers):
    admin = auth_headers("admin")
    # comex: its creator receives the one-time password (other roles need a second admin).
    created = client.post("/api/v1/users", json={"username": "bob", "role": "comex"}, headers=admin)
    assert created.status_code == 201
    one_time = created.json()["one_time_password"]
    tokens = login(client, "bob", one_time)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    blocked = client.get("/api/v1/users", headers=headers)
    assert blocked.status_code == 403 and "Password change required" in blocked.json()["detail"]
    assert client.get(ME, headers=headers).json()["must_change_password"] is True
    weak = client.post("/api/v1/auth/password", headers=headers,
                       json={"current_password": one_time, "new_password": "bob-password-1"})
    assert weak.status_code == 422 and "new_password" in weak.json()["detail"]
    changed = client.post("/api/v1/auth/password", headers=headers,
                          json={"current_password": one_time, "new_password": "Tulip-Orbit-42-Lantern"})
    assert changed.status_code == 200
    # A password change ends every session, this one too: the answer carries the pair to go on with.
    assert client.get(ME, headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get(ME, headers=headers).json()["must_change_password"] is False
    assert login(client, "bob", "Tulip-Orbit-42-Lantern")["role"] == "comex"


def test_disabling_a_user_ends_their_sessions_at_once(client, make_user, auth_headers):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    tokens = login(client, "alice", "Correct-Horse-9-Staple")
    patch = client.patch("/api/v1/users/alice", json={"active": False}, headers=auth_headers("admin"))
    assert patch.status_code == 200
    assert _get_me(client, tokens["access_token"]).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert client.post(TOKEN_URL, data={"username": "alice", "password": "Correct-Horse-9-Staple"}).status_code == 401


def test_login_upgrades_a_hash_made_with_older_parameters(app, client, make_user):
    old = PasswordHasher(Argon2Params(time_cost=1, memory_kib=512, parallelism=1))
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    with app.state.sessionmaker() as db:
        user = db.execute(select(User).where(User.username == "alice")).scalar_one()
        user.password_hash = old.hash("Correct-Horse-9-Staple")
        db.commit()
    login(client, "alice", "Correct-Horse-9-Staple")
    with app.state.sessionmaker() as db:
        stored = db.execute(select(User.password_hash).where(User.username == "alice")).scalar_one()
    assert "m=1024" in stored and "m=512" not in stored


def test_password_policy_names_each_rule():
    assert "must be at least 12 characters long" in password_problems("Zq9-short")
    assert "is too common or too repetitive" in password_problems("Password1234!")
    assert "must not contain the username" in password_problems("xx-alice-Lantern-9", "alice")
    assert password_problems("Tulip-Orbit-42-Lantern", "alice") == []
