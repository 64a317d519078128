"""The audit trail: fail-closed writes, append-only triggers, tamper detection, the API."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import psycopg
import pytest
import structlog
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.testing import CliRunner

import backend.audit.service as audit_service
from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.audit.service import commit_audited, verify_trail
from backend.cli import app as cli_app
from backend.settings import get_settings
from backend.users.models import User
from tests.fixtures.auth import TOKEN_URL


def _write_events(app, count: int) -> None:
    for i in range(count):
        with app.state.sessionmaker() as db:
            commit_audited(db, None, None, action="test.event", actor="tester", details={"i": i})


def _raw(db_url: str, *statements: str) -> None:
    """Run SQL on a raw connection that bypasses the append-only triggers (an attacker with
    direct database access): triggers dropped on SQLite, replica mode on PostgreSQL."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database)
        for name, in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()
        return
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def cli(settings, monkeypatch):
    """Run ``octroi ...`` against the test's database and secrets."""
    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(cli_app, list(args), **kw)
    get_settings.cache_clear()


def test_an_untouched_trail_verifies_with_exit_0(app, cli):
    _write_events(app, 5)
    assert cli("audit", "checkpoint").exit_code == 0
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "5 events, 1 signed checkpoints" in result.output


@pytest.mark.parametrize(
    "tamper, first_bad",
    [
        ("edit", 3),
        ("delete", 3),
        ("insert", 3),
        ("reorder", 3),
        ("truncate_tail", 5),
    ],
)
def test_tampering_through_a_raw_connection_is_caught_naming_the_first_bad_seq(
    app, cli, db_url, tamper, first_bad
):
    _write_events(app, 6)
    assert cli("audit", "checkpoint").exit_code == 0
    statements = {
        "edit": ["UPDATE audit_events SET outcome = 'denied' WHERE seq = 3"],
        "delete": ["DELETE FROM audit_events WHERE seq = 3"],
        # Shift 3..6 up by one, then slip a forged event in at seq 3.
        "insert": [
            *(f"UPDATE audit_events SET seq = {s + 1} WHERE seq = {s}" for s in (6, 5, 4, 3)),
            "INSERT INTO audit_events (seq, ts, actor, action, outcome, prev_hash, hash) "
            "SELECT 3, ts, 'mallory', 'test.event', 'success', hash, '" + "f" * 64 + "' "
            "FROM audit_events WHERE seq = 2",
        ],
        "reorder": [
            "UPDATE audit_events SET seq = 1000 WHERE seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = 1000",
        ],
        # The remaining chain 1..4 is internally valid: only the signed checkpoint at 6 tells.
        "truncate_tail": ["DELETE FROM audit_events WHERE seq >= 5"],
    }[tamper]
    _raw(db_url, *statements)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"INVALID at seq {first_bad}" in result.output
    as_json = json.loads(cli("audit", "verify", "--json").stdout)
    assert as_json["valid"] is False and as_json["first_invalid_seq"] == first_bad


def test_forged_checkpoint_signature_is_caught(app, cli, db_url):
    _write_events(app, 3)
    cli("audit", "checkpoint")
    _raw(db_url, "UPDATE audit_checkpoints SET signature = '" + "00" * 64 + "'")
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "signature invalid" in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'error'",
        "DELETE FROM audit_events WHERE seq = 1",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_checkpoints SET seq = 0",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
    ],
)
def test_update_delete_truncate_through_the_app_connection_are_refused(app, db_url, statement):
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        audit_service.write_checkpoint(db, app.state.checkpoint_signer)
        db.commit()
    if statement.startswith("TRUNCATE") and db_url.startswith("sqlite"):
        pytest.skip("SQLite has no TRUNCATE; 'DELETE FROM t' (tested) is its equivalent")
    with app.state.sessionmaker() as db:
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
            db.commit()
    with app.state.sessionmaker() as db:
        assert db.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 2
        assert verify_trail(db, app.state.checkpoint_signer).valid


