"""The audit sequencer: requests commit events without the global lock; one sequencer chains
them behind, gapless and verifiable, under concurrent writers and after ``kill -9`` of any
process (writer or sequencer), on SQLite and PostgreSQL.

Counts of pending rows and of chained events are read through plain connections here (not
through an Octroi session, which would chain first), so each test sees the state as it is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import structlog.testing
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import backend.audit.service as audit_service
from backend.audit.models import AuditEvent, AuditPending
from backend.audit.sequencer import Sequencer
from backend.audit.service import chain_committed, commit_audited, verify_trail
from backend.cli import app as cli_app
from backend.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent


def _commit(app, marker: str, **details: object) -> None:
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="test.event", actor="writer", details={"m": marker, **details})


def _state(app) -> tuple[int, list[int], list[str]]:
    """(pending rows, chained seqs, chained markers) as stored, without chaining anything."""
    with app.state.engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(AuditPending.__table__)).scalar_one()
        rows = conn.execute(
            select(AuditEvent.__table__.c.seq, AuditEvent.__table__.c.details).order_by(AuditEvent.__table__.c.seq)
        ).all()
    markers = [r.details["m"] for r in rows if isinstance(r.details, dict) and "m" in r.details]
    return pending, [r.seq for r in rows], markers


def _verify(app):
    with app.state.sessionmaker() as db:
        return verify_trail(db, app.state.checkpoint_signer, witness=app.state.audit_witness)


def _child_env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "OCTROI_DATABASE_URL": settings.effective_database_url,
        "OCTROI_VAR_DIR": str(settings.var_dir),
        "OCTROI_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def test_a_request_commits_its_event_pending_and_the_sequencer_chains_it_in_order(app):
    for i in range(5):
        _commit(app, f"e{i}")
    assert _state(app) == (5, [], [])  # committed durably, nothing chained, no lock taken
    assert chain_committed(app.state.sessionmaker) == 5
    assert _state(app) == (0, [1, 2, 3, 4, 5], [f"e{i}" for i in range(5)])
    with app.state.engine.connect() as conn:
        pending_ids = conn.execute(select(AuditEvent.__table__.c.pending_id).order_by(AuditEvent.__table__.c.seq)).scalars().all()
    assert pending_ids == sorted(pending_ids)
    result = _verify(app)
    assert result.valid and result.events_checked == 5


def test_any_read_of_the_trail_through_a_session_sees_every_committed_event(app):
    for i in range(3):
        _commit(app, f"r{i}")
    with app.state.sessionmaker() as db:
        assert db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all() == [1, 2, 3]


def test_verify_reports_events_committed_but_not_chained_and_the_lag(app, settings, monkeypatch):
    for i in range(3):
        _commit(app, f"v{i}")
    result = _verify(app)
    assert result.valid
    assert result.unchained_events == 3 and result.sequencer_lag_seconds >= 0
    assert result.events_checked == 3  # chained by verify itself, then verified
    _commit(app, "v3")
    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        output = CliRunner().invoke(cli_app, ["audit", "verify"]).output
    finally:
        get_settings.cache_clear()
    assert "audit trail valid: 4 events" in output
    assert "sequencer: 1 committed events were waiting to be chained" in output
    again = _verify(app)
    assert again.unchained_events == 0 and again.sequencer_lag_seconds == 0


def test_the_verify_route_reports_the_sequencer_backlog(app, auth_headers, client):
    response = client.get("/api/v1/audit/verify", headers=auth_headers("compliance"))
    body = response.json()
    assert response.status_code == 200 and body["valid"]
    assert {"unchained_events", "sequencer_lag_seconds"} <= set(body)
    assert body["unchained_events"] >= 0 and body["sequencer_lag_seconds"] >= 0


def _sequencer_threads() -> int:
    return sum(t.name == "audit-sequencer" and t.is_alive() for t in threading.enumerate())


def _chained_within(app, expected: int, seconds: float = 10.0) -> tuple[int, list[int], list[str]]:
    deadline = time.monotonic() + seconds
    while (state := _state(app))[0] or len(state[1]) < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return state


def test_an_app_started_twice_runs_one_sequencer_until_its_last_stop(app):
    # The fuzz test's schema loader (schemathesis.openapi.from_asgi) opens a client of its own
    # on an app already serving: the second start once began a second thread on the same
    # sequencer and connection, whose interleaved batches left an event chained and still
    # pending, after which every chaining failed (UNIQUE pending_id) and exports answered 503.
    before = _sequencer_threads()
    with TestClient(app):
        with TestClient(app):
            assert _sequencer_threads() == before + 1
        # The inner stop stopped nothing the outer client still uses.
        assert _sequencer_threads() == before + 1
        for i in range(30):
            _commit(app, f"e{i}")
        pending, seqs, markers = _chained_within(app, 30)
        assert pending == 0 and markers == [f"e{i}" for i in range(30)]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gapless
    assert _sequencer_threads() == before
    assert _verify(app).valid


def test_starting_a_running_sequencer_again_starts_no_second_thread_and_a_stopped_one_restarts(app):
    sequencer = Sequencer(app.state.engine, app.state.sessionmaker.kw["info"], idle_seconds=0.05)
    before = _sequencer_threads()
    sequencer.start()
    sequencer.start()
    assert _sequencer_threads() == before + 1
    sequencer.stop()
    assert _sequencer_threads() == before
    sequencer.start()  # a restarted app restarts its sequencer
    _commit(app, "after-restart")
    sequencer.notify()
    pending, _, markers = _chained_within(app, 1)
    sequencer.stop()
    assert pending == 0 and markers == ["after-restart"]


def test_concurrent_writer_threads_with_a_running_sequencer_leave_one_gapless_valid_chain(app):
    sequencer = Sequencer(app.state.engine, app.state.sessionmaker.kw["info"], idle_seconds=0.05)
    sequencer.start()
    errors: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            for i in range(40):
                _commit(app, f"t{thread}-{i}")
                sequencer.notify()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sequencer.stop()
    assert not errors, errors
    chain_committed(app.state.sessionmaker)
    pending, seqs, markers = _state(app)
    assert pending == 0 and seqs == list(range(1, 241))
    assert sorted(markers) == sorted(f"t{t}-{i}" for t in range(6) for i in range(40))
    result = _verify(app)
    assert result.valid and result.events_checked == 240 and result.checkpoints_checked >= 2


WRITER = """
import sys, time
from backend.app import create_app
from backend.audit.service import commit_audited
from backend.settings import Settings
name, count = sys.argv[1], int(sys.argv[2])
app = create_app(Settings().ensure_secrets())
for hook in app.state.startup_hooks:  # this process's own sequencer thread, as in the API
    hook(app)
