"""Response bodies of ``/audit``."""

from __future__ import annotations

from datetime import datetime
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


class VerificationOut(BaseModel):
    valid: bool
    events_checked: int
    checkpoints_checked: int
    first_invalid_seq: int | None
    reason: str | None
    first_seq: int = 1  # > 1 after a retention purge: the oldest event still held
    warnings: list[str] = []  # e.g. a checkpoint the witness never received; not tampering
    # Events committed but not yet chained by the audit sequencer when verification started
    # (then chained and verified), and how long the oldest of them had waited, in seconds.
    unchained_events: int = 0
    sequencer_lag_seconds: float = 0.0
