"""Regression tests for the insider review, findings 3 and 4 (each failed on the code before it),
on both engines:

- 3: an admin lifting locks (``POST /users/{name}/unlock``) to guess a colleague's password
  without limit. An unlock is refused (409 ``too_many_failures``, nothing changed, the refusal
  audited) once the account saw twice the lockout threshold of wrong passwords in the last
  24 hours, counted from the audit trail, which no unlock erases; the unlock's event says what
  it cleared.
- 4a: a password change ends every session of the user, the current one too, and the answer
  carries a fresh pair the holder of a copied token does not have (the dashboard continues on it).
- 4b: a login session (refresh family) lives at most ``OCTROI_SESSION_MAX_HOURS`` whatever its
  rotations: refresh and its access tokens are then refused (401 ``session_expired``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

import backend.auth.service as auth_service
import security.tokens as tokens_mod
from backend.app import create_app
from backend.audit.models import AuditEvent
from backend.auth.models import RefreshFamily
from backend.settings import Settings
from backend.users import service as users_service
from backend.users.models import User
from frontend.api import ApiClient, ErrorKind, Tokens
from frontend.config import DashboardConfig
from tests.fixtures.auth import TOKEN_URL, login

API = "/api/v1"
ME = f"{API}/auth/me"
PASSWORD = "Tulip-Orbit-42-Lantern"
NEW_PASSWORD = "Harbor-Quartz-77-Meadow"


def _bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _account(app, username: str) -> tuple[int, datetime | None]:
    with app.state.sessionmaker() as db:
        user = db.execute(select(User).where(User.username == username)).scalar_one()
        return user.failed_attempts, user.locked_until


def _refresh(client: TestClient, token: object):
    return client.post(f"{API}/auth/refresh", json={"refresh_token": token})


# ----------------------------------------------------------------------------- 4a: password change


def test_a_password_change_ends_every_session_the_current_one_too_and_hands_a_fresh_pair(app, client, make_user):
    make_user("victim", "advisor", PASSWORD)
    current = login(client, "victim", PASSWORD)       # the dashboard session, copied by a thief
    other = login(client, "victim", PASSWORD)         # another device
    changed = client.post(f"{API}/auth/password", headers=_bearer(current["access_token"]),
                          json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert {"access_token", "refresh_token", "token_type", "expires_in", "role", "detail"} <= set(fresh)
    assert fresh["role"] == "advisor" and fresh["token_type"] == "bearer"
    assert fresh["refresh_token"] not in (current["refresh_token"], other["refresh_token"])
    # The thief's copies (refresh and access tokens of the current session) and the other device: dead.
    for pair in (current, other):
        assert _refresh(client, pair["refresh_token"]).status_code == 401
        assert client.get(ME, headers=_bearer(pair["access_token"])).status_code == 401
    # The caller goes on with the fresh pair.
    me = client.get(ME, headers=_bearer(fresh["access_token"]))
    assert me.status_code == 200 and me.json()["must_change_password"] is False
    assert _refresh(client, fresh["refresh_token"]).status_code == 200
    with app.state.sessionmaker() as db:
        families = db.scalars(select(RefreshFamily).join(User, User.id == RefreshFamily.user_id)
                              .where(User.username == "victim")).all()
    live = [f.id for f in families if f.revoked_at is None]
    assert len(families) == 3 and len(live) == 1
    assert {f.revoked_reason for f in families if f.revoked_at is not None} == {"password changed"}
    event = [e for e in _events(app, "auth.password_change") if e.outcome == "success"][-1]
    assert event.details == {"sessions_ended": 2, "session": live[0]}


def test_a_one_time_password_change_continues_on_the_fresh_pair(app, client, make_user):
    _, one_time = make_user("newcomer", "advisor", must_change_password=True)
    tokens = login(client, "newcomer", one_time)
    blocked = client.get(f"{API}/users", headers=_bearer(tokens["access_token"]))
    assert blocked.status_code == 403 and blocked.json()["code"] == "password_change_required"
    changed = client.post(f"{API}/auth/password", headers=_bearer(tokens["access_token"]),
                          json={"current_password": one_time, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert client.get(ME, headers=_bearer(tokens["access_token"])).status_code == 401
    assert client.get(ME, headers=_bearer(changed.json()["access_token"])).json()["must_change_password"] is False


def test_a_refused_password_change_ends_no_session(client, make_user):
    make_user("careful", "advisor", PASSWORD)
    tokens = login(client, "careful", PASSWORD)
    wrong = client.post(f"{API}/auth/password", headers=_bearer(tokens["access_token"]),
                        json={"current_password": "not-the-password-1", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    weak = client.post(f"{API}/auth/password", headers=_bearer(tokens["access_token"]),
                       json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    assert client.get(ME, headers=_bearer(tokens["access_token"])).status_code == 200
    assert _refresh(client, tokens["refresh_token"]).status_code == 200


def test_the_dashboard_client_switches_to_the_pair_the_password_change_returns():
    config = DashboardConfig("http://api.test", timeout_seconds=2.0, max_response_bytes=4096, refresh_margin_seconds=60)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"detail": "Password changed", "access_token": "a2", "refresh_token": "r2",
                                         "token_type": "bearer", "expires_in": 900, "role": "advisor"})

    stored: list[Tokens | None] = []
    old = Tokens("a1", "r1", time.time() + 900, "advisor", "alice", must_change_password=True)
    client = ApiClient(config, old, stored.append, transport=httpx.MockTransport(handler))
    client.change_password("old-password-12", NEW_PASSWORD)
    assert seen == ["Bearer a1"]
    assert client.tokens is not None and stored[-1] == client.tokens
    assert (client.tokens.access_token, client.tokens.refresh_token) == ("a2", "r2")
    assert client.tokens.username == "alice" and not client.tokens.must_change_password


# ----------------------------------------------------------------------------- 4b: session lifetime


@pytest.fixture
def clock(monkeypatch):
    """Moves the API's clock (token signing and checks, sessions) forward by ``clock["d"]``."""
    offset = {"d": timedelta(0)}
    real = datetime

    class Shifted(real):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + offset["d"]

    monkeypatch.setattr(tokens_mod, "datetime", Shifted)
    monkeypatch.setattr(auth_service, "utcnow", lambda: real.now(UTC) + offset["d"])
    return offset


