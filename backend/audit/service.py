"""Writing and reading the audit trail.

A route does its work, then ``commit_audited(db, request, principal, action=...)``: the
event is appended to the hash chain in the route's own transaction and both commit together.
If the audit write or the commit fails, nothing is committed and ``AuditUnavailable``
becomes a 503 (fail-closed, invariant 3). The chain head is serialized across processes:
a transaction-scoped advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Request
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.audit.models import AuditAnchor, AuditCheckpoint, AuditEvent
from backend.audit.witness import (
    ANCHOR,
    CHECKPOINT,
    Witness,
    anchor_record,
    checkpoint_record,
    write_quietly,
)
from backend.auth.principal import Principal
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
    factory: Any, signer: CheckpointSigner, every: int, witness: Witness | None = None
) -> None:
    """Give every session of ``factory`` the checkpoint signer, cadence and witness."""
    info = dict(factory.kw.get("info") or {})
    info[SIGNER_INFO_KEY] = signer
    info[CHECKPOINT_EVERY_INFO_KEY] = every
    if witness is not None:
        info[WITNESS_INFO_KEY] = witness
    factory.configure(info=info)


def _lock_head(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # SQLite: the transaction already began with BEGIN IMMEDIATE (backend/db.py), so this
    # connection holds the database's single write lock until commit or rollback.


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


def _append(db: Session, fields: dict[str, Any]) -> AuditEvent:
    """Lock the head, chain and insert one event (the one step tests make fail)."""
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


def record_event(
    db: Session,
    request: Request | None,
    principal: Principal | None,
    *,
    action: str,
    resource: str | None = None,
    outcome: str = "success",
    model_version: str | None = None,
    input_hash: str | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> AuditEvent:
    """Append one event in ``db``'s transaction (the caller commits). ``AuditUnavailable`` on failure.

    ``actor``/``role`` name the subject when there is no principal yet (a failed login).
    Never pass a score, a raw client id, a token or a password in any field.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    if details is not None:
        canonical_json(details)  # fails early (TypeError/ValueError) on what JSON cannot hold
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "ts": now,
        "request_id": _request_id(request),
        "actor": principal.username if principal else actor,
        "role": str(principal.role) if principal else role,
        "action": action,
        "resource": resource,
        "outcome": outcome,
        "ip": request.client.host if request is not None and request.client else None,
        "model_version": model_version,
        "input_hash": input_hash,
        "details": details,
    }
    try:
        event = _append(db, fields)
    except AuditUnavailable:
        raise
    except SQLAlchemyError as exc:
        raise AuditUnavailable(f"audit write failed: {type(exc).__name__}") from exc
    db.info.setdefault(_PENDING_INFO_KEY, []).append(event_dict(event))
    return event


def commit_audited(
    db: Session,
    request: Request | None,
    principal: Principal | None,
    **event: Any,
) -> AuditEvent:
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
    for payload in session.info.pop(_PENDING_INFO_KEY, []):
        log.info("audit_event", **payload)
    witnessed = session.info.pop(_WITNESS_PENDING_KEY, [])
    witness = session.info.get(WITNESS_INFO_KEY)
    if witnessed and witness is not None:
        write_quietly(witness, witnessed)


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_INFO_KEY, None)
    session.info.pop(_WITNESS_PENDING_KEY, None)


def _witness_later(db: Session, record: dict[str, Any]) -> None:
    if db.info.get(WITNESS_INFO_KEY) is not None:
        db.info.setdefault(_WITNESS_PENDING_KEY, []).append(record)


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
    _lock_head(db)
    seq, head_hash = _head(db)
    if seq == 0:
        return None
    latest = db.execute(select(func.max(AuditCheckpoint.seq))).scalar()
    if latest is not None and latest >= seq:
        return None
    return insert_checkpoint(db, signer, seq, head_hash)


