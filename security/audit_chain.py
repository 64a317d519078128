"""The audit trail's integrity: canonical JSON, the SHA-256 hash chain, Ed25519 checkpoints.

``hash = SHA-256(prev_hash || canonical_json(event))`` where the event holds every field
listed in ``HASHED_FIELDS``. Checkpoints sign ``(seq, head_hash, created_at)`` of the chain
head so that truncating the tail (which leaves a shorter but internally valid chain) is
caught. Pure code: the backend feeds rows in and reads a ``VerificationResult`` out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "ts",
    "request_id",
    "actor",
    "role",
    "action",
    "resource",
    "outcome",
    "ip",
    "model_version",
    "input_hash",
    "details",
)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, UTF-8, no whitespace: one byte string per logical value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_ts(value: datetime) -> str:
    """UTC, microseconds, ``Z``. A naive datetime (SQLite gives those back) is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashable_event(event: Mapping[str, Any]) -> dict[str, Any]:
    payload = {name: event.get(name) for name in HASHED_FIELDS}
    if isinstance(payload["ts"], datetime):
        payload["ts"] = canonical_ts(payload["ts"])
    return payload


def chain_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(hashable_event(event))).hexdigest()


# What an event's MAC covers: everything hashed but ``seq`` (a pending event has none yet).
MAC_FIELDS = tuple(name for name in HASHED_FIELDS if name != "seq")
_MAC_LABEL = b"octroi-audit-event-mac/1"


def mac_message(event: Mapping[str, Any]) -> bytes:
    payload = hashable_event({**event, "seq": None})
    return canonical_json({name: payload[name] for name in MAC_FIELDS})


def checkpoint_message(seq: int, head_hash: str, created_at: datetime) -> bytes:
    return canonical_json({"seq": seq, "head_hash": head_hash, "created_at": canonical_ts(created_at)})


ANCHOR_FIELDS = ("through_seq", "through_hash", "newest_purged_ts", "retention_days", "purged_at")


def anchor_message(anchor: Mapping[str, Any]) -> bytes:
    """What a retention purge signs: the purged range, its newest event, the retention in force."""
    payload: dict[str, Any] = {"type": "purge_anchor"}
    for name in ANCHOR_FIELDS:
        value = anchor[name]
        payload[name] = canonical_ts(value) if isinstance(value, datetime) else value
    return canonical_json(payload)