def test_a_session_cannot_be_rotated_past_its_absolute_lifetime(app, client, make_user, clock):
    assert app.state.settings.session_max_hours == 12  # the default: a working day
    make_user("sleeper", "advisor", PASSWORD)
    pair = login(client, "sleeper", PASSWORD)
    for hours in (6, 11, 11.9):  # each rotation renews the refresh token, not the session
        clock["d"] = timedelta(hours=hours)
        answer = _refresh(client, pair["refresh_token"])
        assert answer.status_code == 200, (hours, answer.text)
        pair = answer.json()
    clock["d"] = timedelta(hours=12, minutes=1)
    # Its access token, minutes old, is refused with the session.
    me = client.get(ME, headers=_bearer(pair["access_token"]))
    assert me.status_code == 401 and me.json()["code"] == "session_expired", me.text
    refused = _refresh(client, pair["refresh_token"])
    assert refused.status_code == 401 and refused.json()["code"] == "session_expired"
    assert refused.headers["www-authenticate"] == "Bearer"
    # The family is over for good; a new login starts a new session.
    again = _refresh(client, pair["refresh_token"])
    assert again.status_code == 401 and again.json()["code"] == "not_authenticated"
    assert client.get(ME, headers=_bearer(login(client, "sleeper", PASSWORD)["access_token"])).status_code == 200
    with app.state.sessionmaker() as db:
        reasons = set(db.scalars(select(RefreshFamily.revoked_reason).where(RefreshFamily.revoked_at.is_not(None))))
    assert reasons == {"session lifetime exceeded"}
    denied = [e.details for e in _events(app, "auth.refresh") if e.outcome == "denied"]
    assert denied[0]["reason"] == "session lifetime exceeded"


