"""Four-eyes on access (issue 14): an admin never sets a password another person will use,
and granting a role that reaches personal data (advisor, compliance) or admin is a request
that a second admin approves or rejects. Both engines.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.db import make_engine, make_sessionmaker
from backend.users import service
from backend.users.models import User
from tests.fixtures.auth import TOKEN_URL, login
from tests.test_users import cli  # noqa: F401 - the cli fixture

API = "/api/v1"


@pytest.fixture
def admins(client, make_user):
    """Two admins' headers: the one who asks and the one who decides."""
    headers = {}
    for name in ("alice-admin", "bruno-admin"):
        _, password = make_user(name, "admin")
        headers[name] = {"Authorization": f"Bearer {login(client, name, password)['access_token']}"}
    return headers["alice-admin"], headers["bruno-admin"]


def _actions(app, *names: str) -> list[tuple[str, str, str]]:
    with app.state.sessionmaker() as db:
        rows = db.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.action.in_(names)).order_by(AuditEvent.seq)
        ).all()
    return [tuple(r) for r in rows]


def test_an_admin_chosen_password_is_refused_and_nothing_is_created(app, client, admins):
    alice, _ = admins
    refused = client.post(f"{API}/users", headers=alice, json={
        "username": "puppet", "role": "advisor", "password": "Tulip-Orbit-42-Lantern"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "password"
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User).where(User.username == "puppet")) is None


def test_a_new_advisor_waits_for_a_second_admin_who_receives_the_one_time_password(app, client, admins):
    alice, bruno = admins
    created = client.post(f"{API}/users", headers=alice, json={"username": "victor", "role": "advisor"})
    assert created.status_code == 201
    body = created.json()
    assert body["active"] is False and body["one_time_password"] is None
    request_id = body["access_request"]["id"]
    assert body["access_request"] | {"requested_at": None} == {
        "id": request_id, "kind": "create", "username": "victor", "role": "advisor", "status": "pending",
        "requested_by": "alice-admin", "requested_at": None, "decided_by": None, "decided_at": None}
    # The creator cannot approve her own request (refused and audited), nor enable the account.
    own = client.post(f"{API}/users/access-requests/{request_id}/approve", headers=alice)
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    enable = client.patch(f"{API}/users/victor", headers=alice, json={"active": True})
    assert enable.status_code == 409
    pending = client.get(f"{API}/users/access-requests", params={"status": "pending"}, headers=bruno).json()
    assert [r["id"] for r in pending] == [request_id]

    approved = client.post(f"{API}/users/access-requests/{request_id}/approve", headers=bruno)
    assert approved.status_code == 200
    decision = approved.json()
    assert decision["request"]["status"] == "approved" and decision["request"]["decided_by"] == "bruno-admin"
    tokens = login(client, "victor", decision["one_time_password"])
    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert me["role"] == "advisor" and me["must_change_password"] is True
    assert _actions(app, "user.create", "user.access_decide", "user.access_approve") == [
        ("alice-admin", "user.create", "success"),
        ("alice-admin", "user.access_decide", "denied"),
        ("bruno-admin", "user.access_approve", "success"),
    ]


def test_a_rejected_request_grants_nothing(app, client, admins):
    alice, bruno = admins
    created = client.post(f"{API}/users", headers=alice, json={"username": "wendy", "role": "compliance"}).json()
    rejected = client.post(f"{API}/users/access-requests/{created['access_request']['id']}/reject", headers=bruno)
    assert rejected.status_code == 200 and rejected.json()["one_time_password"] is None
    assert client.patch(f"{API}/users/wendy", headers=alice, json={"active": True}).json()["code"] == "approval_required"
    again = client.post(f"{API}/users/access-requests/{created['access_request']['id']}/approve", headers=bruno)
    assert again.status_code == 409
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User.active).where(User.username == "wendy")) is False
    assert _actions(app, "user.access_reject") == [("bruno-admin", "user.access_reject", "success")]


