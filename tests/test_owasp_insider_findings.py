"""Regression tests for the findings of issue 14, item 5 (each failed on the code before it):
forwarded headers, login budget and throttle rows, argon2 outside database locks, the
password-change lockout, pending one-time-password refusals, production key checks, the JWT
grace period, bad dates, log hygiene, the Art. 15 export budget, raw ids in free text, and
``.env.example``. Both engines where a database is involved.
"""

from __future__ import annotations

import logging
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.audit.models import AuditEvent
from backend.auth.config import AuthSettings, token_config
from backend.auth.models import LoginThrottle
from backend.settings import ConfigurationError, Settings
from tests.fixtures.auth import TOKEN_URL, login

API = "/api/v1"
REPO = Path(__file__).resolve().parents[1]
GOOD = "k" * 40


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


# ----------------------------------------------------------------------------- forwarded headers


def test_forwarded_for_from_an_untrusted_peer_is_ignored_so_the_audit_keeps_the_peer_address(app, client):
    client.post(TOKEN_URL, data={"username": "nobody", "password": "wrong-password-1"},
                headers={"X-Forwarded-For": '=HYPERLINK("http://evil.example","x")'})
    assert [e.ip for e in _events(app, "auth.login")] == ["testclient"]


def test_forwarded_for_is_believed_from_a_configured_proxy_only(settings, cheap_argon2):
    settings.trusted_proxies = "10.0.0.5"
    app = create_app(settings)
    for peer, expected in ((("10.0.0.5", 4000), "203.0.113.7"), (("10.0.0.6", 4000), "10.0.0.6")):
        with TestClient(app, client=peer) as http:
            http.post(TOKEN_URL, data={"username": "nobody", "password": "wrong-password-1"},
                      headers={"X-Forwarded-For": "203.0.113.7"})
        assert _events(app, "auth.login")[-1].ip == expected


def test_a_trusted_proxy_must_be_an_address(tmp_path):
    with pytest.raises(ValueError, match="OCTROI_TRUSTED_PROXIES"):
        Settings(var_dir=tmp_path, trusted_proxies="*")


# ----------------------------------------------------------------------------- logins


def test_failed_logins_have_a_per_source_budget_spent_before_any_row_or_audit_event(settings, cheap_argon2):
    settings.rate_limit_login_failures_per_minute = 3
    app = create_app(settings)
    with TestClient(app) as http:
        codes = [http.post(TOKEN_URL, data={"username": f"random-{i}", "password": "wrong-password-1"}).status_code
                 for i in range(6)]
        refused = http.post(TOKEN_URL, data={"username": "random-x", "password": "wrong-password-1"})
    assert codes == [401, 401, 401, 429, 429, 429]
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 3
    assert len(_events(app, "auth.login")) == 3


def test_successful_logins_do_not_spend_the_budget(settings, cheap_argon2):
    settings.rate_limit_login_failures_per_minute = 2
    app = create_app(settings)
    from backend.users.service import create_user

    with app.state.sessionmaker() as db:
        create_user(db, app.state.password_hasher, username="staff", role="comex",
                    password="Tulip-Orbit-42-Lantern", must_change_password=False)
        db.commit()
    with TestClient(app) as http:
        for _ in range(5):
            login(http, "staff", "Tulip-Orbit-42-Lantern")


def test_throttle_rows_of_unknown_names_are_bounded(app, client, monkeypatch):
    monkeypatch.setattr(app.state.auth_settings, "login_throttle_max_rows", 10)
    for i in range(15):
        client.post(TOKEN_URL, data={"username": f"ghost-{i}", "password": "wrong-password-1"})
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 10


def test_password_hashing_runs_outside_any_database_transaction(app, client, make_user, monkeypatch):
    make_user("hasher", "advisor", "Tulip-Orbit-42-Lantern")
    hasher = app.state.password_hasher
    held: list[int] = []
    for name in ("verify", "burn"):
        original = getattr(hasher, name)

        def spy(*args, _original=original, **kwargs):
            held.append(app.state.engine.pool.checkedout())
            return _original(*args, **kwargs)

        monkeypatch.setattr(hasher, name, spy)
    client.post(TOKEN_URL, data={"username": "hasher", "password": "wrong-password-1"})
    client.post(TOKEN_URL, data={"username": "nobody-here", "password": "wrong-password-1"})
    login(client, "hasher", "Tulip-Orbit-42-Lantern")
    assert held and set(held) == {0}, held