def test_the_purge_path_is_a_deliberate_opening_not_a_hole(app, db_url):
    """The later retention purge can delete (and only delete) once it opens the door."""
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        if db_url.startswith("sqlite"):
            db.execute(text("INSERT INTO audit_purge_guard (id, reason) VALUES (1, 'retention')"))
        else:
            db.execute(text("SET LOCAL octroi.audit_purge = 'on'"))
        assert db.execute(text("DELETE FROM audit_events WHERE seq = 1")).rowcount == 1
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text("UPDATE audit_events SET outcome = 'error' WHERE seq = 2"))
        db.rollback()


def test_audit_failure_fails_the_request_with_503_and_leaves_no_trace(app, client, auth_headers, monkeypatch):
    admin = auth_headers("admin")
    with app.state.sessionmaker() as db:
        before = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT INTO audit_events", {}, Exception("disk full"))

    monkeypatch.setattr(audit_service, "_append", broken)
    created = client.post("/api/v1/users", json={"username": "ghost", "role": "advisor"}, headers=admin)
    assert created.status_code == 503
    assert "audit trail is unavailable" in created.json()["detail"]
    login = client.post(TOKEN_URL, data={"username": "admin-user", "password": "x" * 12})
    assert login.status_code == 503
    monkeypatch.undo()
    with app.state.sessionmaker() as db:
        assert db.execute(select(User).where(User.username == "ghost")).first() is None
        assert db.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before
        admin_user = db.execute(select(User).where(User.username == "admin-user")).scalar_one()
        assert admin_user.failed_attempts == 0  # the refused login changed nothing either


def test_each_event_is_emitted_as_a_json_log_line_once_committed(app, client, auth_headers):
    with structlog.testing.capture_logs() as logs:
        client.get("/api/v1/users", headers=auth_headers("admin"))
        # Emitted once chained (by this process's sequencer thread, or right here).
        audit_service.chain_committed(app.state.sessionmaker)
    audit_lines = [line for line in logs if line["event"] == "audit_event"]
    assert [line["action"] for line in audit_lines] == ["auth.login", "user.list"]
    with app.state.sessionmaker() as db:
        last = db.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert audit_lines[-1]["hash"] == last.hash and audit_lines[-1]["seq"] == last.seq


def test_denied_request_is_audited_and_events_page_with_filters_and_cursor(app, client, auth_headers):
    advisor, compliance = auth_headers("advisor"), auth_headers("compliance")
    assert client.get("/api/v1/users", headers=advisor).status_code == 403
    page = client.get("/api/v1/audit/events", params={"outcome": "denied"}, headers=compliance).json()
    assert [(e["actor"], e["action"], e["resource"]) for e in page["events"]] == [
        ("advisor-user", "access.denied", "/api/v1/users")
    ]
    first = client.get("/api/v1/audit/events", params={"limit": 2}, headers=compliance).json()
    assert len(first["events"]) == 2 and first["next_cursor"] == first["events"][-1]["seq"]
    second = client.get(
        "/api/v1/audit/events", params={"limit": 2, "cursor": first["next_cursor"]}, headers=compliance
    ).json()
    assert second["events"][0]["seq"] == first["next_cursor"] - 1
    too_big = client.get("/api/v1/audit/events", params={"limit": 501}, headers=compliance)
    assert too_big.status_code == 422 and "limit" in too_big.json()["detail"]
    bad_outcome = client.get("/api/v1/audit/events", params={"outcome": "maybe"}, headers=compliance)
    assert bad_outcome.status_code == 422 and "outcome" in bad_outcome.json()["detail"]
    reads = client.get("/api/v1/audit/events", params={"action": "audit.read"}, headers=compliance)
    assert len(reads.json()["events"]) >= 3  # reading the trail is itself on the trail


