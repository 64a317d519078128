#!/usr/bin/env python3
"""Verify an Octroi audit bundle offline, without Octroi.

Depends only on the Python standard library and ``cryptography`` (Ed25519). Implements
docs/audit-format.md, nothing more; a bank's auditor can read it in one sitting.

    python octroi_verify.py audit-bundle.jsonl --trusted-key HEX [--trusted-key HEX ...]
                            [--witness DIR]

Exit 0 when the bundle is valid, 1 naming the first bad seq, 2 when the file (or the witness)
cannot be read, 3 when the chain verifies but an older bundle (format 1, no signed export
head) cannot be placed against the witness (records past its head or missing from it).
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

FORMAT = "octroi-audit-bundle/2"
FORMATS = ("octroi-audit-bundle/1", FORMAT)  # 1: before the signed export head
EXPORT_HEAD_FIELDS = ("head_seq", "head_hash", "exported_at")
GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq", "ts", "request_id", "actor", "role", "action", "resource", "outcome", "ip",
    "model_version", "input_hash", "details",
)
ANCHOR_FIELDS = ("through_seq", "through_hash", "newest_purged_ts", "retention_days", "purged_at")
# The API dates each event just before the database numbers it: one dated more than this before
# the event chained just before it (or after the signed export time) was not dated by the API.
TS_TOLERANCE = timedelta(seconds=60)


class Invalid(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


class Unproven(Exception):
    """The chain verifies, but the bundle cannot be placed against the witness (exit 3)."""


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


def export_head_message(header: dict) -> bytes:
    return canonical_json({"type": "export_head", **{name: header[name] for name in EXPORT_HEAD_FIELDS}})


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


def span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size:
            return f"{round(seconds / size)} {unit}"
    return f"{round(seconds)} seconds"


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
    if not parts["header"] or parts["header"].get("format") not in FORMATS:
        raise ValueError(f"not an {FORMAT} file (header missing or another format)")
    return parts


def load_witness(directory: Path) -> list[dict]:
    if not directory.is_dir():
        raise OSError(f"{directory} is not a directory")
    records = []
    for path in sorted(directory.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError(f"{path.name}: not a JSON object")
        records.append(record | {"file": path.name})
    return records


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


def anchor_problem(anchor: dict, keys: dict, label: str = "purge anchor") -> str | None:
    through = int(anchor["through_seq"])
    if not signed(keys, anchor, anchor_message(anchor)):
        return f"{label} through seq {through}: signature invalid or unknown key"
    limit = utc(anchor["purged_at"]) - timedelta(days=int(anchor["retention_days"]))
    if utc(anchor["newest_purged_ts"]) > limit:
        return (f"{label} through seq {through}: purged events were not older than the "
                f"{anchor['retention_days']}-day retention in force")
    return None


def export_head(header: dict, keys: dict, last: int, last_hash: str, checkpoints: list,
                problems: list) -> datetime | None:
    """Format 2: the signed export head. Returns the export time it proves (None if it fails)."""
    head = int(header["head_seq"])
    fields = {name: header.get(name) for name in EXPORT_HEAD_FIELDS}
    if None in fields.values() or not signed(keys, header, export_head_message(fields)):
        problems.append((last + 1, "the signed export head is missing, altered or signed by an unknown key "
                                   "(the header was edited or the bundle cut)"))
        return None
    if header["head_hash"] != last_hash:
        problems.append((last + 1, f"the signed export head names hash {header['head_hash'][:16]}... at seq "
                                   f"{head}, the bundle's chain ends with {last_hash[:16]}..."))
        return None
    exported_at = utc(header["exported_at"])
    if head and not any(int(c["seq"]) == head and c["head_hash"] == header["head_hash"]
                        and utc(c["created_at"]) == exported_at for c in checkpoints):
        problems.append((last + 1, f"no signed checkpoint at the export's head (seq {head}, "
                                   f"{header['exported_at']}): the bundle was cut"))
        return None
    return exported_at


def compare_with_witness(parts: dict, keys: dict, witness: list[dict], first: int, last: int,
                         hashes: dict, exported_at: datetime | None, problems: list,
                         warnings: list, unproven: list) -> None:
    """The witness against the bundle, as ``octroi audit verify`` compares it with the database.

    ``exported_at`` (format 2) is the signed export time: a witness record past the head (or
    absent from the bundle) made at or before it means the trail was cut before the export;
    made after it, events were recorded since. Without it (format 1) such a record cannot be
    placed: ``unproven``."""
    in_bundle = {(int(c["seq"]), c["signature"]) for c in parts["checkpoint"]}
    anchors_in_bundle = {(int(a["through_seq"]), a["signature"]) for a in parts["anchor"]}
    if not parts["event"] and witness:
        problems.append((1, f"the bundle holds no event but the witness holds {len(witness)} records "
                            "(the trail was emptied or the bundle cut)"))
        return
    witnessed, later = set(), []
    for record in witness:
        kind = record.get("type")
        if kind == "checkpoint":
            seq = int(record["seq"])
            witnessed.add((seq, record["signature"]))
            if not signed(keys, record, checkpoint_message(record)):
                problems.append((min(seq, last + 1), f"witness checkpoint at seq {seq}: signature invalid or unknown key"))
                continue
            made = utc(record["created_at"])
            if seq <= last and seq >= first and hashes[seq] != record["head_hash"]:
                problems.append((seq, f"seq {seq}: the chain differs from the witness (rewritten)"))
            elif seq <= last and (seq, record["signature"]) in in_bundle:
                continue
            elif exported_at is None:
                unproven.append(seq)
            elif made > exported_at:
                later.append(seq)
            elif seq > last:
                problems.append((last + 1, f"the witness holds a checkpoint at seq {seq} signed at "
                                           f"{record['created_at']}, before the export, but the bundle ends at "
                                           f"seq {last} (head shortened)"))
            else:
                problems.append((seq, f"checkpoint at seq {seq} is in the witness but missing from the bundle"))
        elif kind == "purge_anchor":
            through = int(record["through_seq"])
            problem = anchor_problem(record, keys, "witness purge anchor")
            if problem is not None:
                problems.append((through + 1, problem))
            elif (through, record["signature"]) in anchors_in_bundle:
                continue
            elif exported_at is None:
                unproven.append(through)
            elif utc(record["purged_at"]) > exported_at:
                later.append(through)
            elif through >= last:
                problems.append((last + 1, f"the witness holds a purge anchor through seq {through} made before "
                                           f"the export, but the bundle ends at seq {last} (head shortened)"))
            else:
                problems.append((through + 1, f"purge anchor through seq {through} is in the witness but "
                                              "missing from the bundle"))
        else:
            problems.append((1, f"witness file {record.get('file')}: unknown record type {kind!r}"))
    if later:
        warnings.append(f"{len(later)} witness records (seq {min(later)} to {max(later)}) were signed after the "
                        "export: activity since, not in this bundle")
    missing = sorted(seq for seq, signature in in_bundle if (seq, signature) not in witnessed)
    if missing:
        warnings.append(f"{len(missing)} checkpoints of the bundle are not in the witness (first at seq "
                        f"{missing[0]}): written before the witness existed, or the process stopped before "
                        "writing them")


def verify(parts: dict, keys: dict, witness: list[dict] | None = None,
           warnings: list[str] | None = None) -> tuple[int, int]:
    """Raise ``Invalid`` at the first problem, ``Unproven`` when the chain verifies but the
    witness cannot be placed against an unsigned (format 1) head; return (first seq, last seq)."""
    warnings = [] if warnings is None else warnings
    header = parts["header"]
    events = parts["event"]
    head = int(header["head_seq"])
    # 1. Purge anchors: signed, and every purged event older than the retention in force.
    for anchor in parts["anchor"]:
        problem = anchor_problem(anchor, keys)
        if problem is not None:
            raise Invalid(int(anchor["through_seq"]) + 1, problem)
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
    seen: dict[bytes, int] = {}  # each event's content but its place in the chain -> its seq
    problems: list[tuple[int, str]] = []
    expected = first
    dated: list[tuple[int, datetime]] = []
    for event in events:
        seq = int(event["seq"])
        if seq != expected:
            raise Invalid(expected, f"sequence gap or disorder: expected seq {expected}, found {seq}")
        if event["prev_hash"] != prev:
            raise Invalid(seq, f"seq {seq}: prev_hash does not match the previous event")
        if event_hash(prev, event) != event["hash"]:
            raise Invalid(seq, f"seq {seq}: content does not match its hash (edited?)")
        hashes[seq] = prev = event["hash"]
        dated.append((seq, utc(event["ts"])))
        content = hashlib.sha256(canonical_json({name: event.get(name) for name in HASHED_FIELDS[1:]})).digest()
        if content in seen:
            problems.append((seq, f"seq {seq} repeats seq {seen[content]} exactly (same time, request and "
                                  "content): an event copied into the database?"))
        seen.setdefault(content, seq)
        expected += 1
    last = expected - 1
    if last != head:
        raise Invalid(last + 1, f"the header says the export ends at seq {head}, the events at seq {last}")
    # 4. The dates: none well before the event chained just before it.
    for (before, earlier), (seq, ts) in zip(dated, dated[1:], strict=False):
        if ts < earlier - TS_TOLERANCE:
            problems.append((seq, f"seq {seq} is dated {span(earlier - ts)} before seq {before} "
                                  "(an event inserted with a false date?)"))
    # 4b. The bundle's checkpoints: signed, inside the chain, equal to the chain.
    for checkpoint in parts["checkpoint"]:
        seq = int(checkpoint["seq"])
        if not signed(keys, checkpoint, checkpoint_message(checkpoint)):
            problems.append((min(seq, last + 1), f"checkpoint at seq {seq}: signature invalid or unknown key"))
        elif seq > last:
            problems.append((last + 1, f"signed checkpoint at seq {seq} but the chain ends at seq {last} (tail truncated)"))
        elif seq >= first and hashes[seq] != checkpoint["head_hash"]:
            problems.append((seq, f"seq {seq}: hash differs from the signed checkpoint"))
    # 5. The export head: signed (format 2), so the bundle cannot be cut and its time is proven.
    exported_at = None
    if header["format"] == FORMAT:
        exported_at = export_head(header, keys, last, prev, parts["checkpoint"], problems)
        if exported_at is not None:
            problems.extend((seq, f"seq {seq} is dated after the signed export time (an event inserted with a "
                                  "false date?)") for seq, ts in dated if ts > exported_at + TS_TOLERANCE)
    else:
        warnings.append(f"{header['format']}: an older bundle without a signed export head; a tail cut after "
                        "its last checkpoint cannot be detected (export again with a current Octroi)")
    # 6. The witness: every record signed, agreeing with the chain, and none past the head
    #    or missing from the bundle that was made before the export.
    unproven: list[int] = []
    if witness is not None:
        compare_with_witness(parts, keys, witness, first, last, hashes, exported_at, problems, warnings, unproven)
    if problems:
        raise Invalid(*min(problems))
    if unproven:
        raise Unproven(
            f"the chain in the bundle verifies (seq {first} to {last}), but {len(unproven)} witness records "
            f"(first at seq {min(unproven)}) are past its head or missing from it, and this "
            f"{header['format']} bundle has no signed export time to tell a cut tail from later activity: "
            "export again with a current Octroi"
        )
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
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the bundle: {exc}", file=sys.stderr)
        return 2
    try:
        witness = None if args.witness is None else load_witness(args.witness)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the witness: {exc}", file=sys.stderr)
        return 2
    try:
        keys = public_keys(parts["public_key"], args.trusted_key, warnings)
        first, last = verify(parts, keys, witness, warnings)
    except Invalid as exc:
        print(f"INVALID at seq {exc.seq}: {exc.reason}", file=sys.stderr)
        return 1
    except Unproven as exc:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"UNPROVEN: {exc}", file=sys.stderr)
        return 3
    except (KeyError, ValueError, TypeError) as exc:
        print(f"INVALID: malformed record ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"valid: {last - first + 1} events from seq {first} to {last}, "
          f"{len(parts['checkpoint'])} signed checkpoints, {len(parts['anchor'])} purge anchors"
          + (f", checked against {len(witness)} witness records" if witness is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
