"""The audit trail against an insider (issue 14): the database owner, with the rights to open
the purge door or to drop the triggers, cannot forge a purge, delete checkpoints or shorten
the head without ``verify`` saying so. Both engines.
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from backend import migrations
from backend.audit import service as audit_service
from backend.audit.models import AuditAnchor, AuditCheckpoint, AuditEvent
from backend.audit.witness import Witness
from backend.db import make_engine
from backend.privacy.service import purge
from security.audit_chain import CheckpointSigner, chain_hash
from tests.test_audit_trail import _raw, _write_events

RETENTION = 365


def _verify(app):
    with app.state.sessionmaker() as db:
        return audit_service.verify_trail(
            db, app.state.checkpoint_signer, (), app.state.audit_witness
        )


def _checkpoint(app) -> None:
    with app.state.sessionmaker() as db:
        audit_service.write_checkpoint(db, app.state.checkpoint_signer)
        db.commit()


def _open_door(db) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL octroi.audit_purge = 'on'"))
    else:
        db.execute(text("INSERT INTO audit_purge_guard (id, reason) VALUES (1, 'x')"))


def _recent_chain_with_checkpoints(app) -> None:
    """Ten recent events, signed checkpoints at seq 4 and seq 10."""
    _write_events(app, 4)
    _checkpoint(app)
    _write_events(app, 6)
    _checkpoint(app)


def test_forged_retention_purge_of_recent_events_is_reported(app):
    _recent_chain_with_checkpoints(app)
    # The owner's forgery: open the door, cut recent events 1-4, declare a purge through 4.
    with app.state.sessionmaker() as db:
        _open_door(db)
        db.execute(text("DELETE FROM audit_events WHERE seq <= 4"))
        if db.get_bind().dialect.name == "sqlite":
            db.execute(text("DELETE FROM audit_purge_guard"))
        audit_service.record_event(
            db, None, None, action="audit.purge", actor="octroi privacy purge",
            details={"retention_days": RETENTION, "through_seq": 4, "events_deleted": 4},
        )
        db.commit()
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 1
    assert "no signed retention purge anchor" in result.reason


def test_purge_anchor_with_a_forged_signature_is_reported(app):
    _recent_chain_with_checkpoints(app)
    forger = CheckpointSigner("not the bank's audit key " + uuid.uuid4().hex)
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        through_hash = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 4))
        audit_service.write_anchor(
            db, forger, through_seq=4, through_hash=through_hash,
            newest_purged_ts=now - timedelta(days=RETENTION + 1), retention_days=RETENTION, purged_at=now,
        )
        _open_door(db)
        db.execute(text("DELETE FROM audit_events WHERE seq <= 4"))
        if db.get_bind().dialect.name == "sqlite":
            db.execute(text("DELETE FROM audit_purge_guard"))
        audit_service.record_event(db, None, None, action="audit.purge", details={"through_seq": 4})
        db.commit()
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 5
    assert "signature invalid" in result.reason


def test_signed_purge_of_events_younger_than_the_retention_is_reported(app):
    _recent_chain_with_checkpoints(app)
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        through_hash = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 4))
        newest = db.scalar(select(AuditEvent.ts).where(AuditEvent.seq == 4))
        audit_service.write_anchor(
            db, app.state.checkpoint_signer, through_seq=4, through_hash=through_hash,
            newest_purged_ts=newest, retention_days=RETENTION, purged_at=now,
        )
        db.commit()
    result = _verify(app)
    assert not result.valid and "not older than the 365-day retention" in result.reason


def test_a_real_purge_leaves_a_signed_anchor_in_the_database_and_the_witness(app):
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        for n in range(1, 4):
            audit_service._append(db, {
                "ts": now - timedelta(days=RETENTION + 10 - n), "request_id": None, "actor": "a",
                "role": "advisor", "action": "client.read", "resource": None, "outcome": "success",
                "ip": None, "model_version": None, "input_hash": None, "details": None,
            })
        db.commit()
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        report = purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()
    assert report.through_seq == 3
    with app.state.sessionmaker() as db:
        anchor = db.scalars(select(AuditAnchor)).one()
        assert (anchor.through_seq, anchor.retention_days) == (3, RETENTION)
    records = [r for r in app.state.audit_witness.records() if r["type"] == "purge_anchor"]
    assert [r["through_seq"] for r in records] == [3]
    result = _verify(app)
    assert result.valid, result.reason
    assert result.first_seq == 4 and result.warnings == ()


def test_checkpoints_and_anchors_cannot_be_deleted_even_with_the_purge_door_open(app):
    _recent_chain_with_checkpoints(app)
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        audit_service.write_anchor(
            db, app.state.checkpoint_signer, through_seq=0, through_hash="0" * 64,
            newest_purged_ts=now - timedelta(days=RETENTION + 1), retention_days=RETENTION, purged_at=now,
        )
        db.commit()
    for statement in ("DELETE FROM audit_checkpoints WHERE seq = 10", "DELETE FROM audit_anchors"):
        with app.state.sessionmaker() as db:
            _open_door(db)
            with pytest.raises(DBAPIError, match="append-only"):
                db.execute(text(statement))
            db.rollback()
    assert _verify(app).valid


def test_deleting_the_newest_checkpoint_and_the_tail_is_caught_by_the_witness(app, db_url):
    _recent_chain_with_checkpoints(app)
    # Triggers dropped (the owner can): the tail after seq 4 and its checkpoint go together,
    # leaving a shorter chain that the database alone finds consistent.
    _raw(db_url, "DELETE FROM audit_events WHERE seq > 4", "DELETE FROM audit_checkpoints WHERE seq = 10")
    with app.state.sessionmaker() as db:
        assert audit_service.verify_trail(db, app.state.checkpoint_signer).valid
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 5
    assert "head shortened" in result.reason


def test_a_chain_rewritten_and_rehashed_after_deleting_its_checkpoints_is_caught_by_the_witness(app, db_url):
    _recent_chain_with_checkpoints(app)
    with app.state.sessionmaker() as db:
        events = [audit_service.event_dict(e) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    statements = ["DELETE FROM audit_checkpoints"]
    prev = events[6]["prev_hash"]
    for event in events[6:]:  # rewrite seq 7 and re-chain everything after it
        if event["seq"] == 7:
            event["actor"] = "someone-else"
        event["prev_hash"] = prev
        event["hash"] = chain_hash(prev, event)
        prev = event["hash"]
        statements.append(
            f"UPDATE audit_events SET actor = '{event['actor']}', prev_hash = '{event['prev_hash']}', "
            f"hash = '{event['hash']}' WHERE seq = {event['seq']}"
        )
    _raw(db_url, *statements)
    with app.state.sessionmaker() as db:
        # The database alone caught nothing before; the API's MAC of seq 7 no longer matches it.
        alone = audit_service.verify_trail(db, app.state.checkpoint_signer)
    assert not alone.valid and alone.first_invalid_seq == 7 and alone.reason_code == "mac_invalid"
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 4
    assert "missing from the database" in result.reason
    assert "seq 10: the chain differs from the witness (rewritten)" in _reasons_after(app, 5)


def _reasons_after(app, seq: int) -> str:
    """The witness comparison's reason for records from ``seq`` on (hides earlier ones)."""
    witness = app.state.audit_witness
    kept = Witness(witness.directory.with_name("witness-after"))
    for record in witness.records():
        if int(record["seq"]) >= seq:
            kept.append({k: v for k, v in record.items() if k != "file"})
    with app.state.sessionmaker() as db:
        return audit_service.verify_trail(db, app.state.checkpoint_signer, (), kept).reason or ""