def test_the_password_change_route_locks_like_a_login_and_audits_each_refusal(app, client, make_user):
    _, password = make_user("guesser", "advisor")
    headers = {"Authorization": f"Bearer {login(client, 'guesser', password)['access_token']}"}
    codes = [client.post(f"{API}/auth/password", headers=headers,
                         json={"current_password": f"guess-number-{i}", "new_password": "Tulip-Orbit-42-Lantern"}
                         ).status_code for i in range(6)]
    assert codes == [400, 400, 400, 400, 400, 429]
    right = client.post(f"{API}/auth/password", headers=headers,
                        json={"current_password": password, "new_password": "Tulip-Orbit-42-Lantern"})
    assert right.status_code == 429 and right.json()["code"] == "account_locked"
    reasons = [e.details["reason"] for e in _events(app, "auth.password_change")]
    assert reasons == ["wrong current password"] * 5 + ["account locked"] * 2


def test_a_refusal_during_a_pending_one_time_password_change_is_audited(app, client, make_user):
    _, password = make_user("newcomer", "advisor", must_change_password=True)
    headers = {"Authorization": f"Bearer {login(client, 'newcomer', password)['access_token']}"}
    refused = client.get(f"{API}/clients/100002", headers=headers)
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    [event] = [e for e in _events(app, "access.denied") if e.actor == "newcomer"]
    assert event.details == {"reason": "password change required"} and event.outcome == "denied"
    assert event.resource == "/api/v1/clients/{client_id}"


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "pseudonym_key, culprit",
    [
        (f"v1:dev-{'a' * 40}", "OCTROI_PSEUDONYM_KEY holds a development"),
        (f"v2:{GOOD},v1:short", "OCTROI_PSEUDONYM_KEY entry 2 is too short"),
        (f"v2:{GOOD},v1:dev-{'b' * 40}", "OCTROI_PSEUDONYM_KEY entry 2 holds a development"),
    ],
)
def test_production_checks_every_pseudonym_key_version(tmp_path, pseudonym_key, culprit):
    settings = Settings(env="production", var_dir=tmp_path, jwt_key=GOOD, audit_signing_key=GOOD,
                        pseudonym_key=pseudonym_key)
    with pytest.raises(ConfigurationError, match=culprit):
        settings.ensure_secrets()


def test_the_jwt_grace_period_cannot_exceed_the_refresh_token_lifetime(tmp_path):
    far = Settings(var_dir=tmp_path, jwt_key=GOOD, jwt_previous_key="p" * 40,
                   jwt_previous_key_until=datetime.now(UTC) + timedelta(days=365)).ensure_secrets()
    with pytest.raises(ConfigurationError, match="OCTROI_JWT_PREVIOUS_KEY_UNTIL is more than 7 days"):
        token_config(far, AuthSettings())
    near = far.model_copy(update={"jwt_previous_key_until": datetime.now(UTC) + timedelta(days=6)})
    assert token_config(near, AuthSettings()).previous_keys


def test_env_example_copied_as_is_starts_once_its_secrets_are_filled(tmp_path, monkeypatch):
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        if name in ("OCTROI_JWT_KEY", "OCTROI_AUDIT_SIGNING_KEY", "OCTROI_PSEUDONYM_KEY") or name.endswith("PASSWORD"):
            value = secrets.token_urlsafe(48)
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OCTROI_ENV", "production")  # as docker-compose.yml sets it
    monkeypatch.setenv("OCTROI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("OCTROI_DATABASE_URL", f"sqlite:///{tmp_path / 'octroi.db'}")
    settings = Settings().ensure_secrets()
    assert settings.is_production and settings.jwt_previous_key is None
    assert token_config(settings, AuthSettings()).previous_keys == ()
    create_app(settings)  # every start-up check passes


# ----------------------------------------------------------------------------- privacy routes


def test_an_out_of_range_date_is_a_422_naming_the_field(client, auth_headers):
    """With an offset, the calendar's edges are no UTC time at all: a 500 until the
    twenty-eighth session's API sweep (``OverflowError`` converting to UTC)."""
    compliance = auth_headers("compliance")
    for params, field in (({"to": "0001-01-01T00:00:00"}, "to"), ({"from": "0001-01-01T00:00:00"}, "from"),
                          ({"from": "0001-01-01T00:00:00+01:00"}, "from"), ({"to": "9999-12-31T23:59:59-01:00"}, "to"),
                          ({"from": "0001-01-01T00:30:00+00:31"}, "from")):
        for path in ("/privacy/overrides", "/audit/events"):
            response = client.get(f"{API}{path}", params=params, headers=compliance)
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["errors"][0]["field"] == field and "between 1970-01-01" in response.text


def test_the_servers_traceback_of_an_unhandled_error_never_carries_the_message(capsys):
    from backend.logging import _exception_type_only

    try:
        raise ValueError("client 100002 has probability 0.83")
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   "Exception in ASGI application", None, sys.exc_info())
    assert _exception_type_only(record)
    text = logging.Formatter().format(record)
    assert "100002" not in text and "0.83" not in text and "ValueError" in text


