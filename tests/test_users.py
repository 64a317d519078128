"""User management over the API and the ``octroi users`` CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.settings import get_settings
from backend.users.models import User
from tests.fixtures.auth import login


@pytest.fixture
def cli(settings, monkeypatch, cheap_argon2):
    from typer.testing import CliRunner

    from backend.cli import app as cli_app

    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(cli_app, list(args), **kw)
    get_settings.cache_clear()


def test_admin_creates_lists_and_updates_users_and_each_action_is_audited(app, client, auth_headers):
    admin = auth_headers("admin")
    # No admin-chosen password (issue 14): a comex account gets a one-time password.
    created = client.post(
        "/api/v1/users", json={"username": "carol", "full_name": "Carol D.", "role": "comex"}, headers=admin,
    )
    assert created.status_code == 201 and created.json()["one_time_password"]
    assert created.json()["must_change_password"] is True
    assert {u["username"] for u in client.get("/api/v1/users", headers=admin).json()} == {"admin-user", "carol"}
    patched = client.patch("/api/v1/users/carol", json={"active": False}, headers=admin)
    assert patched.status_code == 200 and patched.json()["active"] is False
    with app.state.sessionmaker() as db:
        actions = db.execute(select(AuditEvent.action).where(AuditEvent.actor == "admin-user")).scalars().all()
        stored = db.execute(select(User.password_hash).where(User.username == "carol")).scalar_one()
    assert actions == ["auth.login", "user.create", "user.list", "user.update"]
    assert stored.startswith("$argon2id$") and created.json()["one_time_password"] not in stored


@pytest.mark.parametrize(
    "body, field, status",
    [
        ({"username": "X Bad", "role": "advisor"}, "username", 422),
        ({"username": "dave", "role": "root"}, "role", 422),
        ({"username": "dave", "role": "advisor", "password": "short"}, "password", 422),
        ({"username": "dave", "role": "advisor", "password": "dave-is-my-name-ok"}, "password", 422),
        ({"username": "admin-user", "role": "advisor"}, "username", 409),
        ({"username": "dave", "role": "advisor", "is_admin": True}, "is_admin", 422),
    ],
)
def test_bad_user_input_names_the_field_and_creates_nothing(app, client, auth_headers, body, field, status):
    response = client.post("/api/v1/users", json=body, headers=auth_headers("admin"))
    assert response.status_code == status
    assert field in response.json()["detail"]
    with app.state.sessionmaker() as db:
        assert db.execute(select(User.username).order_by(User.username)).scalars().all() == ["admin-user"]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(client, auth_headers, make_user):
    admin = auth_headers("admin")
    for body in ({"active": False}, {"role": "advisor"}):
        refused = client.patch("/api/v1/users/admin-user", json=body, headers=admin)
        assert refused.status_code == 409 and "last active admin" in refused.json()["detail"]
    make_user("second-admin", "admin")
    assert client.patch("/api/v1/users/second-admin", json={"active": False}, headers=admin).status_code == 200
    assert client.patch("/api/v1/users/nobody", json={"active": False}, headers=admin).status_code == 404
    assert client.patch("/api/v1/users/second-admin", json={}, headers=admin).status_code == 422


def test_unlock_and_reset_password_reopen_an_account(client, auth_headers, make_user):
    admin = auth_headers("admin")
    make_user("erin", "advisor", "Tulip-Orbit-42-Lantern")
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": "erin", "password": "wrong-password-1"})
    assert client.post("/api/v1/auth/token", data={"username": "erin", "password": "Tulip-Orbit-42-Lantern"}).status_code == 429
    assert client.post("/api/v1/users/erin/unlock", headers=admin).json()["locked_until"] is None
    old_session = login(client, "erin", "Tulip-Orbit-42-Lantern")
    # An advisor's reset is a request (issue 14): a second admin approves and gets the password.
    reset = client.post("/api/v1/users/erin/reset-password", headers=admin).json()
    assert reset["one_time_password"] is None and reset["access_request"]["status"] == "pending"
    _, second_password = make_user("second-admin", "admin")
    second = {"Authorization": f"Bearer {login(client, 'second-admin', second_password)['access_token']}"}
    approved = client.post(f"/api/v1/users/access-requests/{reset['access_request']['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_session['access_token']}"})
    assert me.status_code == 401  # a reset ends existing sessions
    assert login(client, "erin", approved.json()["one_time_password"])["role"] == "advisor"


def test_cli_creates_users_with_a_one_time_password_or_from_stdin_and_lists_them(app, cli):
    first = cli("users", "create", "frank", "--role", "advisor")
    assert first.exit_code == 0, first.output
    one_time = first.output.split("login): ")[1].strip()
    second = cli("users", "create", "grace", "--role", "admin", "--password-stdin",
                 input="Tulip-Orbit-42-Lantern\n")
    assert second.exit_code == 0 and "one-time" not in second.output
    bad = cli("users", "create", "heidi", "--role", "advisor", "--password-stdin", input="short\n")
    assert bad.exit_code == 2 and "password" in bad.output
    listing = cli("users", "list")
    assert "frank" in listing.output and "grace" in listing.output and "heidi" not in listing.output
    with app.state.sessionmaker() as db:
        frank = db.execute(select(User).where(User.username == "frank")).scalar_one()
        events = db.execute(select(AuditEvent.resource).where(AuditEvent.action == "user.create")).scalars().all()
    assert frank.must_change_password and app.state.password_hasher.verify(one_time, frank.password_hash)[0]
    assert events == ["user:frank", "user:grace"]


def test_an_admin_changes_neither_their_own_role_nor_their_own_status(app, client, auth_headers, make_user):
    """One of two admins demoted themselves (PATCH /users/<self> {"role": "comex"}, 200): the
    other was left alone, and four-eyes with nobody to approve any grant, enabling or reset
    (the twenty-eighth session's compliance walk). Refused now, 409 ``own_account``, naming the
    field; nothing changes; another admin may still demote or disable them at once."""
    make_user("second-admin", "admin")
    admin = auth_headers("admin")
    for body, field in (({"role": "comex"}, "role"), ({"active": False}, "active"),
                        ({"role": "advisor", "active": False}, "role")):
        refused = client.patch("/api/v1/users/admin-user", json=body, headers=admin)
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["code"] == "conflict" and problem["errors"][0]["field"] == field
        assert problem["errors"][0]["reason"] == "own_account" and "their own role" in problem["detail"]
    # An unchanged value changes nothing and is not refused.
    assert client.patch("/api/v1/users/admin-user", json={"role": "admin"}, headers=admin).status_code == 200
    with app.state.sessionmaker() as db:
        me = db.scalars(select(User).where(User.username == "admin-user")).one()
        assert (me.role, me.active) == ("admin", True)
        refusals = db.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "user.update",
                                                               AuditEvent.resource == "user:admin-user")).all()
    assert refusals == ["success"]  # the unchanged role; a refusal changes nothing, as any bad input
    assert client.patch("/api/v1/users/second-admin", json={"role": "comex"}, headers=admin).status_code == 200
