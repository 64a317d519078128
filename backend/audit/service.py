"""Writing and reading the audit trail.

A route does its work, then ``commit_audited(db, request, principal, action=...)``: the
event is written in the route's own transaction and both commit together. If the audit write
or the commit fails, nothing is committed and ``AuditUnavailable`` becomes a 503 (fail-closed,
invariant 3).

Two ways to chain (``OCTROI_AUDIT_CHAIN``, docs/decisions/0012-audit-sequencer.md):

- ``sequencer`` (default): the request inserts its event into ``audit_pending`` without any
  global lock; the sequencer (``backend.audit.sequencer``, one at a time cluster-wide) chains
  committed pending events in id order into ``audit_events`` with gapless seq, checkpoints as
  before, and removes them from ``audit_pending`` in the same transaction. Every reader of
  the trail first chains what is committed (``catch_up``; automatic for ORM reads of the
  audit tables through an Octroi session), so what it sees is what was committed.
- ``inline``: the event is chained in the request's transaction under the chain-head lock
  (the original design, kept as the benchmark's baseline).

The chain head is serialized across processes: an advisory lock on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Request
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Join,
    Select,
    TextClause,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

from backend.audit.actions import AuditAction
from backend.audit.models import AuditAnchor, AuditCheckpoint, AuditEvent, AuditPending
from backend.audit.schemas import VerificationCode
from backend.audit.verification import (
    TS_TOLERANCE,
    AuditVerification,
    DateWatch,
    MacWatch,
    Problem,
    account_problems,
    coded,
    decision_problems,
    erasure_problems,
    failed,
    repeated_problems,
    stored_ts_problems,
    with_problems,
)
from backend.audit.witness import (
    ANCHOR,
    CHECKPOINT,
    Witness,
    anchor_record,
    checkpoint_record,
    write_quietly,
)
from backend.auth.principal import Principal
from backend.db import read_first_writer
from backend.prepared import Prepared
from security.audit_chain import (
    GENESIS_HASH,
    CheckpointSigner,
    VerificationResult,
    anchor_message,
    anchor_problem,
    canonical_json,
    canonical_ts,
    chain_hash,
    key_id_of,
    verify_chain,
    verify_signature,
)

log = structlog.get_logger("octroi.audit")

OUTCOMES = ("success", "denied", "error")
# Any constant works; it only has to be the same in every process ("octroi" in ASCII).
ADVISORY_LOCK_KEY = 0x6F6374726F69
SIGNER_INFO_KEY = "octroi_audit_signer"
CHECKPOINT_EVERY_INFO_KEY = "octroi_audit_checkpoint_every"
_PENDING_INFO_KEY = "octroi_audit_pending"
WITNESS_INFO_KEY = "octroi_audit_witness"
_WITNESS_PENDING_KEY = "octroi_audit_witness_pending"
DEFAULT_CHECKPOINT_EVERY = 100
CHAIN_INFO_KEY = "octroi_audit_chain"
WAKE_INFO_KEY = "octroi_audit_wake"  # called after a commit that wrote pending events
_WROTE_PENDING_KEY = "octroi_audit_wrote_pending"
_CAUGHT_UP_KEY = "octroi_audit_caught_up"
_CHAINING_KEY = "octroi_audit_chaining"
SEQUENCER, INLINE = "sequencer", "inline"
CHAIN_MODES = (SEQUENCER, INLINE)
# Events chained per batch (one executemany INSERT, one DELETE).
CHAIN_BATCH = 200
EVENT_FIELDS = (
    "ts", "request_id", "actor", "role", "action", "resource", "outcome", "ip",
    "model_version", "input_hash", "details", "mac",
)


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event committed to ``audit_pending`` (what ``commit_audited`` returns in sequencer
    mode): its fields and its pending ``id``; ``chained_seq`` gives its place in the chain."""

    id: int
    ts: datetime
    request_id: str | None
    actor: str | None
    role: str | None
    action: str
    resource: str | None
    outcome: str
    ip: str | None
    model_version: str | None
    input_hash: str | None
    details: dict[str, Any] | None
    mac: str | None  # the API's MAC of the event (``CheckpointSigner.event_mac``)


# The request's append: one INSERT built once, run straight on the cursor (backend.prepared);
# the new id comes back with it (RETURNING, both engines).
_INSERT_PENDING = Prepared(insert(AuditPending.__table__).returning(AuditPending.__table__.c.id), keys=EVENT_FIELDS)


class AuditUnavailable(RuntimeError):
    """The audit event could not be written; the action must not happen (503)."""


CLI_ROLE = "operator"


def cli_operator() -> str:
    """Who runs a CLI command: ``cli:<os user>``, so CLI actions are audited under a name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"cli:{user}"[:64]


def configure_session_factory(
    factory: Any, signer: CheckpointSigner, every: int, witness: Witness | None = None,
    *, chain: str = SEQUENCER,
) -> None:
    """Give every session of ``factory`` the checkpoint signer, cadence, witness and chain mode."""
    if chain not in CHAIN_MODES:
        raise ValueError(f"chain must be one of {CHAIN_MODES}, not {chain!r}")
    info = dict(factory.kw.get("info") or {})
    info[SIGNER_INFO_KEY] = signer
    info[CHECKPOINT_EVERY_INFO_KEY] = every
    info[CHAIN_INFO_KEY] = chain
    if witness is not None:
        info[WITNESS_INFO_KEY] = witness
    factory.configure(info=info)


def _chain_mode(db: Session) -> str:
    return str(db.info.get(CHAIN_INFO_KEY, SEQUENCER))


def _lock_head(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # SQLite: the transaction already began with BEGIN IMMEDIATE (backend/db.py), so this
    # connection holds the database's single write lock until commit or rollback.


def _try_lock_head(db: Session, wait_seconds: float) -> bool:
    """The chain-head lock for ``db``'s transaction, waiting at most ``wait_seconds``."""
    if db.get_bind().dialect.name != "postgresql":
        return True  # BEGIN IMMEDIATE (backend/db.py) holds SQLite's single write lock
    deadline = time.monotonic() + wait_seconds
    while not db.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def _head(db: Session) -> tuple[int, str]:
    row = db.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if row:
        return row.seq, row.hash
    # Empty table: either a new chain, or a retention purge took every event; then the chain
    # goes on from the purge's signed anchor (never restarts at seq 1).
    anchor = db.execute(
        select(AuditAnchor.through_seq, AuditAnchor.through_hash)
        .order_by(AuditAnchor.through_seq.desc()).limit(1)
    ).first()
    return (anchor.through_seq, anchor.through_hash) if anchor else (0, GENESIS_HASH)