def test_the_reproduced_sixty_day_session_is_refused_within_a_week(app, client, make_user, clock):
    make_user("thief-target", "advisor", PASSWORD)
    refresh = login(client, "thief-target", PASSWORD)["refresh_token"]
    clock["d"] = timedelta(days=6)  # the thief's weekly rotation
    answer = _refresh(client, refresh)
    assert answer.status_code == 401 and answer.json()["code"] == "session_expired"


def test_session_max_hours_is_a_bounded_setting(db_url, make_settings, cheap_argon2, clock):
    for bad in (0, 721):
        with pytest.raises(ValidationError):
            Settings(session_max_hours=bad)
    app = create_app(make_settings(db_url, session_max_hours=1))
    with TestClient(app) as client:
        with app.state.sessionmaker() as db:
            users_service.create_user(db, app.state.password_hasher, username="short-day", role="comex",
                                      password=PASSWORD, must_change_password=False)
            db.commit()
        pair = login(client, "short-day", PASSWORD)
        clock["d"] = timedelta(minutes=50)
        pair = _refresh(client, pair["refresh_token"]).json()
        clock["d"] = timedelta(minutes=61)
        assert _refresh(client, pair["refresh_token"]).json()["code"] == "session_expired"


# ----------------------------------------------------------------------------- 3: admin unlock


def test_an_admin_lifting_locks_cannot_guess_a_colleagues_password_without_lockout(app, client, make_user, auth_headers):
    """The reproduced attack: 4 wrong guesses, unlock, repeat."""
    make_user("target", "compliance", PASSWORD)
    admin = auth_headers("admin")
    codes, unlocks = [], []
    for i in range(25):
        codes.append(client.post(TOKEN_URL, data={"username": "target", "password": f"guess-{i:04d}-xx"}).status_code)
        if (i + 1) % 4 == 0:  # just before the 5th failure in a row
            unlocks.append(client.post(f"{API}/users/target/unlock", headers=admin))
    assert [u.status_code for u in unlocks] == [200, 200, 409, 409, 409, 409]
    refusal = unlocks[2].json()
    assert refusal["code"] == "too_many_failures"
    assert refusal["errors"] == [{"field": "username", "message": refusal["errors"][0]["message"],
                                  "reason": "too_many_failures"}]
    assert "12 wrong passwords in the last 24 hours" in refusal["detail"]
    # 8 + 4 guesses, then the 13th locks the account: 12 guesses more than the lockout allows, not unlimited.
    assert codes[:13] == [401] * 13 and set(codes[13:]) == {429}
    right = client.post(TOKEN_URL, data={"username": "target", "password": PASSWORD})
    assert right.status_code == 429 and right.json()["code"] == "account_locked"
    unlock_events = _events(app, "user.unlock")
    assert [e.outcome for e in unlock_events] == ["success", "success"] + ["denied"] * 4
    first, second = (e.details for e in unlock_events[:2])
    assert first == {"was_locked_until": None, "failed_attempts_cleared": 4, "wrong_passwords_24h": 4, "ceiling": 10}
    assert second["failed_attempts_cleared"] == 4 and second["wrong_passwords_24h"] == 8
    assert unlock_events[2].details == {"reason": "too many failures", "wrong_passwords_24h": 12, "ceiling": 10}
    assert unlock_events[-1].details["wrong_passwords_24h"] == 13  # attempts while locked test nothing
    assert all(e.resource == "user:target" and e.actor == "admin-user" for e in unlock_events)


