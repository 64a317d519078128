"""The witness: signed checkpoints and purge anchors, also written outside the database.

One file per record, created once (``O_EXCL``) and then made read-only: on a plain disk the
database owner (who has no access to the API host's var directory) cannot touch it; on
write-once storage (a WORM/SnapLock share, an object-lock bucket mounted as a directory)
nobody can, because such storage commits a file when it is made read-only. Each record is
self-describing JSON, signed, so a planted file fails verification like a forged row.

Records are written after their transaction commits (a rolled-back checkpoint never reaches
the witness); a process that dies between the commit and the write leaves a checkpoint the
witness lacks, which ``verify`` reports as a warning, not as tampering.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from security.audit_chain import canonical_json

log = structlog.get_logger("octroi.audit")

CHECKPOINT = "checkpoint"
ANCHOR = "purge_anchor"


@dataclass(frozen=True)
class Witness:
    directory: Path

    def append(self, record: dict[str, Any]) -> Path:
        """Write one record in its own new file; never overwrites (``FileExistsError``)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        body = canonical_json(record)
        name = f"{record['type']}-{int(record['seq']):015d}-{record['signature'][:16]}.json"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, 0o444)
        return path

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.directory.is_dir():
            return
        yield from self._read(sorted(self.directory.glob("*.json")))

    def records_between(self, low: int, high: int) -> Iterator[dict[str, Any]]:
        """The records whose ``seq`` lies in ``[low, high]``, picked by file name (which holds
        the seq), so only those files are read. A file whose name does not parse is read."""
        if not self.directory.is_dir():
            return
        picked = []
        for path in sorted(self.directory.glob("*.json")):
            parts = path.name.split("-")
            seq = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
            if seq is None or low <= seq <= high:
                picked.append(path)
        for record in self._read(picked):
            seq = record.get("seq")
            if not isinstance(seq, int):
                yield {"type": "unreadable", "file": record.get("file")}
            elif low <= seq <= high:
                yield record

    @staticmethod
    def _read(paths: list[Path]) -> Iterator[dict[str, Any]]:
        for path in paths:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                yield {"type": "unreadable", "file": path.name}
                continue
            yield record | {"file": path.name}


def checkpoint_record(seq: int, head_hash: str, created_at: str, key_id: str, signature: str) -> dict[str, Any]:
    return {
        "type": CHECKPOINT, "seq": seq, "head_hash": head_hash, "created_at": created_at,
        "key_id": key_id, "signature": signature,
    }


def anchor_record(anchor: dict[str, Any]) -> dict[str, Any]:
    return {"type": ANCHOR, "seq": anchor["through_seq"], **anchor}


def write_quietly(witness: Witness, records: list[dict[str, Any]]) -> None:
    """After the commit: a failure is logged (verify will show the gap), never raised."""
    for record in records:
        try:
            witness.append(record)
        except OSError as exc:
            log.error("audit_witness_write_failed", seq=record.get("seq"), error_type=type(exc).__name__)
