"""A decision older than the audit retention (1 year) but within the client retention (5 years)
lost its audit event to the signed retention purge: its reproduction said *differs*
(``audit_event`` missing) although nothing was wrong. It now says *identical* and names the
purge (``audit_purged``); a forged anchor or an event missing without a purge still differs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from backend.decisions.service import purge_covering
from backend.privacy.service import purge
from security.audit_chain import key_id_of
from tests.fixtures.auth import login
from tests.test_decision_lifecycle import _decide, _score, advisors, settings  # noqa: F401 - fixtures

API = "/api/v1"
RETENTION = 365


def _keys(app):
    signer = app.state.checkpoint_signer
    return {key_id_of(signer.public_key): signer.public_key}


def test_a_decision_whose_event_was_purged_reproduces_identical_and_says_so(
    app, client, advisors, auth_headers, make_user, imported_clients  # noqa: F811
):
    alice = advisors["alice"]
    raw = imported_clients[3]
    decided = _decide(client, alice, raw, _score(client, alice, raw)["decision"]).json()
    compliance = auth_headers("compliance")
    before = client.get(f"{API}/privacy/decisions/{decided['id']}/reproduce", headers=compliance).json()
    assert before["verdict"] == "identical" and before["audit_purged"] is None

    # A year and a month later the audit retention purge has deleted the event; the decision stays.
    later = datetime.now(UTC) + timedelta(days=RETENTION + 30)
    with app.state.sessionmaker() as db:
        report = purge(db, app.state.checkpoint_signer, RETENTION, now=later)
        db.commit()
    assert report.events_deleted > 0
    # The purge ran "a year later": every login session had expired by then; a fresh one.
    compliance = {"Authorization": f"Bearer {login(client, *make_user('auditor', 'compliance'))['access_token']}"}
    after = client.get(f"{API}/privacy/decisions/{decided['id']}/reproduce", headers=compliance).json()
    assert after["verdict"] == "identical", after["differences"]
    assert after["audit_purged"]["through_seq"] == report.through_seq
    assert after["audit_purged"]["retention_days"] == RETENTION
    assert not any(c["check"].startswith("audit_") for c in after["checks"])

    # The decision row rewritten meanwhile is still caught by its inputs' hash.
    with app.state.sessionmaker() as db:
        db.execute(text("UPDATE advisor_decisions SET input_hash = :h WHERE id = :i"),
                   {"h": "0" * 64, "i": decided["id"]})
        db.commit()
    tampered = client.get(f"{API}/privacy/decisions/{decided['id']}/reproduce", headers=compliance).json()
    assert tampered["verdict"] == "differs"
    assert [d["check"] for d in tampered["differences"]] == ["decision_input_hash"]


def test_only_a_signed_anchor_whose_events_are_gone_excuses_a_missing_event(app, client, advisors, imported_clients):  # noqa: F811
    alice = advisors["alice"]
    raw = imported_clients[4]
    _decide(client, alice, raw, _score(client, alice, raw)["decision"])
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        # The database owner inserts an anchor of their own (no valid signature) covering today.
        db.execute(text(
            "INSERT INTO audit_anchors (through_seq, through_hash, newest_purged_ts, retention_days, purged_at, "
            "key_id, signature) VALUES (1, :h, :ts, 1, :ts, :k, :s)"),
            {"h": "0" * 64, "ts": now + timedelta(days=400), "k": next(iter(_keys(app))), "s": "00" * 64})
        db.commit()
        assert purge_covering(db, now, _keys(app)) is None
        # Without keys nothing is excused either.
        assert purge_covering(db, now - timedelta(days=1), {}) is None