def test_a_refused_unlock_changes_nothing(app, client, make_user, auth_headers):
    make_user("locked-out", "advisor", PASSWORD)
    admin = auth_headers("admin")
    for i in range(5):
        client.post(TOKEN_URL, data={"username": "locked-out", "password": f"guess-{i:04d}-xx"})
    assert client.post(f"{API}/users/locked-out/unlock", headers=admin).status_code == 200
    for i in range(4):
        client.post(TOKEN_URL, data={"username": "locked-out", "password": f"again-{i:04d}-xx"})
    # Not locked, 9 wrong passwords: one more unlock (and its reset of the count) is allowed...
    assert client.post(f"{API}/users/locked-out/unlock", headers=admin).status_code == 200
    client.post(TOKEN_URL, data={"username": "locked-out", "password": "tenth-guess-xx"})
    before = _account(app, "locked-out")
    refused = client.post(f"{API}/users/locked-out/unlock", headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "too_many_failures"
    assert _account(app, "locked-out") == before == (1, None)  # ...but not one past the ceiling


def test_a_user_who_locked_themselves_out_is_unlocked_and_the_event_says_what_was_cleared(app, client, make_user,
                                                                                            auth_headers):
    make_user("forgetful", "advisor", PASSWORD)
    for i in range(5):
        client.post(TOKEN_URL, data={"username": "forgetful", "password": f"guess-{i:04d}-xx"})
    assert client.post(TOKEN_URL, data={"username": "forgetful", "password": PASSWORD}).status_code == 429
    unlocked = client.post(f"{API}/users/forgetful/unlock", headers=auth_headers("admin"))
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    details = _events(app, "user.unlock")[-1].details
    assert details["was_locked_until"] is not None
    assert (details["failed_attempts_cleared"], details["wrong_passwords_24h"]) == (0, 5)
    assert login(client, "forgetful", PASSWORD)["role"] == "advisor"


def test_wrong_current_passwords_at_a_password_change_count_toward_the_ceiling(app, client, make_user, auth_headers):
    make_user("mixed", "advisor", PASSWORD)
    admin = auth_headers("admin")
    headers = _bearer(login(client, "mixed", PASSWORD)["access_token"])
    for i in range(5):
        client.post(f"{API}/auth/password", headers=headers,
                    json={"current_password": f"guess-{i:04d}-xx", "new_password": NEW_PASSWORD})
    assert client.post(f"{API}/users/mixed/unlock", headers=admin).status_code == 200
    for i in range(5):
        client.post(TOKEN_URL, data={"username": "mixed", "password": f"guess-{i:04d}-yy"})
    assert client.post(f"{API}/users/mixed/unlock", headers=admin).json()["code"] == "too_many_failures"


def _two_lockouts(client: TestClient, username: str, admin: dict[str, str]) -> None:
    """Ten wrong passwords: five (locked), an admin's unlock, five more (locked again)."""
    for i in range(10):
        client.post(TOKEN_URL, data={"username": username, "password": f"guess-{i:04d}-xx"})
        if i == 4:
            assert client.post(f"{API}/users/{username}/unlock", headers=admin).status_code == 200


def test_the_ceiling_looks_back_24_hours_only(app, client, make_user, auth_headers):
    make_user("yesterday", "advisor", PASSWORD)
    _two_lockouts(client, "yesterday", auth_headers("admin"))
    with app.state.sessionmaker() as db:
        with pytest.raises(users_service.TooManyFailures):
            users_service.unlock_user(db, "yesterday", ceiling=10)
        db.rollback()
        later = datetime.now(UTC) + timedelta(hours=24, minutes=1)
        unlocked = users_service.unlock_user(db, "yesterday", ceiling=10, now=later)
        assert unlocked.wrong_passwords_24h == 0
        db.rollback()


def test_past_the_ceiling_a_password_reset_frees_the_account(app, client, make_user, auth_headers):
    make_user("exec", "comex", PASSWORD)  # a comex reset needs no second admin
    admin = auth_headers("admin")
    _two_lockouts(client, "exec", admin)
    assert client.post(f"{API}/users/exec/unlock", headers=admin).status_code == 409
    assert client.post(TOKEN_URL, data={"username": "exec", "password": PASSWORD}).status_code == 429
    reset = client.post(f"{API}/users/exec/reset-password", headers=admin)
    assert reset.status_code == 200
    assert login(client, "exec", reset.json()["one_time_password"])["role"] == "comex"


def test_unlocking_an_unknown_user_is_still_404(client, auth_headers):
    answer = client.post(f"{API}/users/nobody-here/unlock", headers=auth_headers("admin"))
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_the_dashboard_words_the_new_codes():
    from frontend import i18n
    from frontend.api import CODE_KINDS

    assert CODE_KINDS["too_many_failures"] is ErrorKind.conflict
    assert CODE_KINDS["session_expired"] is ErrorKind.session_expired
    assert {"fr", "en"} <= set(i18n.CATALOG["problem.too_many_failures"])
