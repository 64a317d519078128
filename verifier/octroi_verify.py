#!/usr/bin/env python3
"""Verify an Octroi audit bundle offline, without Octroi.

Depends only on the Python standard library and ``cryptography`` (Ed25519). Implements
docs/audit-format.md, nothing more; a bank's auditor can read it in one sitting.

    python octroi_verify.py audit-bundle.jsonl --trusted-key HEX [--trusted-key HEX ...]
                            [--witness DIR]

Exit 0 when the bundle is valid, 1 naming the first bad seq, 2 when the file cannot be read.
Without ``--trusted-key`` the bundle's own public keys are used (and a warning says so):
get the bank's public keys through another channel to make the check meaningful.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "octroi-audit-bundle/1"
GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq", "ts", "request_id", "actor", "role", "action", "resource", "outcome", "ip",
    "model_version", "input_hash", "details",
)
ANCHOR_FIELDS = ("through_seq", "through_hash", "newest_purged_ts", "retention_days", "purged_at")


class Invalid(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(prev_hash: str, event: dict) -> str:
    payload = {name: event.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(payload)).hexdigest()


def checkpoint_message(checkpoint: dict) -> bytes:
    return canonical_json({
        "seq": checkpoint["seq"], "head_hash": checkpoint["head_hash"],
        "created_at": checkpoint["created_at"],
    })


def anchor_message(anchor: dict) -> bytes:
    return canonical_json({"type": "purge_anchor", **{name: anchor[name] for name in ANCHOR_FIELDS}})


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def signed(keys: dict, record: dict, message: bytes) -> bool:
    key = keys.get(record.get("key_id"))
    if key is None:
        return False
    try:
        key.verify(bytes.fromhex(record["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load(path: Path) -> dict:
    parts: dict = {"header": None, "public_key": [], "anchor": [], "checkpoint": [], "event": []}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            record = json.loads(line)
            kind = record.pop("record", None)
            if kind == "header":
                parts["header"] = record
            elif kind in parts:
                parts[kind].append(record)
            else:
                raise ValueError(f"line {number}: unknown record type {kind!r}")
    if not parts["header"] or parts["header"].get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} file (header missing or another format)")
    return parts


def public_keys(bundle_keys: list, trusted: list[str], warnings: list[str]) -> dict:
    keys = {}
    if trusted:
        for text in trusted:
            raw = bytes.fromhex(text)
            keys[key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        return keys
    warnings.append("no --trusted-key given: trusting the public keys inside the bundle")
    for entry in bundle_keys:
        raw = bytes.fromhex(entry["public_key"])
        if key_id(raw) != entry["key_id"]:
            raise Invalid(1, f"public key {entry['key_id']}: key id does not match the key")
        keys[entry["key_id"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def verify(parts: dict, keys: dict, witness: list[dict] | None = None) -> tuple[int, int]:
    """Raise ``Invalid`` at the first problem; return (first seq, last seq) otherwise."""
    events = parts["event"]
    head = int(parts["header"]["head_seq"])
    # 1. Purge anchors: signed, and every purged event older than the retention in force.
    for anchor in parts["anchor"]:
        through = int(anchor["through_seq"])
        if not signed(keys, anchor, anchor_message(anchor)):
            raise Invalid(through + 1, f"purge anchor through seq {through}: signature invalid or unknown key")
        limit = utc(anchor["purged_at"]) - timedelta(days=int(anchor["retention_days"]))
        if utc(anchor["newest_purged_ts"]) > limit:
            raise Invalid(through + 1, f"purge anchor through seq {through}: purged events were not "
                          f"older than the {anchor['retention_days']}-day retention in force")
    # 2. Where the chain starts: seq 1 from the genesis, or right after a signed anchor.
    first = int(events[0]["seq"]) if events else 1
    prev = GENESIS_HASH
    if first != 1:
        anchor = next((a for a in parts["anchor"] if int(a["through_seq"]) == first - 1), None)
        if anchor is None:
            raise Invalid(1, f"events before seq {first} are missing and no signed purge anchor accounts for them")
        prev = anchor["through_hash"]
    # 3. The chain: gapless, each event linked to and hashed with the previous one.
    hashes = {}
    expected = first
    for event in events:
        seq = int(event["seq"])
        if seq != expected:
            raise Invalid(expected, f"sequence gap or disorder: expected seq {expected}, found {seq}")
        if event["prev_hash"] != prev:
            raise Invalid(seq, f"seq {seq}: prev_hash does not match the previous event")
        if event_hash(prev, event) != event["hash"]:
            raise Invalid(seq, f"seq {seq}: content does not match its hash (edited?)")
        hashes[seq] = prev = event["hash"]
        expected += 1
    last = expected - 1
    if last != head:
        raise Invalid(last + 1, f"the header says the export ends at seq {head}, the events at seq {last}")
    # 4. Checkpoints (and the witness's): signed, inside the chain, equal to the chain.
    sources = [("checkpoint", c) for c in parts["checkpoint"]]
    sources += [("witness checkpoint", c) for c in witness or [] if c.get("type") == "checkpoint"]
    for label, checkpoint in sorted(sources, key=lambda item: int(item[1]["seq"])):
        seq = int(checkpoint["seq"])
        if not signed(keys, checkpoint, checkpoint_message(checkpoint)):
            raise Invalid(min(seq, last + 1), f"{label} at seq {seq}: signature invalid or unknown key")
        if seq > last and label == "checkpoint":
            raise Invalid(last + 1, f"signed checkpoint at seq {seq} but the chain ends at seq {last} (tail truncated)")
        if seq >= first and seq <= last and hashes[seq] != checkpoint["head_hash"]:
            raise Invalid(seq, f"seq {seq}: hash differs from the signed {label}")
    return first, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an Octroi audit bundle offline.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--trusted-key", action="append", default=[], metavar="HEX",
                        help="an Ed25519 public key (64 hex digits) the bank published; repeatable")
    parser.add_argument("--witness", type=Path, help="the witness directory, compared with the bundle")
    args = parser.parse_args(argv)
    warnings: list[str] = []
    try:
        parts = load(args.bundle)
        witness = None
        if args.witness is not None:
            witness = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(args.witness.glob("*.json"))]
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the bundle: {exc}", file=sys.stderr)
        return 2
    try:
        keys = public_keys(parts["public_key"], args.trusted_key, warnings)
        first, last = verify(parts, keys, witness)
    except Invalid as exc:
        print(f"INVALID at seq {exc.seq}: {exc.reason}", file=sys.stderr)
        return 1
    except (KeyError, ValueError, TypeError) as exc:
        print(f"INVALID: malformed record ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"valid: {last - first + 1} events from seq {first} to {last}, "
          f"{len(parts['checkpoint'])} signed checkpoints, {len(parts['anchor'])} purge anchors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
