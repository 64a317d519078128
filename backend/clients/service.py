"""Client data: import by pseudonym, lookup, readable profile, population loading.

No function here takes a raw client id further than ``PseudonymKeyRing``: the id is turned
into a pseudonym first and then forgotten. Error messages never repeat it.
"""

from __future__ import annotations

import io
import json
import math
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, Text, any_, bindparam, cast, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.orm import Session

from backend.audit.erasures import standing_erasures
from backend.clients.models import Client, ClientErasure, StoredClient
from backend.models import ServiceMeta
from backend.prepared import Prepared
from backend.settings import Settings
from ml.data import DataValidationError, load_applications
from ml.schema import APPLICATION_COLUMNS, DAYS_EMPLOYED_SENTINEL, ID_COLUMN
from security.pseudonym import MalformedClientId, Pseudonym, PseudonymKeyRing, normalize_client_id

# service_meta key whose value changes whenever the client population does (import, erasure):
# cached portfolio aggregates are keyed by it, so every replica sees the change.
CLIENTS_REVISION_KEY = "clients_revision"
_CHUNK = 5_000


class ClientNotFound(LookupError):
    """No current client under this id (never imported, or erased). Same answer for both."""

    def __init__(self) -> None:
        super().__init__("client not found")


class ImportFailed(ValueError):
    """The file cannot be imported; the message names the line and column, never a raw id."""


@dataclass(frozen=True)
class ImportReport:
    rows: int
    inserted: int
    updated: int
    skipped_erased: int
    key_version: str
    # Pseudonyms of erased clients brought back on purpose (``allow_erased``); the caller audits.
    restored_erased: tuple[str, ...] = ()
    # Tombstones added under the current key version for erased people seen in the file.
    tombstones_rekeyed: int = 0
    # Rows already stored exactly as in the file (current key, same fields): not written again.
    unchanged: int = 0
    # Of ``skipped_erased``: people the audit trail records as erased whose tombstones are gone
    # (deleted outside Octroi: ``octroi audit verify`` names the erasure).
    erased_without_tombstone: int = 0
    # For each of ``restored_erased``: every pseudonym whose erasure the import undid (the
    # person under each key version, as tombstoned or as the trail names it), for its event.
    erasures_undone: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the import changed what the portfolio, drift and backtest jobs read."""
        return bool(self.inserted or self.updated or self.restored_erased)


def keyring(settings: Settings) -> PseudonymKeyRing:
    return PseudonymKeyRing.parse(settings.secret("pseudonym_key"))


# ----------------------------------------------------------------------------- lookup


# Built once: on the request path, building the expression cost more than running it. Core,
# not the ORM: a read-only record costs a third of a mapped object to load.
_STORED_CLIENT = select(Client.pseudonym, Client.key_version, Client.features, Client.imported_at)
_CLIENTS_BY_PSEUDONYM = _STORED_CLIENT.where(Client.pseudonym.in_(bindparam("candidates", expanding=True)))
# One key version (no rotation under way): one pseudonym, straight on the cursor (backend.prepared).
_CLIENT_BY_PSEUDONYM = Prepared(_STORED_CLIENT.where(Client.pseudonym == bindparam("pseudonym")))


def find_client(db: Session, ring: PseudonymKeyRing, raw_client_id: object) -> StoredClient:
    """The client for a bank id under any key version (read-only, in the session's
    transaction); ``MalformedClientId`` / ``ClientNotFound``."""
    candidates = [p.value for p in ring.candidates(raw_client_id)]
    if len(candidates) == 1:
        found = _CLIENT_BY_PSEUDONYM.first(db.connection(), {"pseudonym": candidates[0]})
        if found is None:
            raise ClientNotFound()
        return StoredClient.of_row(found)
    rows = [StoredClient.of_row(row) for row in db.connection().execute(_CLIENTS_BY_PSEUDONYM, {"candidates": candidates})]
    if not rows:
        raise ClientNotFound()
    # After a rotation and a re-import only the current-key row remains; prefer it anyway.
    order = {value: position for position, value in enumerate(candidates)}
    return min(rows, key=lambda row: order[row.pseudonym])


def features_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Application feature dicts (as stored) -> a frame with every application column."""
    frame = pd.DataFrame.from_records(list(rows), columns=APPLICATION_COLUMNS)
    return frame