@pytest.fixture
def model_settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_export_per_hour=1)


def test_the_art15_export_spends_the_export_budget(model_settings, cheap_argon2, imported_clients_for):
    app = create_app(model_settings)
    ids = imported_clients_for(model_settings)
    with TestClient(app) as http:
        from backend.users.service import create_user

        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="dpo-user", role="compliance",
                        password="Tulip-Orbit-42-Lantern", must_change_password=False)
            db.commit()
        headers = {"Authorization": f"Bearer {login(http, 'dpo-user', 'Tulip-Orbit-42-Lantern')['access_token']}"}
        first = http.get(f"{API}/privacy/clients/{ids[0]}/export", headers=headers)
        second = http.get(f"{API}/privacy/clients/{ids[1]}/export", headers=headers)
    assert first.status_code == 200 and first.json()["automated_decision"]["probability"] is not None
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"


@pytest.fixture
def imported_clients_for(applicants_csv, applicant_ids):
    from tests.fixtures.clients import import_file

    def _import(settings):
        import_file(settings, applicants_csv)
        return applicant_ids

    return _import


def test_a_decision_reason_with_the_client_id_written_with_spaces_is_refused(
    model_settings, cheap_argon2, imported_clients_for
):
    app = create_app(model_settings)
    raw = str(imported_clients_for(model_settings)[0])
    spaced = " ".join(raw)
    with TestClient(app) as http:
        from backend.users.service import create_user

        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="adv-user", role="advisor",
                        password="Tulip-Orbit-42-Lantern", must_change_password=False)
            db.commit()
        headers = {"Authorization": f"Bearer {login(http, 'adv-user', 'Tulip-Orbit-42-Lantern')['access_token']}"}
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in raw)
        for reason in (f"Client {spaced} called back", f"ref {raw[:3]}-{raw[3:]}", f"dossier {raw[:3]}'{raw[3:]} vu",
                       f"réf {raw[:3]}:{raw[3:]}", f"vu {raw[:3]}\u200b{raw[3:]}", f"dossier {full_width}"):
            response = http.post(f"{API}/clients/{raw}/decision", headers=headers,
                                 json={"decision": "approve", "reason": reason, "revises": None})
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason", reason
            assert response.json()["errors"][0]["reason"] == "contains_client_id", reason
        # A date that holds the id's digits only when glued is not the id.
        date = f"{raw[:2]}/{raw[2:4]}/20{raw[4:]}"
        response = http.post(f"{API}/clients/{raw}/decision", headers=headers,
                             json={"decision": "approve", "reason": f"Bulletins reçus le {date}, revenus stables",
                                   "revises": None})
        assert response.status_code == 201, response.text
        current = response.json()["id"]
        # Nothing a reader sees, or no word, is no reason (each counted as the one a revision needs).
        for reason, why in (("\u200b", "reason_required"), ("\u00ad", "reason_required"), ("...", "no_words"),
                            ("1234", "no_words")):
            response = http.post(f"{API}/clients/{raw}/decision", headers=headers,
                                 json={"decision": "refuse", "reason": reason, "revises": current})
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason", response.text
            assert response.json()["errors"][0]["reason"] == why, response.text