def _append(db: Session, fields: dict[str, Any]) -> AuditEvent | PendingEvent:
    """Write one event in ``db``'s transaction (the one step tests make fail).

    Sequencer mode: one INSERT into ``audit_pending``, no lock. Inline mode: chained at once.
    ``fields`` without a ``mac`` get none (``record_event`` always gives one when it can)."""
    if "mac" not in fields:
        fields = {**fields, "mac": None}
    if _chain_mode(db) == INLINE:
        return _append_inline(db, fields)
    # One prebuilt INSERT on the request's own connection (its transaction): no ORM unit of
    # work, no extra round trip (the new id comes back with it: RETURNING on both engines).
    new_id = _INSERT_PENDING.scalar(db.connection(), fields)
    db.info[_WROTE_PENDING_KEY] = True
    db.info.pop(_CAUGHT_UP_KEY, None)  # a later read in this transaction chains it too
    return PendingEvent(id=int(new_id), **fields)


def _append_inline(db: Session, fields: dict[str, Any]) -> AuditEvent:
    """Lock the head, chain and insert one event."""
    _lock_head(db)
    last_seq, prev_hash = _head(db)
    fields = {**fields, "seq": last_seq + 1}
    event = AuditEvent(**fields, prev_hash=prev_hash, hash=chain_hash(prev_hash, fields))
    db.add(event)
    db.flush()
    signer = db.info.get(SIGNER_INFO_KEY)
    every = int(db.info.get(CHECKPOINT_EVERY_INFO_KEY, DEFAULT_CHECKPOINT_EVERY))
    if signer is not None and event.seq % every == 0:
        insert_checkpoint(db, signer, event.seq, event.hash)
    return event


class _EventClock:
    """Now, and always later than the last time this process gave an event: two events one
    process writes never share a time, so two genuine events never share their whole content
    (an exact copy does: verification's ``event_repeated``)."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._last = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
            return self._last


_event_time = _EventClock()


def record_event(
    db: Session,
    request: Request | None,
    principal: Principal | None,
    *,
    action: str | Enum,
    resource: str | None = None,
    outcome: str = "success",
    model_version: str | None = None,
    input_hash: str | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> AuditEvent | PendingEvent:
    """Write one event in ``db``'s transaction (the caller commits). ``AuditUnavailable`` on failure.

    ``actor``/``role`` name the subject when there is no principal yet (a failed login).
    Never pass a score, a raw client id, a token or a password in any field. Returns the
    pending event (sequencer mode; ``chained_seq`` gives its seq) or the chained one (inline).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    if details is not None:
        canonical_json(details)  # fails early (TypeError/ValueError) on what JSON cannot hold
    try:
        # Dated once the transaction began (SQLite: BEGIN IMMEDIATE, under the write lock;
        # inline: under the chain-head lock), so events are dated in about the order they are
        # numbered and chained: verify reports one dated well before its predecessor.
        if _chain_mode(db) == INLINE:
            _lock_head(db)
        else:
            db.connection()
    except SQLAlchemyError as exc:
        raise AuditUnavailable(f"audit write failed: {type(exc).__name__}") from exc
    fields: dict[str, Any] = {
        "ts": _event_time(),
        "request_id": _request_id(request),
        "actor": principal.username if principal else actor,
        "role": str(principal.role) if principal else role,
        "action": action.value if isinstance(action, Enum) else str(action),
        "resource": resource,
        "outcome": outcome,
        "ip": request.client.host if request is not None and request.client else None,
        "model_version": model_version,
        "input_hash": input_hash,
        "details": details,
    }
    # The API's MAC under a key from its audit signing secret: the database owner, who can
    # insert a row and hash it into the chain, cannot make one (verify: ``mac_invalid``).
    signer = db.info.get(SIGNER_INFO_KEY)
    fields["mac"] = signer.event_mac(fields) if signer is not None else None
    try:
        event = _append(db, fields)
    except AuditUnavailable:
        raise
    except SQLAlchemyError as exc:
        raise AuditUnavailable(f"audit write failed: {type(exc).__name__}") from exc
    if isinstance(event, AuditEvent):
        db.info.setdefault(_PENDING_INFO_KEY, []).append(event_dict(event))
    return event


def commit_audited(
    db: Session,
    request: Request | None,
    principal: Principal | None,
    **event: Any,
) -> AuditEvent | PendingEvent:
    """``record_event`` then ``db.commit()``; any database failure becomes ``AuditUnavailable``."""
    try:
        recorded = record_event(db, request, principal, **event)
        db.commit()
    except AuditUnavailable:
        _rollback_quietly(db)
        raise
    except SQLAlchemyError as exc:
        _rollback_quietly(db)
        raise AuditUnavailable(f"audit commit failed: {type(exc).__name__}") from exc
    return recorded


def _rollback_quietly(db: Session) -> None:
    try:
        db.rollback()
    except SQLAlchemyError:
        # The connection is gone; closing the session discards the transaction anyway.
        log.warning("audit_rollback_failed")