def clients_revision(db: Session) -> str:
    value = db.scalar(select(ServiceMeta.value).where(ServiceMeta.key == CLIENTS_REVISION_KEY))
    return value or "none"


def bump_clients_revision(db: Session) -> str:
    """Mark the population as changed (import, erasure) in the caller's transaction."""
    value = uuid.uuid4().hex
    now = datetime.now(UTC)
    row = db.get(ServiceMeta, CLIENTS_REVISION_KEY)
    if row is None:
        db.add(ServiceMeta(key=CLIENTS_REVISION_KEY, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
    db.flush()
    return value


def erase_client(
    db: Session, pseudonym: str, key_version: str, tombstones: Sequence[Pseudonym] = ()
) -> bool:
    """Delete a client's features and keep a tombstone (for the privacy domain); caller commits.

    ``tombstones``: the person's pseudonym under every configured key version, all kept under
    one ``erasure_id`` so the erasure outlives the removal of any one version.
    Returns True when a row was deleted. Callers also drop the client's cached results
    (``backend.cache.ResultCache.invalidate_pseudonym``).
    """
    deleted = db.execute(delete(Client).where(Client.pseudonym == pseudonym)).rowcount
    now = datetime.now(UTC)
    erasure_id = uuid.uuid4().hex
    for value, version in dict.fromkeys([(pseudonym, key_version), *((t.value, t.key_version) for t in tombstones)]):
        if db.get(ClientErasure, value) is None:
            db.add(ClientErasure(pseudonym=value, key_version=version, erased_at=now, erasure_id=erasure_id))
    bump_clients_revision(db)
    return bool(deleted)


# ----------------------------------------------------------------------------- profile

# (feature, fr label, en label, kind) — kind says how the raw value becomes readable.
PROFILE_FIELDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("age_years", "DAYS_BIRTH", "Âge (ans)", "Age (years)", "years"),
    ("gender", "CODE_GENDER", "Genre", "Gender", "text"),
    ("income", "AMT_INCOME_TOTAL", "Revenu annuel", "Annual income", "amount"),
    ("credit", "AMT_CREDIT", "Montant du crédit", "Credit amount", "amount"),
    ("annuity", "AMT_ANNUITY", "Annuité", "Annuity", "amount"),
    ("goods_price", "AMT_GOODS_PRICE", "Prix du bien", "Goods price", "amount"),
    ("contract_type", "NAME_CONTRACT_TYPE", "Type de contrat", "Contract type", "text"),
    ("employment_years", "DAYS_EMPLOYED", "Ancienneté dans l'emploi (ans)", "Employment (years)", "employment"),
    ("income_type", "NAME_INCOME_TYPE", "Type de revenu", "Income type", "text"),
    ("occupation", "OCCUPATION_TYPE", "Profession", "Occupation", "text"),
    ("family_status", "NAME_FAMILY_STATUS", "Situation familiale", "Family status", "text"),
    ("children", "CNT_CHILDREN", "Enfants", "Children", "count"),
    ("family_members", "CNT_FAM_MEMBERS", "Personnes au foyer", "Family members", "count"),
    ("education", "NAME_EDUCATION_TYPE", "Niveau d'études", "Education", "text"),
    ("housing", "NAME_HOUSING_TYPE", "Logement", "Housing", "text"),
    ("owns_car", "FLAG_OWN_CAR", "Possède une voiture", "Owns a car", "text"),
    ("owns_realty", "FLAG_OWN_REALTY", "Propriétaire", "Owns real estate", "text"),
    ("credit_to_income", "AMT_CREDIT", "Crédit / revenu", "Credit / income", "ratio"),
    # The credit bureaus' scores (0-1): the model's strongest inputs, so the advisor sees them,
    # and the what-if starts from them.
    ("external_score_1", "EXT_SOURCE_1", "Score externe 1", "External score 1", "score"),
    ("external_score_2", "EXT_SOURCE_2", "Score externe 2", "External score 2", "score"),
    ("external_score_3", "EXT_SOURCE_3", "Score externe 3", "External score 3", "score"),
)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# Each profile kind's unit, as the API gives it beside every value (ml.features.VALUE_UNITS).
_PROFILE_UNITS = {"years": "years", "employment": "years", "amount": "money", "count": "integer",
                  "ratio": "number", "text": "category", "score": "number"}


def completed_years(days_before: Any) -> float:
    """Negative days before the application as completed years, to one decimal (rounded down):
    someone 28.98 years old is 28.9 (their header read "29 ans")."""
    return math.floor(-float(days_before) / 365.25 * 10 + 1e-9) / 10


def readable_profile(features: dict[str, Any], lang: str, hidden: Collection[str]) -> list[dict[str, Any]]:
    """The advisor's view of the file: a few well-known fields in human units, with labels;
    none of the ``hidden`` columns (those the fair-lending policy excludes: decision 0031)."""
    out: list[dict[str, Any]] = []
    for key, column, fr, en, kind in PROFILE_FIELDS:
        if column in hidden:
            continue
        raw = _clean(features.get(column))
        value: Any = raw
        if kind == "years" and raw is not None:
            value = completed_years(raw)
        elif kind == "employment":
            value = None if raw is None or raw == DAYS_EMPLOYED_SENTINEL else completed_years(raw)
        elif kind == "ratio":
            income = _clean(features.get("AMT_INCOME_TOTAL"))
            value = round(float(raw) / float(income), 2) if raw is not None and income else None
        elif kind == "count" and raw is not None:
            value = int(raw)
        elif kind == "amount" and raw is not None:
            value = round(float(raw), 2)
        elif kind == "score" and raw is not None:
            value = round(float(raw), 3)
        out.append({"field": key, "label": fr if lang == "fr" else en, "value": value, "unit": _PROFILE_UNITS[kind]})
    return out


# ----------------------------------------------------------------------------- import


def _id_error(source: str, line: int) -> ImportFailed:
    # The value is not repeated: a malformed id may still be a real id with a typo.
    return ImportFailed(
        f"{source}, line {line}, column {ID_COLUMN}: "
        "the client id must be a positive integer of at most 12 digits"
    )


def read_import_file(path: str | Path) -> pd.DataFrame:
    """Load and validate the file; ``ImportFailed`` names the line and column."""
    path = Path(path)
    try:
        frame = load_applications(path, require_target=False)
    except DataValidationError as exc:
        if exc.column == ID_COLUMN and exc.row is not None:
            if exc.reason == "duplicate client id":
                raise ImportFailed(f"{exc.source}, line {exc.row}, column {ID_COLUMN}: duplicate client id") from None
            raise _id_error(exc.source, exc.row) from None
        raise ImportFailed(str(exc)) from None
    ids = frame[ID_COLUMN].to_numpy()
    bad = (ids <= 0) | (ids >= 10**12)
    if bad.any():
        raise _id_error(path.name, int(np.argmax(bad)) + 2)
    return frame


def _feature_json_lines(frame: pd.DataFrame) -> list[str]:
    """One compact JSON object per row (every application column, missing = null).

    Built column-wise with Arrow (numbers cast to their shortest round-trip text, then one
    element-wise join): several times faster than ``DataFrame.to_json(orient="records")``
    or ``json.dumps`` per row, and exact where ``to_json`` rounds to 15 digits.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ml.schema import COLUMN_BY_NAME

    pieces: list[Any] = []
    for position, name in enumerate(APPLICATION_COLUMNS):
        pieces.append(pa.scalar(("{" if position == 0 else ",") + json.dumps(name) + ":"))
        series = frame[name]
        spec = COLUMN_BY_NAME[name]
        if spec.is_categorical:
            # Validated levels only: each maps to its JSON string, missing to null.
            encoded = {level: json.dumps(level, ensure_ascii=False) for level in spec.levels}
            values = series.map(encoded).fillna("null").astype(object).to_numpy()
            pieces.append(pa.array(values, type=pa.string()))
        else:
            numbers = pa.array(series.to_numpy(), from_pandas=True)
            pieces.append(pc.fill_null(pc.cast(numbers, pa.string()), "null"))
    pieces.append(pa.scalar("}"))
    return pc.binary_join_element_wise(*pieces, "").to_pylist()


def import_clients(
    db: Session, ring: PseudonymKeyRing, frame: pd.DataFrame, *, allow_erased: bool = False
) -> ImportReport:
    """Upsert validated applicants by pseudonym in the caller's transaction (caller commits).

    Idempotent: importing the same file twice leaves the same rows. A client stored under an
    older key version is re-keyed to the current one. Erased clients are skipped unless
    ``allow_erased`` (then their tombstones go and ``restored_erased`` names them). Erased
    means a tombstone under any key version, or a ``privacy.erase`` event the audit trail still
    holds (chained or pending) that no restore undid, even if the database owner deleted the
    tombstone (``backend.audit.erasures``; the trail's word lasts as long as its retention).
    """
    ids = [int(v) for v in frame[ID_COLUMN].to_numpy()]
    current = [ring.pseudonymize(i) for i in ids]
    old: list[list[Pseudonym]] = [ring.candidates(i)[1:] for i in ids] if len(ring.versions) > 1 else []
    del ids  # nothing below needs the bank's ids
    lines = _feature_json_lines(frame)

    _refuse_orphaned_erasures(db, ring)
    all_candidates = [p.value for p in current] + [p.value for group in old for p in group]
    erased = set(_existing(db, ClientErasure, all_candidates))
    # What the trail says, for a tombstone the database owner may have deleted.
    recorded = standing_erasures(db.connection(), pending=True)
    untombstoned = {p for p in all_candidates if p in recorded} - erased
    restored: tuple[str, ...] = ()
    undone: dict[str, tuple[str, ...]] = {}
    rekeyed = 0

    def versions(i: int) -> list[Pseudonym]:
        return [current[i], *(old[i] if old else [])]

    if allow_erased and (erased or untombstoned):
        refused = erased | untombstoned
        people = [i for i in range(len(current)) if any(p.value in refused for p in versions(i))]
        restored = tuple(current[i].value for i in people)
        # Every tombstone of those people goes, under whichever version it was kept.
        groups = _erasure_groups(db, sorted(erased))
        ids = sorted({group for group, _ in groups.values()})
        members = _erasure_members(db, ids)
        for i in people:
            names = {p.value for p in versions(i) if p.value in refused}
            for name in list(names):
                if name in groups:
                    names |= members.get(groups[name][0], set())
            undone[current[i].value] = tuple(sorted(names))
        for start in range(0, len(ids), _CHUNK):
            db.execute(delete(ClientErasure).where(ClientErasure.erasure_id.in_(ids[start : start + _CHUNK])))
        erased, untombstoned = set(), set()
    elif erased:
        rekeyed = _rekey_tombstones(db, erased, current, old)
    stored = dict(_stored_features(db, all_candidates))
    existing = set(stored)

    keep = [i for i in range(len(current)) if not any(p.value in erased or p.value in untombstoned for p in versions(i))]
    without_tombstone = sum(
        1 for i in range(len(current))
        if any(p.value in untombstoned for p in versions(i)) and not any(p.value in erased for p in versions(i))
    )
    # A row stored under the current key with the same fields as the file is left as it is
    # (and keeps its import time): re-importing an unchanged file changes nothing.
    unchanged = {
        i for i in keep
        if stored.get(current[i].value) == lines[i] and not any(o.value in existing for o in (old[i] if old else []))
    }
    write = [i for i in keep if i not in unchanged]
    stale = [p.value for i, group in enumerate(current) if i not in unchanged
             for p in (group, *(old[i] if old else [])) if p.value in existing]
    updated = sum(
        1 for i in write
        if current[i].value in existing or any(o.value in existing for o in (old[i] if old else []))
    )
    if stale:
        _delete_clients(db, stale)
    now = datetime.now(UTC)
    _bulk_insert(db, ((current[i].value, current[i].key_version, lines[i]) for i in write), now)
    if write:
        bump_clients_revision(db)
    return ImportReport(
        rows=len(current),
        inserted=len(write) - updated,
        updated=updated,
        skipped_erased=len(current) - len(keep),
        key_version=ring.current_version,
        restored_erased=restored,
        tombstones_rekeyed=rekeyed,
        unchanged=len(unchanged),
        erased_without_tombstone=without_tombstone,
        erasures_undone=undone,
    )


def _refuse_orphaned_erasures(db: Session, ring: PseudonymKeyRing) -> None:
    """An erasure whose tombstones all use versions the ring no longer has cannot be matched:
    importing would bring that person back. Refuse, saying how to recover."""
    covered = select(ClientErasure.erasure_id).where(ClientErasure.key_version.in_(ring.versions))
    rows = db.execute(
        select(ClientErasure.key_version, ClientErasure.erasure_id)
        .where(ClientErasure.erasure_id.not_in(covered))
    ).all()
    if rows:
        versions = ", ".join(sorted({version for version, _ in rows}))
        raise ImportFailed(
            f"{len({group for _, group in rows})} erased clients have tombstones only under pseudonym "
            f"key version(s) {versions}, missing from OCTROI_PSEUDONYM_KEY: an import could bring them "
            "back. Put those versions back in the ring as old versions (re-import so the tombstones "
            "are re-keyed) and remove a version only when `octroi privacy key-status` says removable"
        )


def _erasure_groups(db: Session, pseudonyms: list[str]) -> dict[str, tuple[str, datetime]]:
    groups: dict[str, tuple[str, datetime]] = {}
    for start in range(0, len(pseudonyms), _CHUNK):
        for value, group, erased_at in db.execute(
            select(ClientErasure.pseudonym, ClientErasure.erasure_id, ClientErasure.erased_at)
            .where(ClientErasure.pseudonym.in_(pseudonyms[start : start + _CHUNK]))
        ).all():
            groups[value] = (group or value, erased_at)
    return groups


def _erasure_members(db: Session, groups: list[str]) -> dict[str, set[str]]:
    """The pseudonyms kept under each of these erasure groups (a person under each key version)."""
    members: dict[str, set[str]] = {}
    for start in range(0, len(groups), _CHUNK):
        for value, group in db.execute(
            select(ClientErasure.pseudonym, ClientErasure.erasure_id)
            .where(ClientErasure.erasure_id.in_(groups[start : start + _CHUNK]))
        ).all():
            members.setdefault(group, set()).add(value)
    return members


def _rekey_tombstones(
    db: Session, erased: set[str], current: list[Pseudonym], old: list[list[Pseudonym]]
) -> int:
    """An erased person seen under a ring with more versions than their tombstones: add the
    missing versions (same ``erasure_id``), so they stay erased once older versions go."""
    groups = _erasure_groups(db, sorted(erased))
    added = 0
    for i, pseudonym in enumerate(current):
        versions = [pseudonym, *(old[i] if old else [])]
        match = next((groups[p.value] for p in versions if p.value in groups), None)
        if match is None:
            continue
        group, erased_at = match
        for p in versions:
            if p.value not in erased:
                db.add(ClientErasure(pseudonym=p.value, key_version=p.key_version, erased_at=erased_at,
                                     erasure_id=group))
                erased.add(p.value)
                added += 1
    if added:
        db.flush()
    return added


def _by_pseudonym(db: Session, query: Any, column: Any, values: list[str]) -> Iterable[Any]:
    """The rows of ``query`` whose ``column`` (a pseudonym) is one of ``values``."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        # One array parameter: compiling and planning 5,000-item IN lists cost more than the COPY.
        as_array = bindparam("values", value=values, type_=PG_ARRAY(String))
        yield from db.execute(query.where(column == any_(as_array)))
        return
    for start in range(0, len(values), _CHUNK):
        yield from db.execute(query.where(column.in_(values[start : start + _CHUNK])))


def _existing(db: Session, model: type[Client] | type[ClientErasure], values: list[str]) -> Iterable[str]:
    return (row[0] for row in _by_pseudonym(db, select(model.pseudonym), model.pseudonym, values))


def _stored_features(db: Session, pseudonyms: list[str]) -> Iterable[tuple[str, str]]:
    """(pseudonym, features as the JSON text stored) of those of these clients that exist."""
    query = select(Client.pseudonym, cast(Client.features, Text))
    return ((row[0], row[1]) for row in _by_pseudonym(db, query, Client.pseudonym, pseudonyms))


def _delete_clients(db: Session, pseudonyms: list[str]) -> None:
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DELETE FROM clients WHERE pseudonym = ANY(%(values)s)", {"values": pseudonyms})
        return
    for start in range(0, len(pseudonyms), _CHUNK):
        db.execute(delete(Client).where(Client.pseudonym.in_(pseudonyms[start : start + _CHUNK])))


def _bulk_insert(db: Session, rows: Iterable[tuple[str, str, str]], now: datetime) -> None:
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        # COPY inside the session's transaction: the fastest path, still all-or-nothing.
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
            "COPY clients (pseudonym, key_version, features, imported_at) FROM STDIN"
        ) as copy:
            for pseudonym, version, line in rows:
                copy.write_row((pseudonym, version, line, now))
        return
    statement = text(
        "INSERT INTO clients (pseudonym, key_version, features, imported_at) "
        "VALUES (:pseudonym, :key_version, :features, :imported_at)"
    )
    batch: list[dict[str, Any]] = []
    stamp = now.isoformat(sep=" ")
    for pseudonym, version, line in rows:
        batch.append({"pseudonym": pseudonym, "key_version": version, "features": line, "imported_at": stamp})
        if len(batch) >= _CHUNK:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)