def test_a_comex_account_the_creator_logged_into_does_not_become_an_advisor_login_for_them(app, client, admins):
    alice, bruno = admins
    # Alice creates a comex account, so she holds its one-time password, and sets her own.
    created = client.post(f"{API}/users", headers=alice, json={"username": "xavier", "role": "comex"}).json()
    tokens = login(client, "xavier", created["one_time_password"])
    client.post(f"{API}/auth/password", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                json={"current_password": created["one_time_password"], "new_password": "Alice-knows-this-42!"})
    patched = client.patch(f"{API}/users/xavier", headers=alice, json={"role": "advisor"})
    assert patched.status_code == 409 and patched.json()["code"] == "approval_required"
    asked = client.post(f"{API}/users/xavier/access-requests", headers=alice, json={"kind": "role", "role": "advisor"})
    assert asked.status_code == 201
    # While it is pending the account cannot be changed under the approver's feet.
    assert client.post(f"{API}/users/xavier/reset-password", headers=alice).status_code == 409
    approved = client.post(f"{API}/users/access-requests/{asked.json()['id']}/approve", headers=bruno).json()
    # The grant comes with fresh credentials for the approver: Alice's password is void.
    assert client.post(TOKEN_URL, data={"username": "xavier", "password": "Alice-knows-this-42!"}).status_code == 401
    assert login(client, "xavier", approved["one_time_password"])["role"] == "advisor"


def test_resetting_an_advisors_password_gives_the_requester_nothing(client, admins, make_user):
    alice, bruno = admins
    make_user("yvonne", "advisor")
    reset = client.post(f"{API}/users/yvonne/reset-password", headers=alice).json()
    assert reset["one_time_password"] is None and reset["access_request"]["kind"] == "reset"
    nobody = client.post(f"{API}/users/access-requests/{reset['access_request']['id']}/approve",
                         headers={"Authorization": "Bearer x"})
    assert nobody.status_code == 401
    approved = client.post(f"{API}/users/access-requests/{reset['access_request']['id']}/approve", headers=bruno)
    assert login(client, "yvonne", approved.json()["one_time_password"])["role"] == "advisor"


def test_cli_actions_are_audited_under_the_operators_name(app, cli):  # noqa: F811
    result = cli("users", "create", "first-admin", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert cli("privacy", "purge").exit_code == 0
    with app.state.sessionmaker() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action.in_(("user.create", "audit.purge")))
                            .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["user.create", "audit.purge"]
    for event in events:
        assert event.actor.startswith("cli:") and event.actor != "cli:" and event.role == "operator"


def test_two_admins_disabling_each_other_at_once_leave_one_active_admin(app, db_url):
    with app.state.sessionmaker() as db:
        for name in ("ann-admin", "ben-admin"):
            service.create_user(db, app.state.password_hasher, username=name, role="admin",
                                password="Tulip-Orbit-42-Lantern-x" + str(len(name)))
        db.commit()
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    first, second = sessions(), sessions()
    outcome: dict[str, object] = {}
    try:
        service.update_user(first, "ben-admin", active=False)  # holds its lock until commit

        def other() -> None:
            try:
                service.update_user(second, "ann-admin", active=False)
                second.commit()
                outcome["second"] = "committed"
            except service.UserError as exc:
                second.rollback()
                outcome["second"] = exc.status_code

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.0)  # it waits for the first transaction
        first.commit()
        thread.join(timeout=60)
    finally:
        first.close()
        second.close()
        engine.dispose()
    assert outcome["second"] == 409
    with app.state.sessionmaker() as db:
        assert db.scalars(select(User.username).where(User.role == "admin", User.active)).all() == ["ann-admin"]