for i in range(count):
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="test.event", actor="writer", details={"m": f"{name}-{i}"})
    print(f"answered {name}-{i}", flush=True)  # the event is committed
for hook in reversed(app.state.shutdown_hooks):
    hook(app)
"""


def _answered(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("answered ")]


@pytest.mark.slow
def test_writer_processes_with_one_killed_mid_way_lose_no_answered_event(app, settings):
    env = _child_env(settings)
    survivors = [
        subprocess.Popen([sys.executable, "-c", WRITER, f"p{n}", "150"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(2)
    ]
    victim = subprocess.Popen([sys.executable, "-c", WRITER, "victim", "100000"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answered: list[str] = []
    assert victim.stdout is not None
    while len(answered) < 60:
        line = victim.stdout.readline()
        assert line, victim.stderr.read() if victim.stderr else "victim ended"
        answered += _answered(line)
    os.kill(victim.pid, signal.SIGKILL)
    answered += _answered(victim.stdout.read())
    victim.wait()
    for process in survivors:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        answered += _answered(out)
    assert len(answered) >= 360
    chain_committed(app.state.sessionmaker)
    pending, seqs, markers = _state(app)
    assert pending == 0 and seqs == list(range(1, len(seqs) + 1))
    assert len(markers) == len(set(markers))
    missing = set(answered) - set(markers)
    assert not missing, sorted(missing)[:5]
    in_doubt = set(markers) - set(answered)  # committed by the victim as it was killed
    assert len(in_doubt) <= 1 and all(m.startswith("victim-") for m in in_doubt)
    result = _verify(app)
    assert result.valid and result.events_checked == len(seqs), result.reason


SEQUENCER_KILLED_MID_BATCH = """
import sys, time
import backend.audit.service as audit_service
from backend.app import create_app
from backend.settings import Settings

def stall(db, count):
    print(f"inserted {count}", flush=True)  # the batch's events are written, not committed
    time.sleep(600)

audit_service._batch_chained = stall
app = create_app(Settings().ensure_secrets())
audit_service.chain_committed(app.state.sessionmaker)
"""


def test_a_sequencer_killed_mid_batch_loses_nothing_and_the_next_run_chains_all(app, settings):
    for i in range(250):
        _commit(app, f"k{i}")
    process = subprocess.Popen([sys.executable, "-c", SEQUENCER_KILLED_MID_BATCH], cwd=ROOT,
                               env=_child_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("inserted"), process.stderr.read() if process.stderr else line
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert _state(app) == (250, [], [])  # its uncommitted batch vanished with it
    deadline = time.monotonic() + 30
    while True:  # PostgreSQL notices the dead connection and releases its lock
        try:
            chain_committed(app.state.sessionmaker)
            break
        except audit_service.AuditUnavailable:
            assert time.monotonic() < deadline
    pending, seqs, markers = _state(app)
    assert pending == 0 and seqs == list(range(1, 251))
    assert markers == [f"k{i}" for i in range(250)]
    result = _verify(app)
    assert result.valid and result.events_checked == 250 and result.checkpoints_checked == 2


def _refusal(app, statement: str, params: dict[str, object] | None = None) -> str | None:
    """The database's refusal of ``statement`` (rolled back either way), or None if it passed."""
    with app.state.engine.connect() as conn:
        try:
            conn.execute(text(statement), params or {})
        except DBAPIError as exc:
            return str(exc.orig)
        finally:
            conn.rollback()
    return None