# ----------------------------------------------------------------------------- population


def load_population(db: Session) -> pd.DataFrame:
    """Every current client's features as one frame (schema dtypes), for portfolio aggregates."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy("COPY (SELECT features FROM clients) TO STDOUT") as copy:
            for block in copy:
                buffer.write(block)
        payload = buffer.getvalue()
        if b"\\" in payload:
            # COPY's text format doubles backslashes; compact JSON holds no raw tab or newline,
            # so undoing that is the only unescaping needed.
            payload = payload.replace(b"\\\\", b"\\")
    else:
        texts = connection.exec_driver_sql("SELECT features FROM clients").scalars().all()
        payload = "\n".join(texts).encode()
    return population_from_json_lines(payload)


def population_from_json_lines(payload: bytes) -> pd.DataFrame:
    if not payload.strip():
        return pd.DataFrame(columns=APPLICATION_COLUMNS)
    import pyarrow as pa
    import pyarrow.json as pa_json

    schema = pa.schema([(c, _arrow_type(c)) for c in APPLICATION_COLUMNS])
    table = pa_json.read_json(
        io.BytesIO(payload),
        parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )
    return table.to_pandas()


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    from ml.schema import COLUMN_BY_NAME

    spec = COLUMN_BY_NAME[column]
    if spec.is_categorical:
        return pa.string()
    if not spec.nullable:
        return pa.int64()
    return pa.float64()


__all__ = [
    "ClientNotFound",
    "ImportFailed",
    "ImportReport",
    "MalformedClientId",
    "bump_clients_revision",
    "clients_revision",
    "erase_client",
    "features_frame",
    "find_client",
    "import_clients",
    "keyring",
    "load_population",
    "normalize_client_id",
    "read_import_file",
    "readable_profile",
]