def iter_events(db: Session, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every event by ascending seq, read in keyset pages so memory stays flat."""
    after = 0
    while True:
        rows = db.execute(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield event_dict(row) | {"ts": row.ts}
        after = rows[-1].seq
        db.expunge_all()


PURGE_ACTION = "audit.purge"


def verify_trail(
    db: Session,
    signer: CheckpointSigner,
    retired_keys: Iterable[Ed25519PublicKey] = (),
    witness: Witness | None = None,
) -> VerificationResult:
    """Verify the chain, every checkpoint and purge anchor, then compare with the witness.

    ``retired_keys`` verify what was signed before an audit signing key rotation.
    """
    public_keys = {key_id_of(key): key for key in retired_keys} | {signer.key_id: signer.public_key}
    checkpoints = checkpoint_dicts(db)
    anchors = anchor_dicts(db)
    for anchor in anchors:
        problem = anchor_problem(anchor, public_keys)
        if problem is not None:
            return VerificationResult(False, 0, 0, int(anchor["through_seq"]) + 1, problem)
    first_seq, genesis = _purge_anchor(db, anchors)
    if genesis is None:
        return VerificationResult(
            False, 0, 0, 1,
            f"events before seq {first_seq} are missing and no signed retention purge anchor "
            "accounts for them",
        )
    result = verify_chain(
        iter_events(db), checkpoints, public_keys, first_seq=first_seq, genesis_hash=genesis,
    )
    if not result.valid or witness is None:
        return result
    return compare_with_witness(db, result, checkpoints, anchors, witness, public_keys)


def checkpoint_dicts(db: Session) -> list[dict[str, Any]]:
    return [
        {
            "seq": c.seq,
            "head_hash": c.head_hash,
            "created_at": c.created_at,
            "key_id": c.key_id,
            "signature": c.signature,
        }
        for c in db.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars()
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
) -> VerificationResult:
    """The database against the witness: what the witness holds must be in the database and
    agree with the chain; a database checkpoint the witness lacks is only a warning."""
    last_seq = result.first_seq + result.events_checked - 1
    in_db = {(c["seq"], c["signature"]) for c in checkpoints}
    anchors_in_db = {(a["through_seq"], a["signature"]) for a in anchors}
    problems: list[tuple[int, str]] = []
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
                problems.append((seq + 1, f"witness {problem}"))
            elif (seq, record["signature"]) not in anchors_in_db:
                problems.append((seq + 1, f"purge anchor through seq {seq} is in the witness but missing from the database"))
            witnessed.add((seq, str(record["signature"])))
        else:
            problems.append((1, f"witness file {record.get('file')} is unreadable"))
    if problems:
        seq, reason = min(problems)
        return VerificationResult(
            False, result.events_checked, result.checkpoints_checked, seq, reason,
            first_seq=result.first_seq,
        )
    warnings = tuple(
        f"checkpoint at seq {seq} is not in the witness (written before the witness existed, "
        "or the process stopped before writing it)"
        for seq, signature in sorted(in_db) if (seq, signature) not in witnessed
    )
    return VerificationResult(
        True, result.events_checked, result.checkpoints_checked, first_seq=result.first_seq,
        warnings=warnings,
    )


def _witness_checkpoint_problems(
    db: Session, record: dict[str, Any], first_seq: int, last_seq: int,
    in_db: set[tuple[int, str]], public_keys: dict[str, Ed25519PublicKey],
) -> list[tuple[int, str]]:
    seq = int(record["seq"])
    key = public_keys.get(str(record.get("key_id")))
    created = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
    if key is None or not verify_signature(key, seq, record["head_hash"], created, record["signature"]):
        return [(seq, f"witness checkpoint at seq {seq}: signature invalid or unknown key")]
    if seq > last_seq:
        return [(last_seq + 1, f"the witness holds a signed checkpoint at seq {seq} but the chain "
                 f"ends at seq {last_seq} (head shortened)")]
    if seq >= first_seq:
        stored = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if stored != record["head_hash"]:
            return [(seq, f"seq {seq}: the chain differs from the witness (rewritten)")]
    if (seq, record["signature"]) not in in_db:
        return [(seq, f"checkpoint at seq {seq} is in the witness but missing from the database")]
    return []


def result_dict(result: VerificationResult) -> dict[str, Any]:
    return asdict(result) | {"warnings": list(result.warnings)}