# An insider's INSERT of a pending event into the chain, bypassing the sequencer.
CHAIN_BY_HAND = (
    "INSERT INTO audit_events (seq, ts, request_id, actor, role, action, resource, outcome, ip, model_version, "
    "input_hash, details, prev_hash, hash, pending_id) VALUES (:seq, :ts, :request_id, :actor, :role, :action, "
    ":resource, :outcome, :ip, :model_version, :input_hash, :details, :prev, :hash, :id)"
)


def _chained_by_hand(row, **changes: object) -> dict[str, object]:
    """Parameters of ``CHAIN_BY_HAND`` for pending ``row``: a faithful copy at seq 1 with a
    made-up hash, unless ``changes`` say otherwise."""
    return dict(row) | {"seq": 1, "prev": "0" * 64, "hash": "f" * 64, "details": json.dumps(row["details"])} | changes


def test_an_insider_cannot_alter_remove_or_reorder_pending_events(app, db_url):
    for i in range(3):
        _commit(app, f"i{i}")
    with app.state.engine.connect() as conn:
        first, second, third = conn.execute(
            select(AuditPending.__table__).order_by(AuditPending.__table__.c.id)
        ).mappings().all()
    append_only = "audit trail is append-only"
    assert append_only in _refusal(app, "UPDATE audit_pending SET outcome = 'denied'")
    assert append_only in _refusal(app, "UPDATE audit_pending SET id = id + 100")
    assert append_only in _refusal(app, "DELETE FROM audit_pending")
    assert append_only in _refusal(app, "DELETE FROM audit_pending WHERE id = :id", {"id": first["id"]})
    if not db_url.startswith("sqlite"):
        assert append_only in _refusal(app, "TRUNCATE audit_pending")
    def chain(row, **changes: object) -> str | None:
        return _refusal(app, CHAIN_BY_HAND, _chained_by_hand(row, **changes))

    assert chain(first) is None  # the faithful copy of the oldest passes (rolled back here)
    assert "in order" in chain(second)  # a younger one cannot jump the queue
    assert "differs" in chain(first, actor="someone-else")
    assert "differs" in chain(first, outcome="error")
    assert "differs" in chain(first, details='{"m": "forged"}')
    assert _state(app) == (3, [], [])
    assert chain_committed(app.state.sessionmaker) == 3
    assert _state(app) == (0, [1, 2, 3], ["i0", "i1", "i2"])
    assert third["id"] > second["id"] > first["id"]
    assert _verify(app).valid


def test_an_event_chained_by_hand_stops_the_chain_visibly_and_the_warning_names_why(app):
    # An insider (or a bug, as the second sequencer thread once was) chains a pending event
    # outside the sequencer: a faithful copy with a seq and hash of their own, committed. The
    # pending row stays; the sequencer cannot chain it again (pending_id is unique), so the
    # chain stops there, answers keep being committed as pending events, verify says the
    # chain is invalid, and the warning says what the database refused.
    _commit(app, "first")
    with app.state.engine.connect() as conn:
        row = conn.execute(select(AuditPending.__table__)).mappings().one()
    with app.state.engine.begin() as conn:
        conn.execute(text(CHAIN_BY_HAND), _chained_by_hand(row))
    _commit(app, "second")
    with structlog.testing.capture_logs() as logs:
        sequencer = Sequencer(app.state.engine, app.state.sessionmaker.kw["info"], idle_seconds=0.05)
        sequencer.start()
        sequencer.notify()
        deadline = time.monotonic() + 10
        while not any(e["event"] == "audit_sequencer_failed" for e in logs) and time.monotonic() < deadline:
            time.sleep(0.02)
        sequencer.stop()
    failed = [e for e in logs if e["event"] == "audit_sequencer_failed"]
    assert failed and "pending_id" in failed[0]["reason"]
    assert "INSERT" not in failed[0]["reason"] and row["actor"] not in failed[0]["reason"]
    assert _state(app)[:2] == (2, [1])  # both answers' events kept, nothing chained after the forgery
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 1


