"""The verifiable export: events, checkpoints, purge anchors and public keys in one file.

JSON lines, one typed record per line (``"record"``: ``header``, ``public_key``, ``anchor``,
``checkpoint``, ``event``), events last and oldest first so the file streams in flat memory.
``docs/audit-format.md`` specifies it; ``verifier/octroi_verify.py`` checks it offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.audit.service import anchor_dicts, event_dict
from security.audit_chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    CheckpointSigner,
    canonical_ts,
    key_id_of,
)

BUNDLE_FORMAT = "octroi-audit-bundle/1"
_BATCH = 1000


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def _raw_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def bundle_lines(
    factory: sessionmaker[Session],
    head: int,
    signer: CheckpointSigner,
    retired_keys: Iterable[Ed25519PublicKey] = (),
) -> Iterator[str]:
    """Every line of a bundle covering the chain up to ``head`` (inclusive)."""
    yield _line({
        "record": "header",
        "format": BUNDLE_FORMAT,
        "head_seq": head,
        "exported_at": canonical_ts(datetime.now(UTC)),
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
