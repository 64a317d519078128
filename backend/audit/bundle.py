"""The verifiable export: events, checkpoints, purge anchors and public keys in one file.

JSON lines, one typed record per line (``"record"``: ``header``, ``public_key``, ``anchor``,
``checkpoint``, ``event``), events last and oldest first so the file streams in flat memory.
``docs/audit-format.md`` specifies it; ``verifier/octroi_verify.py`` checks it offline.

Format 2: before anything is read, a fresh checkpoint is signed at the chain's head under the
chain-head lock (and goes to the witness like any checkpoint), and the header carries a signed
*export head* (head seq, head hash, export time = that checkpoint's time). The holder of the
file cannot cut its tail without breaking that signature, and a witness checkpoint past the
head signed before the export proves the database's tail was cut before the export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.audit.service import anchor_dicts, event_dict, write_head_checkpoint
from security.audit_chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    CheckpointSigner,
    canonical_json,
    canonical_ts,
    key_id_of,
)

BUNDLE_FORMAT = "octroi-audit-bundle/2"
EXPORT_HEAD_FIELDS = ("head_seq", "head_hash", "exported_at")
_BATCH = 1000


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def _raw_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def export_head_message(header: dict[str, Any]) -> bytes:
    """What an export signs: the head it covers and when (docs/audit-format.md)."""
    return canonical_json({"type": "export_head", **{name: header[name] for name in EXPORT_HEAD_FIELDS}})


def sign_export_head(factory: sessionmaker[Session], signer: CheckpointSigner) -> dict[str, Any]:
    """Sign a checkpoint at the current head (committed, then witnessed) and the export head."""
    with factory() as db:
        seq, head_hash, signed_at, _ = write_head_checkpoint(db, signer)
        db.commit()
    header: dict[str, Any] = {"head_seq": seq, "head_hash": head_hash, "exported_at": canonical_ts(signed_at)}
    return header | {"key_id": signer.key_id, "signature": signer.sign_message(export_head_message(header))}


def bundle_lines(
    factory: sessionmaker[Session],
    signer: CheckpointSigner,
    retired_keys: Iterable[Ed25519PublicKey] = (),
) -> tuple[int, Iterator[str]]:
    """The head a bundle covers and every line of it (the head inclusive).

    The head is signed here, before the first line is produced (so a failure is raised to the
    caller, not in the middle of a stream): the chain's head at that moment, which holds the
    export's own event when the caller chained it first, and events chained since. That seq,
    not the one the caller saw, names the file."""
    export_head = sign_export_head(factory, signer)
    return int(export_head["head_seq"]), _bundle_lines(factory, export_head, signer, list(retired_keys))


def _bundle_lines(
    factory: sessionmaker[Session],
    export_head: dict[str, Any],
    signer: CheckpointSigner,
    retired_keys: list[Ed25519PublicKey],
) -> Iterator[str]:
    head = int(export_head["head_seq"])
    yield _line({
        "record": "header",
        "format": BUNDLE_FORMAT,
        **export_head,
        "genesis_hash": GENESIS_HASH,
        "hashed_fields": list(HASHED_FIELDS),
    })
    yield _line({"record": "public_key", "key_id": signer.key_id,
                 "public_key": signer.public_key_bytes().hex(), "status": "current"})
    for key in retired_keys:
        yield _line({"record": "public_key", "key_id": key_id_of(key), "public_key": _raw_hex(key),
                     "status": "retired"})
    with factory() as session:
        anchors = [a for a in anchor_dicts(session) if a["through_seq"] <= head]
        checkpoints = session.execute(
            select(AuditCheckpoint).where(AuditCheckpoint.seq <= head).order_by(AuditCheckpoint.id)
        ).scalars().all()
        session.rollback()
        for anchor in anchors:
            yield _line({"record": "anchor", **anchor})
        for c in checkpoints:
            yield _line({"record": "checkpoint", "seq": c.seq, "head_hash": c.head_hash,
                         "created_at": canonical_ts(c.created_at), "key_id": c.key_id,
                         "signature": c.signature})
        after = 0
        while True:
            batch = session.execute(
                select(AuditEvent).where(AuditEvent.seq > after, AuditEvent.seq <= head)
                .order_by(AuditEvent.seq).limit(_BATCH)
            ).scalars().all()
            session.rollback()  # release SQLite's write lock between batches
            if not batch:
                return
            for row in batch:
                yield _line({"record": "event", **event_dict(row)})
            after = batch[-1].seq