def test_the_inline_mode_chains_in_the_request_transaction_as_before(make_settings, db_url, cheap_argon2):
    from backend.app import create_app

    app = create_app(make_settings(db_url, audit_chain="inline"))
    _commit(app, "inline")
    assert _state(app) == (0, [1], ["inline"])
    assert _verify(app).valid


def test_complete_readers_see_committed_events_the_sequencer_has_not_chained(app, monkeypatch):
    """A data subject's export and the event behind a decision read the chain and the pending
    events: a read-only session that cannot chain first (SQLite, another writer) still misses
    nothing, and an event chained between the two reads is counted once."""
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="test.event", actor="writer", resource="p-1", details={"m": "a"})
    chain_committed(app.state.sessionmaker)
    _commit(app, "unrelated")
    with app.state.sessionmaker() as db:
        commit_audited(db, None, None, action="test.event", actor="writer", resource="p-1", details={"m": "b"})
    monkeypatch.setattr(audit_service, "catch_up", lambda db: 0)  # the stale-read corner
    with app.state.sessionmaker() as db:
        found = audit_service.events_where(db, lambda table: [table.resource == "p-1"])
        assert [e.details["m"] for e in found] == ["a", "b"]
        assert isinstance(found[0], AuditEvent) and isinstance(found[1], AuditPending)

    if app.state.engine.dialect.name != "postgresql":
        return  # SQLite reads one snapshot: nothing can be chained between the two reads
    real_scalars = type(db).scalars
    calls = {"n": 0}

    def chain_between(session, statement, *args, **kwargs):  # the sequencer runs between the reads
        calls["n"] += 1
        if calls["n"] == 2:
            chain_committed(app.state.sessionmaker)
        return real_scalars(session, statement, *args, **kwargs)

    monkeypatch.setattr(type(db), "scalars", chain_between)
    with app.state.sessionmaker() as db:
        found = audit_service.events_where(db, lambda table: [table.resource == "p-1"])
    assert [e.details["m"] for e in found] == ["a", "b"]
    assert _state(app)[0] == 0


def test_a_read_first_snapshot_older_than_the_sequencer_batch_still_sees_the_event(app):
    """SQLite: a read-only request's snapshot began before the sequencer committed the chain,
    so it cannot chain in place (its snapshot is stale for writing); it must still see the
    event an earlier request committed (the audit search once showed an empty page here)."""
    from backend.db import read_first_session

    if app.state.engine.dialect.name != "sqlite":
        return  # PostgreSQL reads commit-by-commit: no stale snapshot to upgrade
    _commit(app, "denied-earlier")
    db = read_first_session(app.state.sessionmaker)
    try:
        assert db.scalars(select(AuditPending.id)).all()  # the snapshot begins, the event pending
        chain_committed(app.state.sessionmaker)  # the background sequencer commits meanwhile
        markers = [d["m"] for d in db.scalars(select(AuditEvent.details)).all() if d and "m" in d]
        assert markers == ["denied-earlier"]
    finally:
        db.close()


def _wait_for(predicate, seconds: float = 60.0) -> None:
    """Poll until ``predicate()`` (a timeout only guards against a hang; nothing is timed)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the sequencer did not get there"
        time.sleep(0.01)


def test_under_a_steady_stream_events_are_chained_in_batches_not_one_by_one(app):
    """Pacing: after a batch, the next starts at most one interval later, so the events that
    arrive one at a time meanwhile (each waking the sequencer) form one batch."""
    sequencer = Sequencer(app.state.engine, app.state.sessionmaker.kw["info"], interval_seconds=5.0)
    sequencer.start()
    try:
        _commit(app, "first")
        sequencer.notify()  # after a quiet spell: chained after the short linger, alone
        _wait_for(lambda: sequencer.chained == 1)
        for i in range(20):  # one at a time, each waking the sequencer, like sequential requests
            _commit(app, f"s{i}")
            sequencer.notify()
        _wait_for(lambda: sequencer.chained == 21)
    finally:
        sequencer.stop()
    assert (sequencer.batches, sequencer.largest_batch) == (2, 20)
    assert _state(app) == (0, list(range(1, 22)), ["first", *(f"s{i}" for i in range(20))])
    assert _verify(app).valid


def test_a_full_batch_means_a_backlog_drained_without_pacing(app):
    for i in range(35):
        _commit(app, f"b{i}")
    sequencer = Sequencer(
        app.state.engine, app.state.sessionmaker.kw["info"], interval_seconds=3600.0, batch_limit=10,
    )
    sequencer.start()
    try:
        sequencer.notify()
        _wait_for(lambda: sequencer.chained == 35)  # long before the (hour-long) interval
    finally:
        sequencer.stop()
    assert (sequencer.batches, sequencer.largest_batch) == (4, 10)
    assert _state(app) == (0, list(range(1, 36)), [f"b{i}" for i in range(35)])
    assert _verify(app).valid