def _request_id(request: Request | None) -> str | None:
    if request is None:
        return None
    return request.scope.get("state", {}).get("request_id")


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "ts": canonical_ts(event.ts),
        "request_id": event.request_id,
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "resource": event.resource,
        "outcome": event.outcome,
        "ip": event.ip,
        "model_version": event.model_version,
        "input_hash": event.input_hash,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


# Log shipping: one JSON line per event, emitted only once its transaction committed, so the
# log never shows an event the database does not have.
@sa_event.listens_for(Session, "after_commit")
def _emit_committed(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy also calls after_commit when a SAVEPOINT is released (the catch-up chains
        # in one): the outer transaction may still roll back, as a dry-run purge does, and the
        # log and the witness would then hold an event, seq and hash the database never kept.
        return
    session.info.pop(_CAUGHT_UP_KEY, None)
    if session.info.pop(_WROTE_PENDING_KEY, False):
        wake = session.info.get(WAKE_INFO_KEY)
        if wake is not None:
            wake()
    for payload in session.info.pop(_PENDING_INFO_KEY, []):
        log.info("audit_event", **payload)
    witnessed = session.info.pop(_WITNESS_PENDING_KEY, [])
    witness = session.info.get(WITNESS_INFO_KEY)
    if witnessed and witness is not None:
        write_quietly(witness, witnessed)


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT rolled back (SQLAlchemy calls this hook for those too): what the outer
        # transaction chained before it still commits with it and is still owed its log lines
        # and witness records; the savepoint's opener trims what it added (_chain_in_place).
        return
    session.info.pop(_CAUGHT_UP_KEY, None)
    session.info.pop(_WROTE_PENDING_KEY, None)
    session.info.pop(_PENDING_INFO_KEY, None)
    session.info.pop(_WITNESS_PENDING_KEY, None)


def _witness_later(db: Session, record: dict[str, Any]) -> None:
    if db.info.get(WITNESS_INFO_KEY) is not None:
        db.info.setdefault(_WITNESS_PENDING_KEY, []).append(record)


# --- the sequencer: chaining committed pending events ------------------------------------
#
# Every statement below is built once at import and run through Core on one connection: the
# compiled form comes from SQLAlchemy's statement cache, and no ORM unit of work, identity map
# or session is involved. A batch is: take the chain (advisory lock on PostgreSQL, BEGIN
# IMMEDIATE on SQLite), read the head and the oldest committed pending events in one
# statement, insert the chained events (one statement), sign a checkpoint when a multiple of
# the cadence is crossed, delete the chained pending rows (one statement), commit. Nothing in
# it reads or scales with the length of the chain (the head is one index probe).

_EVENTS = AuditEvent.__table__
_PENDING = AuditPending.__table__
_CHECKPOINTS = AuditCheckpoint.__table__


def _head_of(column: Any) -> Any:
    return select(column).order_by(_EVENTS.c.seq.desc()).limit(1).scalar_subquery()


# The head rides along with every pending row (an uncorrelated subquery: evaluated once).
_READ_BATCH = (
    select(_head_of(_EVENTS.c.seq).label("head_seq"), _head_of(_EVENTS.c.hash).label("head_hash"),
           _head_of(_EVENTS.c.ts).label("head_ts"), *_PENDING.c)
    .order_by(_PENDING.c.id)
    .limit(bindparam("size", type_=Integer))
)
_DELETE_CHAINED = delete(_PENDING).where(_PENDING.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_CHECKPOINT = insert(_CHECKPOINTS)
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
_UNLOCK = text("SELECT pg_advisory_unlock(:key)").bindparams(key=ADVISORY_LOCK_KEY)


def chain_pending(db: Session, limit: int | None = None) -> int:
    """Chain committed pending events in id order into ``audit_events`` in ``db``'s
    transaction (the caller holds the chain-head lock and commits): gapless seq, hash chained,
    a checkpoint at every multiple of the cadence, and the chained pending rows removed in the
    same transaction. Log lines and witness records follow the session's commit."""
    count, payloads, witnessed = _chain_rows(db.connection(), db.info, limit)
    db.info.setdefault(_PENDING_INFO_KEY, []).extend(payloads)
    for record in witnessed:
        _witness_later(db, record)
    return count


def _chain_rows(
    conn: Connection, info: dict[str, Any], limit: int | None
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """The chaining itself, on ``conn``'s open transaction: (events chained, their log
    payloads, the witness records of the checkpoints signed)."""
    signer = info.get(SIGNER_INFO_KEY)
    every = int(info.get(CHECKPOINT_EVERY_INFO_KEY, DEFAULT_CHECKPOINT_EVERY))
    payloads: list[dict[str, Any]] = []
    witnessed: list[dict[str, Any]] = []
    chained = 0
    head: tuple[int, str] | None = None
    last_ts: datetime | None = None
    while limit is None or chained < limit:
        size = CHAIN_BATCH if limit is None else min(CHAIN_BATCH, limit - chained)
        rows = conn.execute(_READ_BATCH, {"size": size}).mappings().all()
        if not rows:
            break
        if head is None:
            first = rows[0]
            head = (int(first["head_seq"]), first["head_hash"]) if first["head_seq"] is not None else _anchor_head(conn)
            last_ts = first["head_ts"]
        seq, prev_hash = head
        values = []
        for row in rows:
            seq += 1
            last_ts = _flag_backdated(seq, row, last_ts)
            fields = {name: row[name] for name in EVENT_FIELDS}
            if signer is not None and fields["mac"] is not None and not signer.mac_matches(fields, fields["mac"]):
                # Chained all the same (verify names it: mac_invalid); said at once in the log.
                log.warning("audit_event_unauthenticated", seq=seq, pending_id=row["id"])
            fields["seq"] = seq
            digest = chain_hash(prev_hash, fields)
            values.append(fields | {"prev_hash": prev_hash, "hash": digest, "pending_id": row["id"]})
            prev_hash = digest
        _insert_events(conn, values)
        if signer is not None:
            for value in values:
                if value["seq"] % every == 0:
                    witnessed.append(_insert_checkpoint_row(conn, signer, value["seq"], value["hash"]))
        _batch_chained(conn, len(values))
        conn.execute(_DELETE_CHAINED, {"ids": [row["id"] for row in rows]})
        payloads.extend(_log_payload(v) for v in values)
        head = (seq, prev_hash)
        chained += len(rows)
        if len(rows) < size:
            break
    return chained, payloads, witnessed


def _flag_backdated(seq: int, row: Any, previous: datetime | None) -> datetime | None:
    """Log a pending event dated well before the event chained just before it (``verify``
    reports it too: backend.audit.verification); returns its time."""
    ts = row["ts"]
    if ts is None:
        return previous
    ts = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    if previous is not None:
        previous = previous if previous.tzinfo is not None else previous.replace(tzinfo=UTC)
        if ts < previous - TS_TOLERANCE:
            log.warning("audit_event_backdated", seq=seq, pending_id=row["id"],
                        earlier_by_seconds=round((previous - ts).total_seconds(), 3))
    return ts


def _anchor_head(conn: Connection) -> tuple[int, str]:
    # Empty chain: either a new one, or a retention purge took every event; then the chain
    # goes on from the purge's signed anchor (never restarts at seq 1).
    anchors = AuditAnchor.__table__
    anchor = conn.execute(
        select(anchors.c.through_seq, anchors.c.through_hash).order_by(anchors.c.through_seq.desc()).limit(1)
    ).first()
    return (int(anchor.through_seq), anchor.through_hash) if anchor else (0, GENESIS_HASH)


def _insert_checkpoint_row(conn: Connection, signer: CheckpointSigner, seq: int, head_hash: str) -> dict[str, Any]:
    """``insert_checkpoint`` through Core; returns the record for the witness."""
    created = datetime.now(UTC)
    signature = signer.sign(seq, head_hash, created)
    conn.execute(_INSERT_CHECKPOINT, {
        "seq": seq, "head_hash": head_hash, "created_at": created, "key_id": signer.key_id, "signature": signature,
    })
    return checkpoint_record(seq, head_hash, canonical_ts(created), signer.key_id, signature)


# The events are copied by the database from their pending rows: only seq, prev_hash, hash
# and the pending id travel (what the sequencer computed), never the fields again.
_COPIED = ", ".join(f"p.{name}" for name in EVENT_FIELDS)
_EVENT_COLUMNS = ", ".join(("seq", *EVENT_FIELDS, "prev_hash", "hash", "pending_id"))
# PostgreSQL: the whole batch in one statement (one array per computed column), so the
# in-order trigger runs once per batch rather than once per event; prepared once.
_PG_INSERT_BATCH = text(
    # Built from the constant column names above, never from input.
    f"INSERT INTO audit_events ({_EVENT_COLUMNS}) SELECT c.seq, {_COPIED}, c.prev_hash, c.hash, p.id "  # noqa: S608  # nosec B608
    "FROM unnest(CAST(:seq AS bigint[]), CAST(:prev_hash AS varchar[]), CAST(:hash AS varchar[]), "
    "CAST(:pending_id AS bigint[])) AS c(seq, prev_hash, hash, pending_id) "
    "JOIN audit_pending p ON p.id = c.pending_id"
)
# SQLite: executemany of one cached statement.
_INSERT_ONE = text(
    f"INSERT INTO audit_events ({_EVENT_COLUMNS}) SELECT :seq, {_COPIED}, :prev_hash, :hash, p.id "  # noqa: S608  # nosec B608
    "FROM audit_pending p WHERE p.id = :pending_id"
)
_COMPUTED = ("seq", "prev_hash", "hash", "pending_id")


def _insert_events(conn: Connection, values: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        inserted = conn.execute(_PG_INSERT_BATCH, {c: [v[c] for v in values] for c in _COMPUTED}).rowcount
    else:
        inserted = conn.execute(_INSERT_ONE, [{c: v[c] for c in _COMPUTED} for v in values]).rowcount
    if inserted != len(values):  # a pending row read in this transaction vanished: refuse
        raise AuditUnavailable(f"audit sequencer: {inserted} of {len(values)} events copied")


def _batch_chained(conn: Connection, count: int) -> None:
    """Between inserting a batch's events and removing its pending rows (a seam for the
    ``kill -9`` mid-batch test)."""


def _log_payload(value: dict[str, Any]) -> dict[str, Any]:
    return {name: value[name] for name in ("seq", *EVENT_FIELDS, "prev_hash", "hash") if name != "mac"} | {
        "ts": canonical_ts(value["ts"])
    }


def _after_commit(info: dict[str, Any], payloads: list[dict[str, Any]], witnessed: list[dict[str, Any]]) -> None:
    """What a committed batch owes the outside: one log line per event, the witness records."""
    for payload in payloads:
        log.info("audit_event", **payload)
    witness = info.get(WITNESS_INFO_KEY)
    if witnessed and witness is not None:
        write_quietly(witness, witnessed)


def sequence_once(bind: Engine, info: dict[str, Any], limit: int = 5 * CHAIN_BATCH) -> int | None:
    """One sequencer transaction of at most ``limit`` events on a connection of its own,
    committed; None when another process holds the chain right now."""
    with bind.connect() as conn:
        return sequence_on(conn, info, limit)


def sequence_on(conn: Connection, info: dict[str, Any], limit: int = 5 * CHAIN_BATCH) -> int | None:
    """One sequencer transaction of at most ``limit`` events on ``conn`` (outside any
    transaction), committed; None when another process holds the chain right now.

    PostgreSQL: a session-level advisory lock is taken first (autocommit: no transaction
    around it), then the batch runs in a REPEATABLE READ transaction, so its snapshot holds
    every event chained before and the in-order trigger judges exactly the pending events
    this batch could see. SQLite: the batch's BEGIN IMMEDIATE is the lock.
    """
    if conn.dialect.name != "postgresql":
        with conn.begin():
            count, payloads, witnessed = _chain_rows(conn, info, limit)
        _after_commit(info, payloads, witnessed)
        return count
    conn.execution_options(isolation_level="AUTOCOMMIT")
    locked = conn.execute(_TRY_LOCK).scalar()
    conn.commit()  # ends SQLAlchemy's autobegun block (nothing is sent in autocommit)
    if not locked:
        return None
    try:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            count, payloads, witnessed = _chain_rows(conn, info, limit)
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(_UNLOCK)
        conn.commit()
    _after_commit(info, payloads, witnessed)
    return count


def sequence_now(bind: Engine, info: dict[str, Any], wait_seconds: float = 30.0) -> int:
    """Chain everything committed so far (waiting for another process's batch if needed)."""
    deadline = time.monotonic() + wait_seconds
    total = 0
    while True:
        count = sequence_once(bind, info)
        if count is None:
            if time.monotonic() >= deadline:
                raise AuditUnavailable("the audit chain stayed locked by another process")
            time.sleep(0.005)
            continue
        total += count
        if count < 5 * CHAIN_BATCH:
            return total


def chain_committed(factory: Any) -> int:
    """``sequence_now`` for a session factory: every event committed so far is chained."""
    return sequence_now(factory.kw["bind"], factory.kw.get("info") or {})


def catch_up(db: Session) -> int:
    """Chain every committed pending event before ``db`` reads the trail.

    Outside a transaction: a committed sequencer run on its own connection. Inside one (a
    request that already read or wrote): in ``db``'s transaction, under a savepoint, so a
    failure leaves the reader as it was (it then sees the chain without the newest events).
    """
    if _chain_mode(db) == INLINE or db.info.get(_CHAINING_KEY):
        return 0
    db.info[_CHAINING_KEY] = True
    try:
        if db.in_transaction() and read_first_writer(db) is not None and not (db.new or db.dirty or db.deleted):
            # A read-first SQLite snapshot cannot take the write lock once another writer (the
            # sequencer itself) committed after it began: end the read (it wrote nothing), chain
            # on the sequencer's own connection, and let the read begin a fresh snapshot.
            db.commit()
            count = _sequence_quietly(db)
        elif db.in_transaction():
            count = _chain_in_place(db)
        else:
            count = _sequence_quietly(db)
    finally:
        db.info.pop(_CHAINING_KEY, None)
    db.info[_CAUGHT_UP_KEY] = True
    return count


def failure_reason(exc: BaseException) -> str:
    """What a failed chaining tells an operator: the database's own first line (a trigger's
    refusal, a constraint's name), never the statement or its parameters."""
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).strip()
    return text_.splitlines()[0][:300] if text_ else type(exc).__name__


def _sequence_quietly(db: Session) -> int:
    # A read-first session's own bind begins deferred: the sequencer writes through the other.
    bind = read_first_writer(db) or db.get_bind()
    try:
        return sequence_now(bind, db.info)
    except (SQLAlchemyError, AuditUnavailable) as exc:
        log.warning("audit_catch_up_failed", error_type=type(exc).__name__, reason=failure_reason(exc))
        return 0


def _chain_in_place(db: Session, attempts: int = 3, wait_seconds: float = 5.0) -> int:
    # READ COMMITTED: an older pending event may commit between this batch's SELECT and its
    # INSERT, which the in-order trigger refuses; the next attempt sees and chains it.
    for _ in range(attempts):
        marks = {key: len(db.info.get(key, [])) for key in (_PENDING_INFO_KEY, _WITNESS_PENDING_KEY)}
        try:
            with db.begin_nested():
                if db.execute(select(AuditPending.id).limit(1)).first() is None:
                    return 0
                if not _try_lock_head(db, wait_seconds):
                    log.warning("audit_catch_up_skipped", reason="chain locked")
                    return 0
                return chain_pending(db)
        except (SQLAlchemyError, AuditUnavailable) as exc:
            for key, mark in marks.items():
                del db.info.get(key, [])[mark:]
            log.warning("audit_catch_up_failed", error_type=type(exc).__name__, reason=failure_reason(exc))
    return 0


_CHAINED_TABLES = frozenset({AuditEvent.__table__, AuditCheckpoint.__table__})
_CHAINED_NAMES = tuple(table.name for table in _CHAINED_TABLES)


def _reads_chain(statement: Any) -> bool:
    def touches(from_: Any) -> bool:
        if isinstance(from_, Join):
            return touches(from_.left) or touches(from_.right)
        return from_ in _CHAINED_TABLES

    if isinstance(statement, TextClause):  # hand-written SQL (operators, insider tests)
        return any(name in statement.text for name in _CHAINED_NAMES)
    if not isinstance(statement, Select):
        return False
    # The columns' tables and select_from()'s: cheap on every query, unlike get_final_froms().
    froms = (*statement.columns_clause_froms, *getattr(statement, "_from_obj", ()))
    return any(touches(f) for f in froms)


@sa_event.listens_for(Session, "do_orm_execute")
def _chain_before_reading(state: ORMExecuteState) -> None:
    """Whoever reads events or checkpoints through a session sees every committed event."""
    info = state.session.info
    if (
        info.get(_CAUGHT_UP_KEY) or info.get(_CHAINING_KEY)
        or _chain_mode(state.session) == INLINE or not _reads_chain(state.statement)
    ):
        return
    catch_up(state.session)


def chained_seq(db: Session, recorded: AuditEvent | PendingEvent) -> int:
    """The seq of an event ``commit_audited`` returned, chaining it first if it is pending."""
    if isinstance(recorded, AuditEvent):
        return recorded.seq
    catch_up(db)
    seq = db.scalar(select(AuditEvent.seq).where(AuditEvent.pending_id == recorded.id))
    db.rollback()  # ends the read (releases SQLite's write lock)
    if seq is None:
        raise AuditUnavailable("the audit sequencer could not chain the event")
    return int(seq)


def events_where(
    db: Session, criteria: Callable[[type[AuditEvent] | type[AuditPending]], list[Any]]
) -> list[AuditEvent | AuditPending]:
    """Every recorded event matching ``criteria``, chained or not yet chained, in chain order.

    For readers that must be complete (a data subject's export, the event behind a decision):
    an answered request's event is committed, but may still wait for the sequencer, and a
    read-only session cannot always chain it first. Pending rows are read before the chain:
    a row chained in between is then seen twice and kept once (by ``pending_id``), never
    missed. ``criteria(model)`` returns the WHERE clauses for either table.
    """
    pending = db.scalars(
        select(AuditPending).where(*criteria(AuditPending)).order_by(AuditPending.id)
    ).all()
    chained = db.scalars(
        select(AuditEvent).where(*criteria(AuditEvent)).order_by(AuditEvent.seq)
    ).all()
    seen = {event.pending_id for event in chained if event.pending_id is not None}
    return [*chained, *(row for row in pending if row.id not in seen)]


def recorded_actor(db: Session, keys: Mapping[str, str], resource: str, value: int) -> str | None:
    """Who the trail says did it: the actor of the first successful event (chained, or still
    waiting for the sequencer) among ``keys``' actions on ``resource`` whose
    ``details[keys[action]]`` is ``value``. A four-eyes rule compares with this, not with a
    ``requested_by`` column the database owner may rewrite (one person then asked and approved:
    the twenty-eighth session's insider walk). None: no such event."""
    for event in events_where(db, lambda model: [model.action.in_(list(keys)), model.resource == resource,
                                                 model.outcome == "success"]):
        details = event.details if isinstance(event.details, dict) else {}
        found = details.get(keys[event.action])
        if isinstance(found, int) and not isinstance(found, bool) and found == value:
            return event.actor
    return None


def chain_backlog(db: Session) -> tuple[int, float]:
    """Events committed but not chained yet, and the age in seconds of the oldest of them."""
    began = db.in_transaction()
    count, oldest = db.execute(select(func.count(), func.min(AuditPending.ts))).one()
    if not began:
        db.rollback()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds())


# --- checkpoints and verification ---------------------------------------------------------


def insert_checkpoint(db: Session, signer: CheckpointSigner, seq: int, head_hash: str) -> AuditCheckpoint:
    created = datetime.now(UTC)
    checkpoint = AuditCheckpoint(
        seq=seq,
        head_hash=head_hash,
        created_at=created,
        key_id=signer.key_id,
        signature=signer.sign(seq, head_hash, created),
    )
    db.add(checkpoint)
    db.flush()
    _witness_later(db, checkpoint_record(
        seq, head_hash, canonical_ts(created), signer.key_id, checkpoint.signature
    ))
    return checkpoint


def write_anchor(
    db: Session, signer: CheckpointSigner, *, through_seq: int, through_hash: str,
    newest_purged_ts: datetime, retention_days: int, purged_at: datetime,
) -> AuditAnchor:
    """Sign and store the statement of a retention purge (caller commits); witnessed too."""
    fields: dict[str, Any] = {
        "through_seq": through_seq,
        "through_hash": through_hash,
        "newest_purged_ts": canonical_ts(newest_purged_ts),
        "retention_days": retention_days,
        "purged_at": canonical_ts(purged_at),
    }
    signature = signer.sign_message(anchor_message(fields))
    anchor = AuditAnchor(
        through_seq=through_seq, through_hash=through_hash, newest_purged_ts=newest_purged_ts,
        retention_days=retention_days, purged_at=purged_at, key_id=signer.key_id, signature=signature,
    )
    db.add(anchor)
    db.flush()
    _witness_later(db, anchor_record(fields | {"key_id": signer.key_id, "signature": signature}))
    return anchor


def write_checkpoint(db: Session, signer: CheckpointSigner) -> AuditCheckpoint | None:
    """Sign the current head (the caller commits). None when the chain is empty or the head
    already has a checkpoint."""
    catch_up(db)
    _lock_head(db)
    seq, head_hash = _head(db)
    if seq == 0:
        return None
    latest = db.execute(select(func.max(AuditCheckpoint.seq))).scalar()
    if latest is not None and latest >= seq:
        return None
    return insert_checkpoint(db, signer, seq, head_hash)


def write_head_checkpoint(db: Session, signer: CheckpointSigner) -> tuple[int, str, datetime, bool]:
    """Sign a fresh checkpoint at the current head, under the chain-head lock (the caller commits;
    the witness gets it after the commit): ``(seq, head hash, signing time, checkpoint written)``.

    For the verifiable export: while the lock is held no checkpoint beyond the head exists, so a
    witness checkpoint past the export's head signed at or before this time means the tail was
    cut. Always a new checkpoint (an older one at the same seq would date the export too early).
    An empty chain gets no checkpoint (its head is the genesis or the last purge anchor)."""
    catch_up(db)
    _lock_head(db)
    seq, head_hash = _head(db)
    if db.scalar(select(AuditEvent.seq).where(AuditEvent.seq == seq)) is None:
        return seq, head_hash, datetime.now(UTC), False
    checkpoint = insert_checkpoint(db, signer, seq, head_hash)
    return seq, head_hash, checkpoint.created_at, True


def iter_events(db: Session, batch: int = 1000, *, through: int | None = None) -> Iterator[dict[str, Any]]:
    """Every event (up to ``through`` when given) by ascending seq, read in keyset pages so
    memory stays flat."""
    after = 0
    bound = () if through is None else (AuditEvent.seq <= through,)
    while True:
        rows = db.execute(
            select(AuditEvent).where(AuditEvent.seq > after, *bound).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield event_dict(row) | {"ts": row.ts, "mac": row.mac}
        after = rows[-1].seq
        db.expunge_all()


PURGE_ACTION = AuditAction.audit_purge


def verify_trail(
    db: Session,
    signer: CheckpointSigner,
    retired_keys: Iterable[Ed25519PublicKey] = (),
    witness: Witness | None = None,
) -> AuditVerification:
    """Verify the chain, every checkpoint and purge anchor, then compare with the witness, then
    the events' dates and the erasures they record with the database
    (``backend.audit.verification``). A failure carries its ``reason_code``.

    ``retired_keys`` verify what was signed before an audit signing key rotation. Events
    committed but not chained yet are counted first (``unchained_events``, and the age of
    the oldest: ``sequencer_lag_seconds``), then chained, so they are verified too; any
    that could not be chained is reported as a warning.
    """
    if _chain_mode(db) == INLINE:
        return _verify_chained(db, signer, retired_keys, witness)
    unchained, lag = chain_backlog(db)
    catch_up(db)
    result = _verify_chained(db, signer, retired_keys, witness)
    left, _ = chain_backlog(db)
    warnings = result.warnings
    if left:
        warnings = (*warnings, f"{left} committed events are not chained yet (the sequencer is behind or failing)")
    return replace(result, unchained_events=unchained, sequencer_lag_seconds=round(lag, 3), warnings=warnings)


def _chain_start(db: Session, anchors: list[dict[str, Any]],
                 public_keys: dict[str, Ed25519PublicKey]) -> tuple[int, str] | AuditVerification:
    """Where the chain starts (first seq, previous hash): the genesis, or the last purge anchor
    once every anchor is signed and within its retention; else the failed result to return."""
    for anchor in anchors:
        problem = anchor_problem(anchor, public_keys)
        if problem is not None:
            return coded(VerificationResult(False, 0, 0, int(anchor["through_seq"]) + 1, problem))
    first_seq, genesis = _purge_anchor(db, anchors)
    if genesis is None:
        return failed(
            1, f"events before seq {first_seq} are missing and no signed retention purge anchor "
            "accounts for them", VerificationCode.purge_unanchored,
        )
    return first_seq, genesis


def _verify_chained(
    db: Session,
    signer: CheckpointSigner,
    retired_keys: Iterable[Ed25519PublicKey] = (),
    witness: Witness | None = None,
) -> AuditVerification:
    public_keys = {key_id_of(key): key for key in retired_keys} | {signer.key_id: signer.public_key}
    dates = DateWatch(datetime.now(UTC))
    macs = MacWatch(signer, public_keys)
    checkpoints = checkpoint_dicts(db)
    anchors = anchor_dicts(db)
    start = _chain_start(db, anchors, public_keys)
    if isinstance(start, AuditVerification):
        return start
    first_seq, genesis = start
    result = coded(verify_chain(
        macs.watch(dates.watch(iter_events(db))), checkpoints, public_keys, first_seq=first_seq, genesis_hash=genesis,
    ))
    if not result.valid:
        return result
    if witness is not None:
        result = compare_with_witness(db, result, checkpoints, anchors, witness, public_keys)
    # The chain is what was hashed; now whether it was dated by the API and whether the
    # database still agrees with it (a failure found here never hides the witness's).
    problems: list[Problem] = [
        *stored_ts_problems(db), *dates.problems, *macs.problems, *repeated_problems(db), *erasure_problems(db),
        *decision_problems(db), *account_problems(db),
    ]
    result = with_problems(result, problems)
    return replace(result, warnings=(*result.warnings, *macs.warnings())) if macs.unchecked else result


def verify_prefix(
    db: Session,
    signer: CheckpointSigner,
    through: int,
    retired_keys: Iterable[Ed25519PublicKey] = (),
    witness: Witness | None = None,
) -> VerificationResult:
    """Verify the oldest part of the chain before a retention purge deletes it (the caller holds
    the chain-head lock).

    From where the chain starts (the genesis, or the last purge anchor: signed, within its
    retention and declared by an ``audit.purge`` event, as for ``verify_trail``) every event's
    hash is recomputed from its stored content and the previous link, through ``through``, its
    link to the first kept event, and on to the first signed checkpoint after ``through`` (at
    most one checkpoint interval: re-hashing the kept tail to hide a rewritten prefix then needs
    the signing key too). Every checkpoint in that range, in the database and in the witness
    (when given), must be signed under a known key and equal the chain. A rewritten event,
    hence a backdated ``ts``, fails here: its stored hash no longer matches its content.
    """
    public_keys = {key_id_of(key): key for key in retired_keys} | {signer.key_id: signer.public_key}
    anchors = anchor_dicts(db)
    start = _chain_start(db, anchors, public_keys)
    if isinstance(start, VerificationResult):
        return start
    first_seq, genesis = start
    head = int(db.scalar(select(func.max(AuditEvent.seq))) or 0)
    following = db.scalar(select(func.min(AuditCheckpoint.seq)).where(AuditCheckpoint.seq > through))
    # The link to the first kept event, and on to the next checkpoint; one past the head stays
    # in range, so verify_chain reports the cut tail.
    end = int(following) if following is not None else min(through + 1, head)
    checkpoints = checkpoint_dicts(db, first_seq, end)
    if witness is not None:
        for record in witness.records_between(first_seq, end):
            if record.get("type") == "unreadable":
                return VerificationResult(
                    False, 0, 0, first_seq, f"witness file {record.get('file')} is unreadable")
            if record.get("type") != CHECKPOINT:
                continue
            created = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
            checkpoints.append({
                "seq": int(record["seq"]), "head_hash": record["head_hash"], "created_at": created,
                "key_id": record.get("key_id"), "signature": record["signature"],
            })
    return verify_chain(
        iter_events(db, through=end), checkpoints, public_keys, first_seq=first_seq, genesis_hash=genesis,
    )


def checkpoint_dicts(db: Session, low: int | None = None, high: int | None = None) -> list[dict[str, Any]]:
    bounds = [AuditCheckpoint.seq >= low] if low is not None else []
    if high is not None:
        bounds.append(AuditCheckpoint.seq <= high)
    return [
        {
            "seq": c.seq,
            "head_hash": c.head_hash,
            "created_at": c.created_at,
            "key_id": c.key_id,
            "signature": c.signature,
        }
        for c in db.execute(select(AuditCheckpoint).where(*bounds).order_by(AuditCheckpoint.id)).scalars()
    ]


def anchor_dicts(db: Session) -> list[dict[str, Any]]:
    return [
        {
            "through_seq": a.through_seq,
            "through_hash": a.through_hash,
            "newest_purged_ts": canonical_ts(a.newest_purged_ts),
            "retention_days": a.retention_days,
            "purged_at": canonical_ts(a.purged_at),
            "key_id": a.key_id,
            "signature": a.signature,
        }
        for a in db.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars()
    ]


def _purge_anchor(db: Session, anchors: list[dict[str, Any]]) -> tuple[int, str | None]:
    """Where the chain starts: (1, genesis), or after a retention purge (first seq, anchor hash).

    A purged prefix is accepted only when a signed purge anchor (checked by the caller) and an
    ``audit.purge`` event in the remaining chain both name the last purged seq; the anchor's
    hash then seeds the chain, so the first remaining event must link to it. Deleting old
    events any other way is reported: ``(first, None)``.
    """
    first = db.execute(select(func.min(AuditEvent.seq))).scalar()
    if first is None or first == 1:
        return 1, GENESIS_HASH
    through = first - 1
    anchor = next((a for a in anchors if int(a["through_seq"]) == through), None)
    purges = db.execute(
        select(AuditEvent.details).where(AuditEvent.action == PURGE_ACTION)
    ).scalars()
    declared = any(isinstance(d, dict) and d.get("through_seq") == through for d in purges)
    if anchor is None or not declared:
        return first, None
    return first, str(anchor["through_hash"])


def compare_with_witness(
    db: Session,
    result: VerificationResult,
    checkpoints: list[dict[str, Any]],
    anchors: list[dict[str, Any]],
    witness: Witness,
    public_keys: dict[str, Ed25519PublicKey],
) -> AuditVerification:
    """The database against the witness: what the witness holds must be in the database and
    agree with the chain; a database checkpoint the witness lacks is only a warning."""
    last_seq = result.first_seq + result.events_checked - 1
    in_db = {(c["seq"], c["signature"]) for c in checkpoints}
    anchors_in_db = {(a["through_seq"], a["signature"]) for a in anchors}
    problems: list[Problem] = []
    witnessed: set[tuple[int, str]] = set()
    for record in witness.records():
        kind = record.get("type")
        if kind == CHECKPOINT:
            problems.extend(_witness_checkpoint_problems(db, record, result.first_seq, last_seq, in_db, public_keys))
            witnessed.add((int(record["seq"]), str(record["signature"])))
        elif kind == ANCHOR:
            problem = anchor_problem(record, public_keys)
            seq = int(record["through_seq"])
            if problem is not None:
                problems.append(Problem(seq + 1, VerificationCode.witness_anchor_invalid, f"witness {problem}"))
            elif (seq, record["signature"]) not in anchors_in_db:
                problems.append(Problem(seq + 1, VerificationCode.witness_anchor_missing,
                                        f"purge anchor through seq {seq} is in the witness but missing from the database"))
            witnessed.add((seq, str(record["signature"])))
        else:
            problems.append(Problem(1, VerificationCode.witness_unreadable,
                                    f"witness file {record.get('file')} is unreadable"))
    if problems:
        seq, code, reason = min(problems, key=lambda p: (p.seq, p.reason))
        return failed(seq, reason, code, events=result.events_checked, checkpoints=result.checkpoints_checked,
                      first_seq=result.first_seq)
    warnings = tuple(
        f"checkpoint at seq {seq} is not in the witness (written before the witness existed, "
        "or the process stopped before writing it)"
        for seq, signature in sorted(in_db) if (seq, signature) not in witnessed
    )
    return AuditVerification(
        True, result.events_checked, result.checkpoints_checked, first_seq=result.first_seq,
        warnings=warnings,
    )


def _witness_checkpoint_problems(
    db: Session, record: dict[str, Any], first_seq: int, last_seq: int,
    in_db: set[tuple[int, str]], public_keys: dict[str, Ed25519PublicKey],
) -> list[Problem]:
    seq = int(record["seq"])
    key = public_keys.get(str(record.get("key_id")))
    created = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
    if key is None or not verify_signature(key, seq, record["head_hash"], created, record["signature"]):
        return [Problem(seq, VerificationCode.witness_checkpoint_signature,
                        f"witness checkpoint at seq {seq}: signature invalid or unknown key")]
    if seq > last_seq:
        return [Problem(last_seq + 1, VerificationCode.head_shortened,
                        f"the witness holds a signed checkpoint at seq {seq} but the chain "
                        f"ends at seq {last_seq} (head shortened)")]
    if seq >= first_seq:
        stored = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if stored != record["head_hash"]:
            return [Problem(seq, VerificationCode.witness_rewritten,
                            f"seq {seq}: the chain differs from the witness (rewritten)")]
    if (seq, record["signature"]) not in in_db:
        return [Problem(seq, VerificationCode.witness_checkpoint_missing,
                        f"checkpoint at seq {seq} is in the witness but missing from the database")]
    return []


def result_dict(result: VerificationResult) -> dict[str, Any]:
    """The result as the API and ``octroi audit verify --json`` give it (``reason_code`` too)."""
    return asdict(result) | {
        "warnings": list(result.warnings), "reason_code": getattr(result, "reason_code", None),
    }
