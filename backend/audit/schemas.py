"""Response bodies of ``/audit``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class AuditEventOut(BaseModel):
    seq: int
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
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next_cursor: int | None


class VerificationCode(StrEnum):
    """Why a verification failed, for programs: the dashboard words it in its language, while
    ``reason`` says it in English for people and the CLI. Stable: add members, never rename."""

    # The chain itself (the events' seq, links and hashes)
    sequence_gap = "sequence_gap"  # an event is missing (deleted?)
    sequence_disorder = "sequence_disorder"
    link_broken = "link_broken"  # prev_hash differs from the previous event's hash
    content_edited = "content_edited"  # an event no longer matches its hash
    # Signed checkpoints and retention purge anchors in the database
    checkpoint_signature = "checkpoint_signature"
    checkpoint_mismatch = "checkpoint_mismatch"
    tail_truncated = "tail_truncated"
    anchor_signature = "anchor_signature"
    anchor_retention = "anchor_retention"  # a purge took events younger than its retention
    purge_unanchored = "purge_unanchored"  # oldest events gone without a signed purge anchor
    # The witness outside the database
    witness_unreadable = "witness_unreadable"
    witness_checkpoint_signature = "witness_checkpoint_signature"
    witness_anchor_invalid = "witness_anchor_invalid"
    head_shortened = "head_shortened"
    witness_rewritten = "witness_rewritten"
    witness_checkpoint_missing = "witness_checkpoint_missing"
    witness_anchor_missing = "witness_anchor_missing"
    # The events' dates
    ts_backdated = "ts_backdated"  # dated well before the event chained just before it
    ts_future = "ts_future"  # dated after the verification itself
    ts_not_canonical = "ts_not_canonical"  # SQLite: the stored text is not the form searches compare
    # Who wrote an event: the API's MAC (migration 0016)
    mac_invalid = "mac_invalid"  # its MAC does not match, or names an unknown key
    mac_missing = "mac_missing"  # no MAC, after events that have one
    event_repeated = "event_repeated"  # an exact copy of an earlier event (same MAC)
    # The trail against the database: an erasure it records was undone
    erasure_undone = "erasure_undone"
    # ... or an advisor's decision it records was rewritten, deleted or inserted
    decision_altered = "decision_altered"
    # ... or an account's role or status the trail set was changed outside it (or the account deleted)
    account_altered = "account_altered"
    other = "other"  # a reason this version does not name (a newer server)


class VerificationOut(BaseModel):
    valid: bool
    events_checked: int
    checkpoints_checked: int
    first_invalid_seq: int | None
    reason: str | None
    # ``reason`` for programs (None when valid): word it from this, never from ``reason``.
    reason_code: VerificationCode | None = None
    first_seq: int = 1  # > 1 after a retention purge: the oldest event still held
    warnings: list[str] = []  # e.g. a checkpoint the witness never received; not tampering
    # Events committed but not yet chained by the audit sequencer when verification started
    # (then chained and verified), and how long the oldest of them had waited, in seconds.
    unchained_events: int = 0
    sequencer_lag_seconds: float = 0.0