def anchor_problem(anchor: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    """Why a purge anchor cannot be trusted, or None: signature, then the retention rule
    (every purged event, hence the newest, was older than the retention when the purge ran)."""
    key = public_keys.get(anchor["key_id"])
    if key is None or not verify_message(key, anchor_message(anchor), anchor["signature"]):
        return f"purge anchor through seq {anchor['through_seq']}: signature invalid or unknown key"
    newest = _aware(anchor["newest_purged_ts"])
    purged_at = _aware(anchor["purged_at"])
    if newest > purged_at - timedelta(days=int(anchor["retention_days"])):
        return (
            f"purge anchor through seq {anchor['through_seq']}: purged events were not older "
            f"than the {anchor['retention_days']}-day retention in force"
        )
    return None


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class CheckpointSigner:
    """Ed25519 key derived from a secret string: seed = SHA-256(secret)."""

    def __init__(self, secret: str) -> None:
        seed = hashlib.sha256(secret.encode("utf-8")).digest()
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._private.public_key()
        self.key_id = key_id_of(self.public_key)
        # A second key from the same secret (never the seed itself): each event's MAC proves the
        # API wrote it, which the hash chain cannot (anyone can hash a row they insert).
        self._mac_key = hmac.new(secret.encode("utf-8"), _MAC_LABEL, hashlib.sha256).digest()

    def event_mac(self, event: Mapping[str, Any]) -> str:
        """``key_id:HMAC-SHA256`` of the event's fields but ``seq`` (``MAC_FIELDS``)."""
        return f"{self.key_id}:{hmac.new(self._mac_key, mac_message(event), hashlib.sha256).hexdigest()}"

    def mac_matches(self, event: Mapping[str, Any], mac: str) -> bool:
        return hmac.compare_digest(self.event_mac(event), mac)

    def sign(self, seq: int, head_hash: str, created_at: datetime) -> str:
        return self._private.sign(checkpoint_message(seq, head_hash, created_at)).hex()

    def sign_message(self, message: bytes) -> str:
        return self._private.sign(message).hex()

    def public_key_bytes(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_signature(
    public_key: Ed25519PublicKey, seq: int, head_hash: str, created_at: datetime, signature: str
) -> bool:
    return verify_message(public_key, checkpoint_message(seq, head_hash, created_at), signature)


def verify_message(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    events_checked: int
    checkpoints_checked: int
    first_invalid_seq: int | None = None
    reason: str | None = None
    # 1 unless the retention purge removed the oldest events; then the seq the chain resumes at.
    first_seq: int = 1
    # Facts that do not make the trail invalid but an auditor should see (e.g. a checkpoint
    # the witness never received because the process stopped right after the commit).
    warnings: tuple[str, ...] = ()
    # The audit sequencer (docs/decisions/0012-audit-sequencer.md): events committed but not
    # chained yet when verification started, and how long the oldest of them had waited.
    unchained_events: int = 0
    sequencer_lag_seconds: float = 0.0


def verify_chain(
    events: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    first_seq: int = 1,
    genesis_hash: str = GENESIS_HASH,
) -> VerificationResult:
    """Check ``events`` (ascending ``seq``) and every checkpoint; name the first bad seq.

    ``first_seq``/``genesis_hash`` let a chain whose oldest events were purged by the
    retention job start from a signed anchor instead of the genesis.
    """
    checkpoints = list(checkpoints)
    # Keep only the hashes a checkpoint will be compared with: the chain may be long.
    wanted = {int(checkpoint["seq"]) for checkpoint in checkpoints}
    expected_seq = first_seq
    prev_hash = genesis_hash
    hashes: dict[int, str] = {}
    checked = 0
    for event in events:
        seq = int(event["seq"])
        if seq != expected_seq:
            reason = (
                f"sequence gap: expected seq {expected_seq}, found {seq} (event deleted?)"
                if seq > expected_seq
                else f"sequence out of order: seq {seq} after {expected_seq - 1}"
            )
            return VerificationResult(False, checked, 0, expected_seq, reason)
        if event["prev_hash"] != prev_hash:
            return VerificationResult(
                False, checked, 0, seq, f"seq {seq}: prev_hash does not match the previous event"
            )
        if chain_hash(prev_hash, event) != event["hash"]:
            return VerificationResult(
                False, checked, 0, seq, f"seq {seq}: content does not match its hash (edited?)"
            )
        if seq in wanted:
            hashes[seq] = event["hash"]
        prev_hash = event["hash"]
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1

    checkpoints_checked = 0
    for checkpoint in checkpoints:
        seq = int(checkpoint["seq"])
        key = public_keys.get(checkpoint["key_id"])
        if key is None or not verify_signature(
            key, seq, checkpoint["head_hash"], checkpoint["created_at"], checkpoint["signature"]
        ):
            return VerificationResult(
                False,
                checked,
                checkpoints_checked,
                min(seq, last_seq + 1),
                f"checkpoint at seq {seq}: signature invalid or unknown key",
            )
        if seq > last_seq:
            return VerificationResult(
                False,
                checked,
                checkpoints_checked,
                last_seq + 1,
                f"signed checkpoint at seq {seq} but the chain ends at seq {last_seq} "
                "(tail truncated)",
            )
        if seq >= first_seq and hashes.get(seq) != checkpoint["head_hash"]:
            return VerificationResult(
                False,
                checked,
                checkpoints_checked,
                seq,
                f"seq {seq}: hash differs from the signed checkpoint",
            )
        checkpoints_checked += 1
    return VerificationResult(True, checked, checkpoints_checked, first_seq=first_seq)