def test_witness_records_are_write_once_files(app):
    _write_events(app, 2)
    _checkpoint(app)
    witness = app.state.audit_witness
    [record] = list(witness.records())
    path = witness.directory / record["file"]
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with pytest.raises(FileExistsError):
        witness.append({k: v for k, v in record.items() if k != "file"})


def test_a_checkpoint_the_witness_never_received_is_a_warning_not_tampering(app):
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        db.info.pop(audit_service.WITNESS_INFO_KEY)  # as if the process died after the commit
        audit_service.write_checkpoint(db, app.state.checkpoint_signer)
        db.commit()
    result = _verify(app)
    assert result.valid and len(result.warnings) == 1 and "seq 2" in result.warnings[0]


def test_checkpoints_are_taken_every_t_seconds_while_the_head_moves(settings, cheap_argon2, monkeypatch):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    monkeypatch.setenv("OCTROI_AUDIT_CHECKPOINT_SECONDS", "1")
    app = create_app(settings)
    with TestClient(app):
        _write_events(app, 2)
        deadline = time.monotonic() + 10
        seqs: list[int] = []
        while time.monotonic() < deadline and seqs != [2]:
            time.sleep(0.2)
            with app.state.sessionmaker() as db:
                seqs = list(db.scalars(select(AuditCheckpoint.seq)))
        assert seqs == [2]


