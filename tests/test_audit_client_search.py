"""Compliance asks "who looked at this client": ``client_id`` on ``/audit/events`` and
``/audit/export`` selects the events about one client (its pseudonyms, every key version);
the search is audited with the pseudonym, never the id as typed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.clients.service import keyring

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def test_the_trail_is_searched_by_client_id_and_the_search_records_only_the_pseudonym(
    app, client, auth_headers, imported_clients
):
    advisor = auth_headers("advisor")
    first, second = imported_clients[0], imported_clients[1]
    for raw in (first, second, first):
        assert client.get(f"{API}/clients/{raw}/score", headers=advisor).status_code == 200
    pseudonym = keyring(app.state.settings).pseudonymize(first).value
    compliance = auth_headers("compliance")

    page = client.get(f"{API}/audit/events", headers=compliance, params={"client_id": f" {first} "})
    assert page.status_code == 200, page.text
    events = page.json()["events"]
    assert len(events) == 2 and {e["resource"] for e in events} == {pseudonym}
    assert {e["actor"] for e in events} == {"advisor-user"}
    # Combined with the other filters.
    assert client.get(f"{API}/audit/events", headers=compliance,
                      params={"client_id": first, "actor": "someone-else"}).json()["events"] == []

    with app.state.sessionmaker() as db:
        search = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.read")
                            .order_by(AuditEvent.seq.desc())).first()
    assert search.details["filters"]["client"] == pseudonym
    assert str(first) not in json.dumps(search.details)

    exported = client.get(f"{API}/audit/export", headers=compliance, params={"format": "jsonl", "client_id": first})
    assert exported.status_code == 200, exported.text
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert len(lines) == 2 and {line["resource"] for line in lines} == {pseudonym}
    with app.state.sessionmaker() as db:
        export_event = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert export_event.details == {"format": "jsonl", "client": pseudonym}


def test_a_malformed_client_id_is_a_422_naming_it_and_nothing_is_audited(app, client, auth_headers, imported_clients):
    compliance = auth_headers("compliance")
    with app.state.sessionmaker() as db:
        before = db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    for bad in ("abc", "-5", "0", "1" * 40):
        answer = client.get(f"{API}/audit/events", headers=compliance, params={"client_id": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["field"].endswith("client_id")
    bundle = client.get(f"{API}/audit/export", headers=compliance,
                        params={"format": "bundle", "client_id": imported_clients[0]})
    assert bundle.status_code == 422 and bundle.json()["errors"][0]["reason"] == "not_allowed_with_bundle"
    # Advisors, COMEX and admins cannot search the trail at all.
    for role in ("advisor", "comex", "admin"):
        assert client.get(f"{API}/audit/events", headers=auth_headers(role),
                          params={"client_id": imported_clients[0]}).status_code == 403
    with app.state.sessionmaker() as db:
        reads = db.scalars(select(AuditEvent).where(AuditEvent.action.in_(["audit.read", "audit.export"]),
                                                    AuditEvent.seq > (before or 0),
                                                    AuditEvent.outcome == "success")).all()
    assert reads == []


def test_the_actor_filter_finds_a_user_however_the_name_is_typed(app, client, auth_headers, imported_clients):
    """Usernames are lower case (the login folds them): "Advisor-User " finds advisor-user's
    events, in the search and the export alike; another name still finds nothing."""
    assert client.get(f"{API}/clients/{imported_clients[0]}/score", headers=auth_headers("advisor")).status_code == 200
    compliance = auth_headers("compliance")
    for typed in ("advisor-user", "Advisor-User", " ADVISOR-USER "):
        events = client.get(f"{API}/audit/events", headers=compliance, params={"actor": typed}).json()["events"]
        assert events and {e["actor"] for e in events} == {"advisor-user"}, typed
        exported = client.get(f"{API}/audit/export", headers=compliance, params={"format": "jsonl", "actor": typed})
        assert exported.status_code == 200 and exported.text.strip(), typed
    assert client.get(f"{API}/audit/events", headers=compliance, params={"actor": "Advisor"}).json()["events"] == []