def test_a_period_sent_in_paris_time_finds_what_it_finds_in_utc_and_a_reversed_one_is_refused(
    app, client, auth_headers
):
    """SQLite compares stored UTC times as text: "from=...T22:45+01:00" used to be compared as
    22:45 UTC, so a search in Paris time answered for another hour (here: nothing at all)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    compliance = auth_headers("compliance")
    _write_events(app, 5)
    listed = client.get("/api/v1/audit/events", params={"limit": 500}, headers=compliance).json()["events"]
    times = sorted(datetime.fromisoformat(e["ts"]) for e in listed)
    start, end = times[0], times[-1] + timedelta(microseconds=1)  # every listed event, none after

    def seqs(**period: str) -> list[int]:
        answer = client.get("/api/v1/audit/events", params={"limit": 500, **period}, headers=compliance)
        assert answer.status_code == 200, answer.text
        return [e["seq"] for e in answer.json()["events"]]

    in_utc = seqs(**{"from": start.isoformat(), "to": end.isoformat()})
    assert sorted(in_utc) == sorted(e["seq"] for e in listed)
    paris = ZoneInfo("Europe/Paris")
    assert seqs(**{"from": start.astimezone(paris).isoformat(), "to": end.astimezone(paris).isoformat()}) == in_utc
    naive = {"from": start.replace(tzinfo=None).isoformat(), "to": end.replace(tzinfo=None).isoformat()}
    assert seqs(**naive) == in_utc  # no offset: UTC, as documented

    # A period that ends before it starts is a mistake, not "nothing happened": 422 on 'from'.
    for path in ("/api/v1/audit/events", "/api/v1/audit/export"):
        reversed_ = client.get(path, params={"from": end.isoformat(), "to": start.isoformat()}, headers=compliance)
        assert reversed_.status_code == 422, reversed_.text
        body = reversed_.json()
        assert body["code"] == "validation_error" and body["errors"][0]["field"] == "from"
        assert "earlier than 'to'" in body["detail"]
    beyond = client.get("/api/v1/audit/events", params={"to": "9999-12-31T00:00:00Z"}, headers=compliance)
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["field"] == "to"


def test_verify_and_export_endpoints_are_audited_and_export_streams_the_chain(app, client, auth_headers):
    compliance = auth_headers("compliance")
    verified = client.get("/api/v1/audit/verify", headers=compliance).json()
    assert verified["valid"] is True and verified["first_invalid_seq"] is None
    exported = client.get("/api/v1/audit/export", params={"format": "jsonl"}, headers=compliance)
    assert exported.status_code == 200
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    assert lines[-1]["action"] == "audit.export" and lines[-2]["action"] == "audit.verify"
    as_csv = client.get("/api/v1/audit/export", params={"format": "csv"}, headers=compliance)
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["hash"] for r in rows[: len(lines)]] == [e["hash"] for e in lines]
    bad = client.get("/api/v1/audit/export", params={"format": "xml"}, headers=compliance)
    assert bad.status_code == 422 and "format" in bad.json()["detail"]


def test_checkpoints_are_signed_every_n_events_and_on_shutdown(settings, cheap_argon2, monkeypatch):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    monkeypatch.setenv("OCTROI_AUDIT_CHECKPOINT_EVERY", "3")
    app = create_app(settings)
    with TestClient(app):
        _write_events(app, 7)
        with app.state.sessionmaker() as db:
            assert db.execute(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.id)).scalars().all() == [3, 6]
    with app.state.sessionmaker() as db:
        assert db.execute(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.id)).scalars().all() == [3, 6, 7]
        result = verify_trail(db, app.state.checkpoint_signer)
    assert result.valid and result.checkpoints_checked == 3 and result.events_checked == 7


def test_a_savepoint_neither_emits_nor_drops_what_its_outer_transaction_owes_the_log(app):
    """SQLAlchemy calls the commit and rollback hooks for SAVEPOINTs too: released, the outer
    transaction's events were logged before it committed; rolled back, they were dropped and
    never logged once it did."""
    owed = {"seq": 0, "action": "test.owed", "hash": "0" * 64}
    with structlog.testing.capture_logs() as logs, app.state.sessionmaker() as db:
        db.execute(select(1))
        db.info.setdefault(audit_service._PENDING_INFO_KEY, []).append(owed)
        with db.begin_nested():
            db.execute(select(1))
        assert not [line for line in logs if line["event"] == "audit_event"]  # released: not yet
        try:
            with db.begin_nested():
                db.execute(select(1))
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        assert db.info[audit_service._PENDING_INFO_KEY] == [owed]  # rolled back: still owed
        db.commit()
    assert [line["action"] for line in logs if line["event"] == "audit_event"] == ["test.owed"]
