"""Realised outcomes (did the loan default?), imported by pseudonym like the clients.

A file has ``SK_ID_CURR`` and ``TARGET`` (0 = repaid, 1 = default) and optionally
``OBSERVED_AT`` (ISO date the outcome was known). Every row is checked before anything is
written; an error names the line and column, never the id's value. Ids become pseudonyms at
once and are then forgotten. An outcome is kept only for a current client: erased clients
are skipped (their tombstone wins) and so are ids that were never imported (an outcome
without features serves no purpose, so it is not kept). Erasing a client deletes their
outcome (``delete_outcomes``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.clients.models import Client, ClientErasure
from backend.clients.service import ImportFailed
from backend.monitoring.models import Outcome
from backend.monitoring.service import bump_outcomes_revision
from ml.schema import ID_COLUMN, TARGET_COLUMN
from security.pseudonym import MalformedClientId, PseudonymKeyRing, normalize_client_id

OBSERVED_COLUMN = "OBSERVED_AT"
COLUMNS = (ID_COLUMN, TARGET_COLUMN, OBSERVED_COLUMN)
_CHUNK = 5_000


@dataclass(frozen=True)
class OutcomeRow:
    client_id: int
    target: int
    observed_at: date | None


@dataclass(frozen=True)
class OutcomesReport:
    rows: int
    inserted: int
    updated: int
    skipped_erased: int
    skipped_unknown: int
    key_version: str
    # Outcomes already stored as the file gives them (same client row, target and date).
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


def read_outcomes_file(path: str | Path, today: date | None = None) -> list[OutcomeRow]:
    """Parse and validate every row; ``ImportFailed`` names the line and column."""
    path = Path(path)
    today = today or datetime.now(UTC).date()
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailed(f"{path.name}: cannot be read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ImportFailed(f"{path.name}: the file is empty") from None
        except (csv.Error, UnicodeDecodeError):
            raise ImportFailed(f"{path.name}, line 1: not a UTF-8 CSV file") from None
        unknown = [name for name in header if name not in COLUMNS]
        if unknown:
            raise ImportFailed(
                f"{path.name}, line 1: unexpected column(s) {', '.join(unknown[:5])}; "
                f"allowed: {', '.join(COLUMNS)}"
            )
        for required in (ID_COLUMN, TARGET_COLUMN):
            if required not in header:
                raise ImportFailed(f"{path.name}, line 1: missing column {required}")
        if len(set(header)) != len(header):
            raise ImportFailed(f"{path.name}, line 1: a column appears twice")
        position = {name: header.index(name) for name in header}
        rows: list[OutcomeRow] = []
        seen: set[int] = set()
        try:
            for line, record in enumerate(reader, start=2):
                if not record or all(not cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    raise ImportFailed(f"{path.name}, line {line}: expected {len(header)} values, found {len(record)}")
                rows.append(_row(path.name, line, record, position, seen, today))
        except (csv.Error, UnicodeDecodeError):
            raise ImportFailed(f"{path.name}: not a UTF-8 CSV file") from None
    if not rows:
        raise ImportFailed(f"{path.name}: no outcome rows")
    return rows


def _row(source: str, line: int, record: list[str], position: dict[str, int], seen: set[int], today: date) -> OutcomeRow:
    try:
        client_id = normalize_client_id(record[position[ID_COLUMN]].strip())
    except MalformedClientId:
        raise ImportFailed(
            f"{source}, line {line}, column {ID_COLUMN}: the client id must be a positive integer of at most 12 digits"
        ) from None
    if client_id in seen:
        raise ImportFailed(f"{source}, line {line}, column {ID_COLUMN}: duplicate client id")
    seen.add(client_id)
    target = record[position[TARGET_COLUMN]].strip()
    if target not in ("0", "1"):
        raise ImportFailed(f"{source}, line {line}, column {TARGET_COLUMN}: must be 0 (repaid) or 1 (default), got {target[:20]!r}")
    observed: date | None = None
    if OBSERVED_COLUMN in position:
        text = record[position[OBSERVED_COLUMN]].strip()
        if text:
            try:
                observed = date.fromisoformat(text)
            except ValueError:
                raise ImportFailed(
                    f"{source}, line {line}, column {OBSERVED_COLUMN}: must be a date YYYY-MM-DD, got {text[:20]!r}"
                ) from None
            if observed > today:
                raise ImportFailed(f"{source}, line {line}, column {OBSERVED_COLUMN}: {observed} is in the future")
    return OutcomeRow(client_id, int(target), observed)


def _existing(db: Session, column: object, values: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        found.update(db.scalars(select(column).where(column.in_(values[start : start + _CHUNK]))))  # type: ignore[attr-defined]
    return found


def import_outcomes(db: Session, ring: PseudonymKeyRing, rows: list[OutcomeRow]) -> OutcomesReport:
    """Upsert outcomes by pseudonym in the caller's transaction (caller commits); idempotent."""
    candidates = [[p.value for p in ring.candidates(row.client_id)] for row in rows]
    targets = [(row.target, row.observed_at) for row in rows]
    del rows  # nothing below needs the bank's ids
    every = [value for group in candidates for value in group]
    clients = _existing(db, Client.pseudonym, every)
    erased = _existing(db, ClientErasure.pseudonym, every)
    stored = _stored(db, every)
    now = datetime.now(UTC)
    inserted = updated = skipped_erased = skipped_unknown = unchanged = 0
    replace: list[str] = []
    new_rows: list[Outcome] = []
    for group, (target, observed) in zip(candidates, targets, strict=True):
        if any(value in erased for value in group):
            skipped_erased += 1
            continue
        # The client's row is under the current key after an import; older keys until then.
        client = next((value for value in group if value in clients), None)
        if client is None:
            skipped_unknown += 1
            continue
        previous = [value for value in group if value in stored]
        if previous == [client] and stored[client] == (target, observed):
            unchanged += 1  # left as it is, with its import time
            continue
        replace.extend(previous)
        if previous:
            updated += 1
        else:
            inserted += 1
        version = ring.current_version if client == group[0] else _version_of(ring, group, client)
        new_rows.append(Outcome(pseudonym=client, key_version=version, target=target, observed_at=observed,
                                imported_at=now))
    for start in range(0, len(replace), _CHUNK):
        db.execute(delete(Outcome).where(Outcome.pseudonym.in_(replace[start : start + _CHUNK])))
    db.add_all(new_rows)
    db.flush()
    if new_rows or replace:
        bump_outcomes_revision(db)
    return OutcomesReport(len(candidates), inserted, updated, skipped_erased, skipped_unknown, ring.current_version,
                          unchanged)


def _stored(db: Session, values: list[str]) -> dict[str, tuple[int, date | None]]:
    """pseudonym -> (target, observed_at) of the outcomes stored under these pseudonyms."""
    found: dict[str, tuple[int, date | None]] = {}
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        rows = db.execute(select(Outcome.pseudonym, Outcome.target, Outcome.observed_at).where(Outcome.pseudonym.in_(chunk)))
        found.update({pseudonym: (int(target), observed) for pseudonym, target, observed in rows})
    return found


def _version_of(ring: PseudonymKeyRing, group: list[str], value: str) -> str:
    return ring.versions[group.index(value)]


def delete_outcomes(db: Session, pseudonyms: list[str]) -> int:
    """Erase the outcomes of these pseudonyms (RGPD Art. 17, with the client); caller commits."""
    deleted = db.execute(delete(Outcome).where(Outcome.pseudonym.in_(pseudonyms))).rowcount or 0
    if deleted:
        bump_outcomes_revision(db)
    return int(deleted)