def test_witness_directory_is_configurable(settings, cheap_argon2, monkeypatch, tmp_path):
    from backend.app import create_app

    monkeypatch.setenv("OCTROI_AUDIT_WITNESS_DIR", str(tmp_path / "worm"))
    app = create_app(settings)
    _write_events(app, 1)
    _checkpoint(app)
    assert [p.name.split("-")[0] for p in (tmp_path / "worm").iterdir()] == ["checkpoint"]


# ----------------------------------------------------------------------------- PostgreSQL roles


@pytest.fixture
def app_role_url(pg_url):
    """A login role set up like the API's (``octroi db grant-app-role``), and its URL."""
    role = f"octroi_app_{uuid.uuid4().hex[:8]}"
    owner_url = make_url(pg_url)
    admin = owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    engine = make_engine(pg_url)
    migrations.grant_app_role(engine, role)
    engine.dispose()
    try:
        yield pg_url, owner_url.set(username=role).render_as_string(hide_password=False), role
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        with psycopg.connect(_without_db(admin), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _without_db(conninfo: str) -> str:
    return make_url(conninfo).set(database="postgres").render_as_string(hide_password=False)


def test_the_apis_database_role_cannot_open_the_purge_door_nor_delete_tombstones(app_role_url):
    owner_url, role_url, role = app_role_url
    owner = make_engine(owner_url)
    with owner.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_events (seq, ts, action, outcome, prev_hash, hash) "
            "VALUES (1, now(), 'test.event', 'success', :g, :h)"), {"g": "0" * 64, "h": "1" * 64})
        conn.execute(text(
            "INSERT INTO client_erasures (pseudonym, key_version, erased_at) VALUES (:p, 'v1', now())"),
            {"p": "a" * 64})
        # Even a DELETE grant given by mistake does not open the door to the API's role.
        conn.execute(text(f'GRANT DELETE ON audit_events, client_erasures TO "{role}"'))
    owner.dispose()
    app_engine = make_engine(role_url)
    try:
        with app_engine.connect() as conn:
            conn.execute(text("SET LOCAL octroi.audit_purge = 'on'"))
            with pytest.raises(DBAPIError, match="schema owner only"):
                conn.execute(text("DELETE FROM audit_events WHERE seq = 1"))
            conn.rollback()
            with pytest.raises(DBAPIError, match="tombstones are append-only"):
                conn.execute(text("DELETE FROM client_erasures"))
            conn.rollback()
    finally:
        app_engine.dispose()


def test_a_purge_of_every_event_continues_the_chain_after_its_anchor(app):
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        for _ in range(3):
            audit_service._append(db, {
                "ts": now - timedelta(days=RETENTION + 5), "request_id": None, "actor": "a",
                "role": "advisor", "action": "client.read", "resource": None, "outcome": "success",
                "ip": None, "model_version": None, "input_hash": None, "details": None,
            })
        db.commit()
    with app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()
    _write_events(app, 1)
    with app.state.sessionmaker() as db:
        assert list(db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))) == [4, 5]
    result = _verify(app)
    assert result.valid and result.first_seq == 4, result.reason


# ------------------------------------------- the purge verifies what it deletes (review-insider 1)


def _owner_sql(db_url: str, *statements: str) -> None:
    """The database owner bypasses the triggers for these statements only, then restores them."""
    import sqlite3

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database)
        saved = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'").fetchall()
        for name, _ in saved:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        for _, sql in saved:
            conn.execute(sql)
        conn.commit()
        conn.close()
        return
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)


def _incriminating_trail(app, *, checkpoint_at_5: bool = True) -> None:
    """Recent events 1-10: seq 6 is the one to hide; checkpoints (database and witness) at 5
    (unless told otherwise) and at 9."""
    _write_events(app, 5)
    if checkpoint_at_5:
        _checkpoint(app)
    with app.state.sessionmaker() as db:
        audit_service.commit_audited(db, None, None, action="client.export", actor="mallory",
                                     resource="p" * 64, details={"note": "incriminating"})
    _write_events(app, 3)
    _checkpoint(app)
    _write_events(app, 1)