def test_taking_access_away_goes_through_a_pending_request_and_its_requester_may_withdraw_it(
    app, client, admins, make_user
):
    """A pending request froze its account (the API sweep of the twenty-eighth session): nobody
    could disable or demote it until a second admin decided, so a leaver kept their access,
    and its requester could not even withdraw it. Disabling or demoting now goes through and
    withdraws the request (an approval would undo it); its requester may reject it, never
    approve it; a grant beside it is still refused."""
    alice, bruno = admins
    make_user("walter", "advisor")
    asked = client.post(f"{API}/users/walter/access-requests", headers=alice, json={"kind": "role", "role": "compliance"})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    # A reset beside it is still refused (the approver decides on the account as it was asked for).
    assert client.post(f"{API}/users/walter/reset-password", headers=alice).status_code == 409
    disabled = client.patch(f"{API}/users/walter", headers=alice, json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    listed = client.get(f"{API}/users/access-requests", params={"status": "pending"}, headers=bruno).json()
    assert request_id not in [r["id"] for r in listed]
    late = client.post(f"{API}/users/access-requests/{request_id}/approve", headers=bruno)
    assert late.status_code == 409 and late.json()["errors"][0]["reason"] == "request_decided"
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User.role).where(User.username == "walter")) == "advisor"
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.update",
                                                    AuditEvent.resource == "user:walter")).one()
    assert event.details["changes"]["access_request"] == [request_id, "rejected"]

    # Its requester withdraws one (reject), and may not approve it.
    make_user("xena", "comex")
    again = client.post(f"{API}/users/xena/access-requests", headers=alice, json={"kind": "role", "role": "advisor"}).json()
    own = client.post(f"{API}/users/access-requests/{again['id']}/approve", headers=alice)
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    withdrawn = client.post(f"{API}/users/access-requests/{again['id']}/reject", headers=alice)
    assert withdrawn.status_code == 200 and withdrawn.json()["request"]["status"] == "rejected"
    # Any other change beside a pending request stays refused (the approver decides on the account as asked).
    client.post(f"{API}/users/xena/access-requests", headers=alice, json={"kind": "role", "role": "advisor"})
    assert client.patch(f"{API}/users/xena", headers=alice, json={"active": True}).status_code == 409


def test_a_request_whose_requester_the_owner_rewrote_is_not_approved_by_its_real_requester(
    app, client, admins, db_url
):
    """The database owner rewrote ``access_requests.requested_by`` and the admin who asked
    approved their own request (200, a one-time password): four-eyes by one person (the
    twenty-eighth session's insider walk). The requester is the one the trail recorded now."""
    from tests.test_audit_insider import _owner_sql

    alice, bruno = admins
    created = client.post(f"{API}/users", headers=alice, json={"username": "yannick", "role": "compliance"}).json()
    request_id = created["access_request"]["id"]
    _owner_sql(db_url, f"UPDATE access_requests SET requested_by = 'bruno-admin' WHERE id = {request_id}")
    for who in (alice, bruno):
        refused = client.post(f"{API}/users/access-requests/{request_id}/approve", headers=who)
        assert refused.status_code == 409, refused.text
        assert refused.json()["errors"][0]["reason"] == "request_unrecorded"
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User.active).where(User.username == "yannick")) is False
    _owner_sql(db_url, f"UPDATE access_requests SET requested_by = 'alice-admin' WHERE id = {request_id}")
    assert client.post(f"{API}/users/access-requests/{request_id}/approve", headers=alice).status_code == 403
    assert client.post(f"{API}/users/access-requests/{request_id}/approve", headers=bruno).status_code == 200
    # Such a request can still be rejected (it grants nothing): the account is not stuck.
    other = client.post(f"{API}/users", headers=alice, json={"username": "ysolde", "role": "advisor"}).json()
    _owner_sql(db_url, f"UPDATE access_requests SET requested_by = 'bruno-admin' WHERE id = {other['access_request']['id']}")
    rejected = client.post(f"{API}/users/access-requests/{other['access_request']['id']}/reject", headers=alice)
    assert rejected.status_code == 200 and rejected.json()["request"]["status"] == "rejected"


