"""Four-eyes on an erasure (``backend.privacy.erasure_requests``): one compliance officer asks,
another confirms. Before, one compliance account erased at once: a stolen session destroyed
files up to its daily budget. Both engines, the real app, the small applicant file imported.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from backend.audit.models import AuditEvent
from backend.clients.models import Client, ClientErasure
from backend.clients.service import keyring
from backend.privacy.models import ErasureRequest

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _pseudonym(settings, raw) -> str:
    return keyring(settings).pseudonymize(raw).value


def _events(app, *actions: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)))


def _still_there(app, pseudonym: str) -> bool:
    with app.state.sessionmaker() as db:
        return db.get(Client, pseudonym) is not None and db.get(ClientErasure, pseudonym) is None


def test_one_officer_asks_nothing_is_erased_another_confirms_and_the_trail_names_both(
    app, client, auth_headers, imported_clients, settings
):
    raw = imported_clients[0]
    pseudonym = _pseudonym(settings, raw)
    first, second = auth_headers("compliance"), auth_headers("compliance:2")

    asked = client.delete(f"{API}/privacy/clients/{raw}", headers=first)
    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["requested_by"] == "compliance-user"
    assert request["pseudonym"] == pseudonym and str(raw) not in asked.text
    assert _still_there(app, pseudonym)
    assert client.get(f"{API}/clients/{raw}/score", headers=auth_headers("advisor")).status_code == 200
    pending = client.get(f"{API}/privacy/erasure-requests", headers=second).json()
    assert [r["id"] for r in pending["requests"]] == [request["id"]]

    erased = client.delete(f"{API}/privacy/clients/{raw}", headers=second)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["requested_by"] == "compliance-user" and body["request_id"] == request["id"]
    assert not _still_there(app, pseudonym)
    assert client.get(f"{API}/privacy/erasure-requests", headers=second).json()["requests"] == []
    [done] = client.get(f"{API}/privacy/erasure-requests", params={"status": "confirmed"}, headers=first).json()["requests"]
    assert done["decided_by"] == "compliance-user-2" and done["id"] == request["id"]

    asked_event, erase_event = _events(app, "privacy.erase_request", "privacy.erase")
    assert (asked_event.action, asked_event.actor, asked_event.resource) == ("privacy.erase_request", "compliance-user", pseudonym)
    assert (erase_event.action, erase_event.actor) == ("privacy.erase", "compliance-user-2")
    assert erase_event.details["requested_by"] == "compliance-user" and erase_event.details["request"] == request["id"]


def test_the_officer_who_asked_cannot_confirm_a_stolen_session_alone_erases_nothing(
    app, client, auth_headers, imported_clients, settings
):
    """The insider (or whoever holds one compliance session) asks again and again: refused
    with a code, audited as denied, nothing erased."""
    raw = imported_clients[1]
    pseudonym = _pseudonym(settings, raw)
    officer = auth_headers("compliance")
    assert client.delete(f"{API}/privacy/clients/{raw}", headers=officer).status_code == 202
    for _ in range(2):
        again = client.delete(f"{API}/privacy/clients/{raw}", headers=officer)
        assert again.status_code == 403 and again.json()["code"] == "four_eyes", again.text
    assert _still_there(app, pseudonym)
    denied = [e for e in _events(app, "privacy.erase") if e.outcome == "denied"]
    assert len(denied) == 2 and all(e.details["reason"] == "four_eyes" for e in denied)
    # Other clients: each is only ever asked for, never erased, by this one session.
    for other in imported_clients[2:5]:
        assert client.delete(f"{API}/privacy/clients/{other}", headers=officer).status_code == 202
    with app.state.sessionmaker() as db:
        assert db.scalars(select(ClientErasure)).first() is None


def test_a_request_refused_or_withdrawn_erases_nothing_and_the_next_call_asks_anew(
    app, client, auth_headers, imported_clients, settings
):
    raw = imported_clients[2]
    pseudonym = _pseudonym(settings, raw)
    first, second = auth_headers("compliance"), auth_headers("compliance:2")
    request = client.delete(f"{API}/privacy/clients/{raw}", headers=first).json()
    refused = client.post(f"{API}/privacy/erasure-requests/{request['id']}/refuse", headers=second)
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert refused.json()["decided_by"] == "compliance-user-2"
    again = client.post(f"{API}/privacy/erasure-requests/{request['id']}/refuse", headers=second)
    assert again.status_code == 404 and again.json()["code"] == "not_found"
    assert client.post(f"{API}/privacy/erasure-requests/999999/refuse", headers=second).status_code == 404
    assert client.post(f"{API}/privacy/erasure-requests/abc/refuse", headers=second).status_code == 422
    # The second officer's call now asks (the refused request confirms nothing)...
    fresh = client.delete(f"{API}/privacy/clients/{raw}", headers=second)
    assert fresh.status_code == 202 and fresh.json()["id"] != request["id"]
    # ... and its requester may withdraw it.
    withdrawn = client.post(f"{API}/privacy/erasure-requests/{fresh.json()['id']}/refuse", headers=second)
    assert withdrawn.status_code == 200 and withdrawn.json()["decided_by"] == "compliance-user-2"
    assert _still_there(app, pseudonym)
    refusals = _events(app, "privacy.erase_refuse")
    assert [(e.actor, e.outcome) for e in refusals if e.outcome == "success"] == [("compliance-user-2", "success")] * 2
    # The numbers that named no pending request are in the trail too (a probe shows).
    assert sorted(e.resource for e in refusals if e.outcome == "error") == [
        f"erasure_request:{request['id']}", "erasure_request:999999"]


def test_a_request_lapses_after_thirty_days_and_cannot_be_confirmed(
    app, client, auth_headers, imported_clients, settings
):
    raw = imported_clients[3]
    pseudonym = _pseudonym(settings, raw)
    first, second = auth_headers("compliance"), auth_headers("compliance:2")
    request = client.delete(f"{API}/privacy/clients/{raw}", headers=first).json()
    with app.state.sessionmaker() as db:
        db.execute(update(ErasureRequest).where(ErasureRequest.id == request["id"])
                   .values(requested_at=datetime.now(UTC) - timedelta(days=31)))
        db.commit()
    [lapsed] = client.get(f"{API}/privacy/erasure-requests", params={"status": "expired"}, headers=second).json()["requests"]
    assert lapsed["id"] == request["id"] and lapsed["status"] == "expired"
    # The second officer's call is a new request, not a confirmation of the lapsed one.
    assert client.delete(f"{API}/privacy/clients/{raw}", headers=second).status_code == 202
    assert _still_there(app, pseudonym)
    assert client.post(f"{API}/privacy/erasure-requests/{request['id']}/refuse", headers=first).status_code == 404


def test_the_requests_list_is_compliance_s_alone_and_refuses_an_unknown_status(client, auth_headers):
    for role in ("advisor", "comex", "admin"):
        headers = auth_headers(role)
        assert client.get(f"{API}/privacy/erasure-requests", headers=headers).status_code == 403
        assert client.post(f"{API}/privacy/erasure-requests/1/refuse", headers=headers).status_code == 403
    bad = client.get(f"{API}/privacy/erasure-requests", params={"status": "all"}, headers=auth_headers("compliance"))
    assert bad.status_code == 422 and "status" in bad.text


def test_two_officers_confirming_at_once_erase_once(app, client, auth_headers, imported_clients, settings):
    """The request is confirmed once: the other call finds the client gone (404) or, on
    PostgreSQL, the request decided while it waited on its row (409); one tombstone."""
    from concurrent.futures import ThreadPoolExecutor

    raw = imported_clients[4]
    assert client.delete(f"{API}/privacy/clients/{raw}", headers=auth_headers("compliance")).status_code == 202
    confirming = [auth_headers("compliance:2"), auth_headers("compliance:3")]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda h: client.delete(f"{API}/privacy/clients/{raw}", headers=h), confirming))
    assert sorted(a.status_code for a in answers) in ([200, 404], [200, 409]), [a.text for a in answers]
    with app.state.sessionmaker() as db:
        assert len(db.scalars(select(ClientErasure).where(
            ClientErasure.pseudonym == _pseudonym(settings, raw))).all()) == 1
    assert len([e for e in _events(app, "privacy.erase") if e.outcome == "success"]) == 1


def test_the_retention_purge_takes_the_requests_as_old_as_the_events_that_record_them(
    app, client, auth_headers, imported_clients
):
    from backend.privacy.service import purge

    first, second = auth_headers("compliance"), auth_headers("compliance:2")
    old, recent = imported_clients[5], imported_clients[6]
    old_id = client.delete(f"{API}/privacy/clients/{old}", headers=first).json()["id"]
    assert client.post(f"{API}/privacy/erasure-requests/{old_id}/refuse", headers=second).status_code == 200
    recent_id = client.delete(f"{API}/privacy/clients/{recent}", headers=first).json()["id"]
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with app.state.sessionmaker() as db:
        db.execute(update(ErasureRequest).where(ErasureRequest.id == old_id)
                   .values(requested_at=long_ago, decided_at=long_ago))
        db.commit()
    with app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, 365)
        db.commit()
    with app.state.sessionmaker() as db:
        assert [r.id for r in db.scalars(select(ErasureRequest))] == [recent_id]
    [event] = _events(app, "audit.purge")
    assert event.details["erasure_requests_deleted"] == 1


def test_a_request_whose_requester_the_owner_rewrote_is_not_confirmed_by_its_real_requester(
    app, client, auth_headers, imported_clients, settings, db_url
):
    """The database owner rewrote ``erasure_requests.requested_by`` to another officer's name and
    the officer who asked confirmed their own request: one person, two logins' worth of four
    eyes, and the trail contradicting itself (the twenty-eighth session's insider walk). The
    requester is now the one the trail recorded: 409 naming the request as unrecorded, audited,
    nothing erased; and a row no event records cannot be confirmed either."""
    from tests.test_audit_insider import _owner_sql

    raw = imported_clients[2]
    pseudonym = _pseudonym(settings, raw)
    first, second = auth_headers("compliance"), auth_headers("compliance:2")
    request = client.delete(f"{API}/privacy/clients/{raw}", headers=first).json()
    _owner_sql(db_url, f"UPDATE erasure_requests SET requested_by = 'compliance-user-2' WHERE id = {request['id']}")
    refused = client.delete(f"{API}/privacy/clients/{raw}", headers=first)
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["reason"] == "request_unrecorded" and _still_there(app, pseudonym)
    assert client.delete(f"{API}/privacy/clients/{raw}", headers=second).status_code == 409
    assert _still_there(app, pseudonym)
    denied = [e for e in _events(app, "privacy.erase") if e.outcome == "denied"]
    assert denied and denied[-1].details["reason"] == "request_unrecorded"
    # Put back as recorded, the second officer confirms.
    _owner_sql(db_url, f"UPDATE erasure_requests SET requested_by = 'compliance-user' WHERE id = {request['id']}")
    assert client.delete(f"{API}/privacy/clients/{raw}", headers=second).status_code == 200
    assert not _still_there(app, pseudonym)
