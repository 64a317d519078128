"""Retention: ``octroi privacy purge`` deletes old audit events through the one documented
opening, anchors the rest with a signed checkpoint so the chain still verifies, and expires
ended sessions and stale lockouts. Both engines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from backend.audit import service as audit_service
from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.auth.models import RefreshFamily, RefreshToken
from backend.privacy.service import purge
from backend.users.models import User

RETENTION = 365
OLD = 5  # events older than the retention period
RECENT = 4


def _event_fields(ts: datetime, n: int) -> dict:
    return {
        "ts": ts, "request_id": None, "actor": "advisor-user", "role": "advisor", "action": "client.read",
        "resource": f"{n:064x}", "outcome": "success", "ip": None, "model_version": None,
        "input_hash": None, "details": None,
    }


def _seed_chain(app, now: datetime) -> None:
    """OLD events well past the retention period (a checkpoint in the middle), then RECENT ones."""
    with app.state.sessionmaker() as db:
        for n in range(1, OLD + 1):
            audit_service._append(db, _event_fields(now - timedelta(days=RETENTION + 30 - n), n))
            if n == 3:
                audit_service.write_checkpoint(db, app.state.checkpoint_signer)
        for n in range(OLD + 1, OLD + RECENT + 1):
            audit_service._append(db, _event_fields(now - timedelta(days=RECENT + OLD - n), n))
        db.commit()


def _cli_env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_DATABASE_URL": settings.effective_database_url, "OCTROI_VAR_DIR": str(settings.var_dir)})
    return env


def _octroi(settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=_cli_env(settings),
                          capture_output=True, text=True, timeout=120)


def test_purge_deletes_events_older_than_the_cutoff_and_the_rest_still_verifies(app, settings):
    now = datetime.now(UTC)
    _seed_chain(app, now)
    signer = app.state.checkpoint_signer

    with app.state.sessionmaker() as db:
        report = purge(db, signer, RETENTION, now=now)
        db.commit()

    assert (report.through_seq, report.events_deleted, report.first_seq) == (OLD, OLD, OLD + 1)
    assert report.anchor_checkpoint_written
    cutoff = now - timedelta(days=RETENTION)
    with app.state.sessionmaker() as db:
        remaining = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in remaining] == list(range(OLD + 1, OLD + RECENT + 2))
        assert all(audit_service.canonical_ts(e.ts) >= audit_service.canonical_ts(cutoff) for e in remaining)
        purge_event = remaining[-1]
        assert purge_event.action == "audit.purge" and purge_event.details["through_seq"] == OLD
        assert purge_event.actor == "octroi privacy purge"
        anchor = db.scalars(select(AuditCheckpoint).where(AuditCheckpoint.seq == OLD)).one()
        assert anchor.head_hash == remaining[0].prev_hash
        result = audit_service.verify_trail(db, signer)
    assert result.valid, result.reason
    assert result.first_seq == OLD + 1 and result.events_checked == RECENT + 1
    assert result.checkpoints_checked == 2  # the old one (signature only) and the anchor

    # The CLI says where the verified chain starts, and a second purge has nothing old to take.
    verified = _octroi(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"from seq {OLD + 1}" in verified.stdout
    again = _octroi(settings, "privacy", "purge")
    assert again.returncode == 0, again.stderr
    assert "no audit event older than" in again.stdout
    assert _octroi(settings, "audit", "verify").returncode == 0


def test_deleting_old_events_without_the_purge_is_still_reported(app):
    now = datetime.now(UTC)
    _seed_chain(app, now)
    with app.state.sessionmaker() as db:
        audit_service.write_checkpoint(db, app.state.checkpoint_signer)  # a checkpoint at the head
        db.commit()
    # Someone with the owner role opens the door and cuts the chain up to the checkpoint at seq 3.
    with app.state.sessionmaker() as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SET LOCAL octroi.audit_purge = 'on'"))
        else:
            db.execute(text("INSERT INTO audit_purge_guard (id, reason) VALUES (1, 'x')"))
        db.execute(text("DELETE FROM audit_events WHERE seq <= 3"))
        if db.get_bind().dialect.name == "sqlite":
            db.execute(text("DELETE FROM audit_purge_guard"))
        db.commit()
    with app.state.sessionmaker() as db:
        result = audit_service.verify_trail(db, app.state.checkpoint_signer)
    assert not result.valid and "no signed retention purge anchor accounts for them" in result.reason
    assert result.first_invalid_seq == 1


def test_purge_keeps_the_triggers_closed_afterwards(app, settings):
    now = datetime.now(UTC)
    _seed_chain(app, now)
    with app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()
    with app.state.sessionmaker() as db:
        with pytest.raises(Exception, match="append-only"):
            db.execute(text(f"DELETE FROM audit_events WHERE seq = {OLD + 1}"))
            db.commit()


def test_purge_expires_ended_sessions_and_stale_lockouts_but_keeps_live_ones(app, make_user):
    now = datetime.now(UTC)
    make_user("live", "advisor")
    make_user("locked", "advisor")
    make_user("stale", "advisor")
    make_user("fresh", "advisor")
    families: dict[str, str] = {}
    with app.state.sessionmaker() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        for name, revoked, expires in (
            ("live", None, now + timedelta(days=3)),
            ("revoked", now - timedelta(hours=1), now + timedelta(days=3)),
            ("expired", None, now - timedelta(days=1)),
        ):
            family_id = uuid.uuid4().hex
            families[name] = family_id
            db.add(RefreshFamily(id=family_id, user_id=users["live"].id, created_at=now - timedelta(days=8),
                                 revoked_at=revoked))
            db.flush()
            db.add(RefreshToken(family_id=family_id, token_hash=uuid.uuid4().hex * 2,
                                issued_at=now - timedelta(days=8), expires_at=expires))
        users["locked"].locked_until = now - timedelta(minutes=1)
        users["stale"].failed_attempts, users["stale"].updated_at = 3, now - timedelta(days=RETENTION + 1)
        users["fresh"].failed_attempts, users["fresh"].updated_at = 2, now - timedelta(days=1)
        db.commit()

    with app.state.sessionmaker() as db:
        report = purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()

    assert (report.sessions_deleted, report.locks_cleared, report.counters_reset) == (2, 1, 1)
    with app.state.sessionmaker() as db:
        assert {f.id for f in db.scalars(select(RefreshFamily))} == {families["live"]}
        assert db.scalar(select(func.count()).select_from(RefreshToken)) == 1
        users = {u.username: u for u in db.scalars(select(User))}
        assert users["locked"].locked_until is None
        assert users["stale"].failed_attempts == 0 and users["fresh"].failed_attempts == 2
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.purge")).one()
        assert event.details["sessions_deleted"] == 2 and event.details["through_seq"] is None


def test_purge_dry_run_changes_nothing(app, settings):
    now = datetime.now(UTC)
    _seed_chain(app, now)
    result = _octroi(settings, "privacy", "purge", "--dry-run", "--retention-days", str(RETENTION))
    assert result.returncode == 0, result.stderr
    assert f"would purge {OLD} audit events up to seq {OLD}" in result.stdout
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == OLD + RECENT


def test_a_purge_rolled_back_leaves_no_log_line_nor_witness_record_of_events_it_never_kept(app, settings):
    """SQLAlchemy calls after_commit when a SAVEPOINT is released too; the audit catch-up chains
    in one, so a dry-run purge logged an ``audit_event`` (seq, hash) the database never kept,
    and a log shipper would later see two different events under that seq."""
    import structlog

    now = datetime.now(UTC)
    _seed_chain(app, now)
    witness = settings.var_dir / "audit-witness"
    before = sorted(p.read_bytes() for p in witness.rglob("*") if p.is_file()) if witness.exists() else []
    with structlog.testing.capture_logs() as logs, app.state.sessionmaker() as db:
        report = purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        assert report.events_deleted == OLD  # what a real run would do, anchor included
        db.rollback()
    # Events the sequencer chained meanwhile (the seeded ones) are logged, as they committed;
    # nothing of the purge's own transaction is.
    with app.state.sessionmaker() as db:
        kept = {(e.seq, e.hash) for e in db.scalars(select(AuditEvent))}
    logged = [(line["seq"], line["hash"], line["action"]) for line in logs if line["event"] == "audit_event"]
    assert [entry for entry in logged if entry[:2] not in kept] == [], "a log line of an event the database does not hold"
    assert "audit.purge" not in {action for *_, action in logged}
    after = sorted(p.read_bytes() for p in witness.rglob("*") if p.is_file()) if witness.exists() else []
    assert after == before

    with structlog.testing.capture_logs() as logs, app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()
    logged = [line for line in logs if line["event"] == "audit_event"]
    with app.state.sessionmaker() as db:
        last = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert [(line["action"], line["seq"], line["hash"]) for line in logged][-1] == ("audit.purge", last.seq, last.hash)



# ----------------------------------------------- the purge verifies what it deletes first


def _refused(app, signer=None, retired=()):
    from backend.privacy.service import PurgeRefused

    with app.state.sessionmaker() as db:
        with pytest.raises(PurgeRefused) as refused:
            purge(db, signer or app.state.checkpoint_signer, RETENTION, retired_keys=retired)
        db.rollback()
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == OLD + RECENT
        assert db.scalar(select(func.count()).select_from(AuditCheckpoint).where(AuditCheckpoint.seq == OLD)) == 0
    return refused.value


@pytest.mark.parametrize("seq", [2, OLD + 1])  # an event to purge; the first kept one (the link)
def test_purge_refuses_when_an_event_it_would_delete_or_link_to_was_edited(app, db_url, settings, seq):
    from tests.test_audit_insider import _owner_sql

    _seed_chain(app, datetime.now(UTC))
    with app.state.sessionmaker() as db:  # reading chains what the sequencer has not yet
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == OLD + RECENT
    _owner_sql(db_url, f"UPDATE audit_events SET actor = 'someone-else' WHERE seq = {seq}")
    refused = _refused(app)
    assert refused.seq == seq and "content does not match its hash" in refused.reason
    result = _octroi(settings, "privacy", "purge")
    assert result.returncode == 1
    assert f"does not verify at seq {seq}" in result.stderr and "nothing was deleted" in result.stderr


def test_purge_checks_checkpoints_signed_before_a_key_rotation_with_the_retired_keys(app):
    from security.audit_chain import CheckpointSigner

    _seed_chain(app, datetime.now(UTC))  # the checkpoint at seq 3 is signed with the old key
    new = CheckpointSigner("the rotated audit key " + uuid.uuid4().hex)
    refused = _refused(app, new)
    assert refused.seq == 3 and "unknown key" in refused.reason
    with app.state.sessionmaker() as db:
        report = purge(db, new, RETENTION, retired_keys=[app.state.checkpoint_signer.public_key])
        db.commit()
    assert report.events_deleted == OLD
    with app.state.sessionmaker() as db:
        result = audit_service.verify_trail(db, new, [app.state.checkpoint_signer.public_key])
    assert result.valid, result.reason
