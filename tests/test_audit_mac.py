"""Who wrote an event. The hash chain proves an event was not changed once chained; it cannot
prove the API wrote it: the database owner inserted a row dated *now* into ``audit_pending``
(the API's role may INSERT there), or appended one to ``audit_events`` with a correct hash,
and both verifications said valid. Every event now carries the API's MAC under a key from its
audit signing secret (migration 0016); verification reports a row without one or with a wrong
one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import structlog.testing
from sqlalchemy import insert, select

from backend.audit import service as audit_service
from backend.audit.models import AuditEvent, AuditPending
from backend.audit.service import commit_audited
from security.audit_chain import CheckpointSigner, chain_hash
from tests.test_audit_trail import _write_events

FORGED = {"request_id": None, "actor": "advisor-framed", "role": "advisor", "action": "client.export",
          "resource": "f" * 64, "outcome": "success", "ip": None, "model_version": None, "input_hash": None,
          "details": {"rows": 5000}}


def _verify(app, retired=()):
    with app.state.sessionmaker() as db:
        return audit_service.verify_trail(db, app.state.checkpoint_signer, retired, app.state.audit_witness)


def _queue(app, **fields) -> None:
    with app.state.sessionmaker() as db:
        db.execute(insert(AuditPending.__table__).values(**{"ts": datetime.now(UTC), **FORGED, **fields}))
        db.commit()


def _seq_of_actor(app, actor: str) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(AuditEvent.seq).where(AuditEvent.actor == actor))


def test_every_event_the_api_writes_carries_its_mac_and_the_trail_verifies(app):
    _write_events(app, 3)
    signer = app.state.checkpoint_signer
    assert _verify(app).valid
    with app.state.sessionmaker() as db:
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert events and all(e.mac and e.mac.startswith(f"{signer.key_id}:") for e in events)
        fields = {name: getattr(events[0], name) for name in audit_service.EVENT_FIELDS}
        assert signer.mac_matches(fields, events[0].mac)
        assert not signer.mac_matches({**fields, "actor": "someone-else"}, events[0].mac)


def test_a_row_the_owner_queues_dated_now_is_reported_with_or_without_a_mac(app):
    _write_events(app, 2)
    _queue(app, actor="no-mac")
    _queue(app, actor="bad-mac", mac=f"{app.state.checkpoint_signer.key_id}:{'0' * 64}")
    _write_events(app, 1)
    with structlog.testing.capture_logs() as logs:
        audit_service.chain_committed(app.state.sessionmaker)
    assert [e["event"] for e in logs if e["event"] == "audit_event_unauthenticated"] == ["audit_event_unauthenticated"]
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == _seq_of_actor(app, "no-mac")
    assert result.reason_code == "mac_missing"
    assert any("MAC does not match" in w and str(_seq_of_actor(app, "bad-mac")) in w for w in result.warnings)


def test_a_row_appended_to_the_chain_with_a_correct_hash_is_reported(app):
    """The owner skips the queue: the next seq, the head's hash, a correct hash of their own."""
    _write_events(app, 2)
    audit_service.chain_committed(app.state.sessionmaker)
    with app.state.sessionmaker() as db:
        head = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        fields = {**FORGED, "seq": head.seq + 1, "ts": datetime.now(UTC)}
        # A MAC copied from a genuine event: it does not cover this content.
        db.execute(insert(AuditEvent.__table__).values(
            **fields, prev_hash=head.hash, hash=chain_hash(head.hash, fields), mac=head.mac))
        db.commit()
    result = _verify(app)
    assert not result.valid and result.reason_code == "mac_invalid", result.reason
    assert result.first_invalid_seq == head.seq + 1


def test_a_key_nobody_knows_is_invalid_and_a_retired_one_is_a_warning_until_the_current_one_took_over(app):
    old = CheckpointSigner("the-signing-secret-before-the-rotation")
    current = app.state.checkpoint_signer
    now = datetime.now(UTC)

    def queue(signer, actor, ago):
        fields = {**FORGED, "actor": actor, "ts": now - ago}
        _queue(app, **fields, mac=signer.event_mac(fields))

    queue(old, "before-the-rotation", timedelta(hours=2))
    queue(current, "first-under-the-new-key", timedelta(minutes=20))
    queue(old, "a-replica-not-yet-restarted", timedelta(minutes=15))  # within the rolling restart
    _write_events(app, 2)
    retired = [old.public_key]
    unknown = _verify(app)  # the old key not configured: who wrote those cannot be told
    assert not unknown.valid and unknown.reason_code == "mac_invalid"
    assert unknown.first_invalid_seq == _seq_of_actor(app, "before-the-rotation")
    result = _verify(app, retired)
    assert result.valid, result.reason
    assert any("2 events are MACed under a retired audit signing key" in w for w in result.warnings), result.warnings

    # The old key used again, long after the current one took over: a forgery under a key the
    # owner may have kept.
    queue(old, "late-old-key", timedelta(0))
    result = _verify(app, retired)
    assert not result.valid and result.reason_code == "mac_invalid"
    assert result.first_invalid_seq == _seq_of_actor(app, "late-old-key")


def _copy_of(app, actor: str) -> dict:
    """A genuine event's content and MAC, as the database owner reads them."""
    with app.state.sessionmaker() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.seq)).first()
        return {name: getattr(event, name) for name in audit_service.EVENT_FIELDS}


@pytest.mark.parametrize("where", ["queue", "chain"])
def test_a_genuine_event_copied_whole_is_reported_as_a_repeat(app, where):
    """An advisor's look-up copied once more, to make one consultation look like two: same
    content, so a correct hash where it lands and a MAC that matches. The MAC occurs twice."""
    _write_events(app, 2)
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="client.read", actor="advisor-framed", resource="c" * 64)
    _write_events(app, 1)
    audit_service.chain_committed(app.state.sessionmaker)
    copy = _copy_of(app, "advisor-framed")
    with app.state.sessionmaker() as db:
        if where == "queue":
            db.execute(insert(AuditPending.__table__).values(**copy))
        else:
            head = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
            fields = {**copy, "seq": head.seq + 1}
            db.execute(insert(AuditEvent.__table__).values(
                **fields, prev_hash=head.hash, hash=chain_hash(head.hash, fields)))
        db.commit()
    _write_events(app, 1)
    result = _verify(app)
    assert not result.valid and result.reason_code == "event_repeated", result.reason
    with app.state.sessionmaker() as db:
        seqs = db.scalars(select(AuditEvent.seq).where(AuditEvent.actor == "advisor-framed").order_by(AuditEvent.seq)).all()
    assert len(seqs) == 2 and result.first_invalid_seq == seqs[1]
    assert f"repeats seq {seqs[0]} exactly" in result.reason


def test_one_process_never_dates_two_events_alike():
    """What makes a repeat a copy: every time the event clock gives is later than the last,
    across threads, even when asked faster than the system clock ticks."""
    given: list[datetime] = []

    def ask() -> None:
        given.extend(audit_service._event_time() for _ in range(5_000))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(given)) == len(given) == 20_000
    mine = [audit_service._event_time() for _ in range(1_000)]
    assert mine == sorted(mine) and all(a < b for a, b in zip(mine, mine[1:], strict=False))
    assert mine[-1] - datetime.now(UTC) < timedelta(seconds=1)  # never runs ahead of the clock