def test_a_role_or_status_the_owner_changed_outside_octroi_makes_the_trail_invalid(app, client, admins, db_url, cli):  # noqa: F811
    """The database owner made an advisor an admin (or enabled a disabled account): the account
    logged in and acted as admin, and ``audit verify`` said valid (the twenty-eighth session's
    insider walk). Every account whose role or status the trail set is now compared with
    ``users`` (``account_altered``), at the event that set it; an account no event set (created
    straight in the database by a test fixture, or before events named it) is not judged."""
    from backend.audit import service as audit_service
    from tests.test_audit_insider import _owner_sql

    def verify():
        with app.state.sessionmaker() as db:
            return audit_service.verify_trail(db, app.state.checkpoint_signer, (), app.state.audit_witness)

    alice, bruno = admins
    created = client.post(f"{API}/users", headers=alice, json={"username": "zoe", "role": "advisor"}).json()
    assert client.post(f"{API}/users/access-requests/{created['access_request']['id']}/approve",
                       headers=bruno).status_code == 200
    comex = client.post(f"{API}/users", headers=alice, json={"username": "yves", "role": "comex"}).json()
    assert client.patch(f"{API}/users/yves", headers=alice, json={"active": False}).status_code == 200
    assert verify().valid, verify().reason

    _owner_sql(db_url, "UPDATE users SET role = 'admin' WHERE username = 'zoe'")
    result = verify()
    assert not result.valid and result.reason_code == "account_altered"
    assert "account 'zoe' now reads role 'admin', not 'advisor'" in result.reason, result.reason
    _owner_sql(db_url, "UPDATE users SET role = 'advisor' WHERE username = 'zoe'")
    assert verify().valid

    _owner_sql(db_url, f"UPDATE users SET active = {'1' if 'sqlite' in db_url else 'true'} WHERE username = 'yves'")
    result = verify()
    assert not result.valid and "account 'yves' now reads active True, not False" in result.reason, result.reason
    verified = cli("audit", "verify")
    assert verified.exit_code == 1 and "account 'yves'" in verified.output
    _owner_sql(db_url, f"UPDATE users SET active = {'0' if 'sqlite' in db_url else 'false'} WHERE username = 'yves'")
    assert verify().valid and comex["username"] == "yves"


def test_a_disable_and_an_approval_at_once_never_deadlock(app, client, admins, make_user, db_url):
    """Disabling an account took the user then its pending request; an approval takes the
    request then the user: on PostgreSQL the two at once deadlocked (the review of the
    twenty-eighth session reproduced ``DeadlockDetected``). Both now take the request first: the
    disable waits, then finds the request decided and disables the account."""
    import time

    from backend.users.models import AccessRequest

    if "postgresql" not in db_url:
        pytest.skip("SQLite serialises writers: no row locks to take in the wrong order")
    alice, _ = admins
    make_user("wanda", "advisor")
    request_id = client.post(f"{API}/users/wanda/access-requests", headers=alice,
                             json={"kind": "role", "role": "compliance"}).json()["id"]
    approving, disabling = app.state.sessionmaker(), app.state.sessionmaker()
    approving.execute(select(AccessRequest).where(AccessRequest.id == request_id).with_for_update()).scalar_one()
    outcome: dict[str, str] = {}

    def disable() -> None:
        try:
            service.update_user(disabling, "wanda", active=False, actor="alice-admin")
            disabling.commit()
            outcome["disable"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["disable"] = repr(exc)
            disabling.rollback()

    worker = threading.Thread(target=disable)
    worker.start()
    time.sleep(0.5)  # the disable now waits on the request's lock
    service.decide_request(approving, app.state.password_hasher, "bruno-admin", request_id, approve=True)
    approving.commit()
    worker.join(30)
    approving.close()
    disabling.close()
    assert outcome == {"disable": "ok"}, outcome
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User.active).where(User.username == "wanda")) is False
