"""Writing and reading the audit trail.

A route does its work, then ``commit_audited(db, request, principal, action=...)``: the
event is appended to the hash chain in the route's own transaction and both commit together.
If the audit write or the commit fails, nothing is committed and ``AuditUnavailable``
becomes a 503 (fail-closed, invariant 3). The chain head is serialized across processes:
a transaction-scoped advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

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

from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.auth.principal import Principal
from security.audit_chain import (
    GENESIS_HASH,
    CheckpointSigner,
    VerificationResult,
    canonical_json,
    canonical_ts,
    chain_hash,
    key_id_of,
    verify_chain,
)

log = structlog.get_logger("octroi.audit")

OUTCOMES = ("success", "denied", "error")
# Any constant works; it only has to be the same in every process ("octroi" in ASCII).
ADVISORY_LOCK_KEY = 0x6F6374726F69
SIGNER_INFO_KEY = "octroi_audit_signer"
CHECKPOINT_EVERY_INFO_KEY = "octroi_audit_checkpoint_every"
_PENDING_INFO_KEY = "octroi_audit_pending"
DEFAULT_CHECKPOINT_EVERY = 100


class AuditUnavailable(RuntimeError):
    """The audit event could not be written; the action must not happen (503)."""


def configure_session_factory(factory: Any, signer: CheckpointSigner, every: int) -> None:
    """Give every session of ``factory`` the checkpoint signer and cadence."""
    info = dict(factory.kw.get("info") or {})
    info[SIGNER_INFO_KEY] = signer
    info[CHECKPOINT_EVERY_INFO_KEY] = every
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
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


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
        _insert_checkpoint(db, signer, event.seq, event.hash)
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


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_INFO_KEY, None)


# --- checkpoints and verification ---------------------------------------------------------


def _insert_checkpoint(db: Session, signer: CheckpointSigner, seq: int, head_hash: str) -> AuditCheckpoint:
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
    return checkpoint


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
    return _insert_checkpoint(db, signer, seq, head_hash)


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
    db: Session, signer: CheckpointSigner, retired_keys: Iterable[Ed25519PublicKey] = ()
) -> VerificationResult:
    """Verify the chain and every checkpoint; ``retired_keys`` verify checkpoints signed
    before an audit signing key rotation."""
    checkpoints = [
        {
            "seq": c.seq,
            "head_hash": c.head_hash,
            "created_at": c.created_at,
            "key_id": c.key_id,
            "signature": c.signature,
        }
        for c in db.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars()
    ]
    first_seq, genesis = _purge_anchor(db, checkpoints)
    if genesis is None:
        return VerificationResult(
            False, 0, 0, 1,
            f"events before seq {first_seq} are missing and no retention purge accounts for them",
        )
    public_keys = {key_id_of(key): key for key in retired_keys} | {signer.key_id: signer.public_key}
    return verify_chain(
        iter_events(db), checkpoints, public_keys, first_seq=first_seq, genesis_hash=genesis,
    )


def _purge_anchor(db: Session, checkpoints: list[dict[str, Any]]) -> tuple[int, str | None]:
    """Where the chain starts: (1, genesis), or after a retention purge (first seq, anchor hash).

    A purged prefix is accepted only when both a checkpoint at the last purged seq (its
    signature is checked with the others) and an ``audit.purge`` event in the remaining chain
    name that seq: deleting old events any other way is reported. ``(first, None)`` otherwise.
    """
    first = db.execute(select(func.min(AuditEvent.seq))).scalar()
    if first is None or first == 1:
        return 1, GENESIS_HASH
    through = first - 1
    anchor = next((c for c in checkpoints if int(c["seq"]) == through), None)
    purges = db.execute(
        select(AuditEvent.details).where(AuditEvent.action == PURGE_ACTION)
    ).scalars()
    declared = any(isinstance(d, dict) and d.get("through_seq") == through for d in purges)
    if anchor is None or not declared:
        return first, None
    return first, str(anchor["head_hash"])


def result_dict(result: VerificationResult) -> dict[str, Any]:
    return asdict(result)