def _backdated(days: int = RETENTION + 30) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def _rehash_from_1(app, through_backdated: int) -> list[str]:
    """UPDATEs that backdate seq 1..``through_backdated`` and re-hash the whole chain."""
    with app.state.sessionmaker() as db:
        events = [audit_service.event_dict(e) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    ts = _backdated()
    iso = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    statements, prev = [], "0" * 64
    for event in events:
        if event["seq"] <= through_backdated:
            event["ts"] = iso
        event["prev_hash"], event["hash"] = prev, chain_hash(prev, event)
        prev = event["hash"]
        new_ts = f"ts = '{ts}', " if event["seq"] <= through_backdated else ""
        statements.append(f"UPDATE audit_events SET {new_ts}prev_hash = '{event['prev_hash']}', "
                          f"hash = '{event['hash']}' WHERE seq = {event['seq']}")
    return statements


def _purge_refused(app):
    from backend.privacy.service import PurgeRefused

    with app.state.sessionmaker() as db:
        with pytest.raises(PurgeRefused) as refused:
            purge(db, app.state.checkpoint_signer, RETENTION)
        db.rollback()
    return refused.value


def _nothing_purged(app, witness_before: list[str]) -> None:
    with app.state.sessionmaker() as db:
        assert list(db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))) == list(range(1, 11))
        assert db.scalar(select(AuditEvent.seq).where(AuditEvent.actor == "mallory")) == 6
        assert db.scalars(select(AuditAnchor)).all() == []
        assert db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.purge")).all() == []
    assert sorted(p.name for p in app.state.audit_witness.directory.iterdir()) == witness_before


def test_a_purge_refuses_recent_events_whose_timestamps_the_owner_backdated(app, db_url, settings):
    from tests.test_retention_purge import _octroi

    _incriminating_trail(app)
    _owner_sql(db_url, f"UPDATE audit_events SET ts = '{_backdated()}' WHERE seq <= 6")
    witness_before = sorted(p.name for p in app.state.audit_witness.directory.iterdir())
    refused = _purge_refused(app)
    assert refused.seq == 1 and "content does not match its hash" in refused.reason
    _nothing_purged(app, witness_before)
    # The operator's routine run: exit 1 naming the first bad seq, nothing deleted or signed.
    result = _octroi(settings, "privacy", "purge")
    assert result.returncode == 1, result.stdout
    assert "purge refused, nothing was deleted or signed" in result.stderr
    assert "does not verify at seq 1" in result.stderr
    dry = _octroi(settings, "privacy", "purge", "--dry-run")
    assert dry.returncode == 1 and "seq 1" in dry.stderr
    _nothing_purged(app, witness_before)
    assert not _verify(app).valid


def test_a_purge_refuses_a_backdated_prefix_rehashed_once_the_database_checkpoints_are_gone(app, db_url):
    """Re-hashing the chain and deleting the database's checkpoints: the witness's checkpoint
    at seq 5, inside the range to purge, still disagrees."""
    _incriminating_trail(app)
    _owner_sql(db_url, *_rehash_from_1(app, 6), "DELETE FROM audit_checkpoints")
    witness_before = sorted(p.name for p in app.state.audit_witness.directory.iterdir())
    refused = _purge_refused(app)
    assert refused.seq == 5 and "hash differs from the signed checkpoint" in refused.reason
    _nothing_purged(app, witness_before)


def test_a_purge_refuses_a_rehashed_prefix_with_no_checkpoint_inside_it(app, db_url):
    """No checkpoint among seq 1-6: the purge verifies on to the next signed checkpoint (seq 9),
    which the re-hashed chain no longer matches."""
    _incriminating_trail(app, checkpoint_at_5=False)
    _owner_sql(db_url, *_rehash_from_1(app, 6))
    witness_before = sorted(p.name for p in app.state.audit_witness.directory.iterdir())
    refused = _purge_refused(app)
    assert refused.seq == 9 and "hash differs from the signed checkpoint" in refused.reason
    _nothing_purged(app, witness_before)


def test_a_purge_after_an_earlier_purge_verifies_from_its_anchor(app):
    """The second purge starts from the first one's signed anchor, not the genesis."""
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        for n in range(6):
            audit_service._append(db, {
                "ts": now - timedelta(days=RETENTION + 20 - n), "request_id": None, "actor": "a",
                "role": "advisor", "action": "client.read", "resource": None, "outcome": "success",
                "ip": None, "model_version": None, "input_hash": None, "details": None,
            })
        db.commit()
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        assert purge(db, app.state.checkpoint_signer, RETENTION, now=now - timedelta(days=17)).through_seq == 3
        db.commit()
    with app.state.sessionmaker() as db:
        assert purge(db, app.state.checkpoint_signer, RETENTION, now=now).through_seq == 6
        db.commit()
    result = _verify(app)
    assert result.valid and result.first_seq == 7, result.reason
