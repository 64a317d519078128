"""Erasure that sticks (issue 14): an erased person stays erased under every pseudonym key
version, through rotation, re-keying and the removal of old versions. Both engines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import func, select

from backend.clients.models import Client, ClientErasure
from backend.clients.service import (
    ImportFailed,
    find_client,
    import_clients,
    keyring,
    read_import_file,
)
from backend.db import make_engine, make_sessionmaker, session_scope
from backend.privacy.service import erase, erasure_status, erasures_only_under
from ml.schema import ID_COLUMN

V1 = "v1:first-pseudonym-key-" + "1" * 20
V2 = "v2:second-pseudonym-key-" + "2" * 20
V3 = "v3:third-pseudonym-key-" + "3" * 20


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _import(sessions, settings, path):
    with session_scope(sessions) as db:
        return import_clients(db, keyring(settings), read_import_file(path))


def _erase_first(sessions, settings, path) -> int:
    raw = int(pd.read_csv(path, usecols=[ID_COLUMN])[ID_COLUMN][0])
    ring = keyring(settings)
    with session_scope(sessions) as db:
        erase(db, find_client(db, ring, raw), [p.value for p in ring.candidates(raw)], ring.candidates(raw))
    return raw


def _key_status(settings, key: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_DATABASE_URL": settings.effective_database_url, "OCTROI_VAR_DIR": str(settings.var_dir),
                "OCTROI_PSEUDONYM_KEY": key})
    return subprocess.run([sys.executable, "-m", "backend.cli", "privacy", "key-status"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_an_erased_client_stays_erased_after_rotation_and_removal_of_the_old_key(
    db_url, make_settings, write_applicants, sessions
):
    path = write_applicants(rows=5)
    v1 = make_settings(db_url, pseudonym_key=V1)
    _import(sessions, v1, path)
    _erase_first(sessions, v1, path)

    # The rotation SECURITY.md prescribes: both versions, re-import, then the new one alone.
    both = make_settings(db_url, pseudonym_key=f"{V2},{V1}")
    report = _import(sessions, both, path)
    assert (report.inserted, report.updated, report.skipped_erased, report.tombstones_rekeyed) == (0, 4, 1, 1)
    status = _key_status(both, f"{V2},{V1}")
    assert status.returncode == 0, status.stderr
    assert {r["version"]: r["removable"] for r in json.loads(status.stdout)}["v1"] is True

    v2 = make_settings(db_url, pseudonym_key=V2)
    again = _import(sessions, v2, path)
    assert (again.inserted, again.skipped_erased) == (0, 1)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Client)) == 4
    # And a re-keying to a third version carries the tombstone again.
    v3 = make_settings(db_url, pseudonym_key=f"{V3},{V2}")
    third = _import(sessions, v3, path)
    assert (third.skipped_erased, third.tombstones_rekeyed) == (1, 1)
    assert (_import(sessions, make_settings(db_url, pseudonym_key=V3), path).skipped_erased) == 1


def test_key_status_keeps_an_old_version_while_it_alone_guards_an_erased_person(
    db_url, make_settings, write_applicants, sessions
):
    path = write_applicants(rows=5)
    v1 = make_settings(db_url, pseudonym_key=V1)
    _import(sessions, v1, path)
    _erase_first(sessions, v1, path)
    # Rotated, but the erased person is not in the next file: their tombstone stays v1 only.
    both = make_settings(db_url, pseudonym_key=f"{V2},{V1}")
    _import(sessions, both, write_applicants(lambda frame: frame.iloc[1:5]))
    status = _key_status(both, f"{V2},{V1}")
    rows = {r["version"]: r for r in json.loads(status.stdout)}
    assert rows["v1"]["clients"] == 0 and rows["v1"]["erasures_only_here"] == 1
    assert rows["v1"]["removable"] is False
    with sessions() as db:
        assert erasures_only_under(db, "v2") == {"v1": 1}

    # Removing v1 anyway: the import refuses rather than bring the person back.
    v2 = make_settings(db_url, pseudonym_key=V2)
    with pytest.raises(ImportFailed, match="tombstones only under pseudonym key version"):
        _import(sessions, v2, path)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Client)) == 4
    removed = _key_status(v2, V2)
    assert removed.returncode == 1 and "could bring them back" in removed.stderr


def test_an_erasure_under_a_rotated_ring_keeps_a_tombstone_under_every_version(
    db_url, make_settings, write_applicants, sessions
):
    path = write_applicants(rows=3)
    both = make_settings(db_url, pseudonym_key=f"{V2},{V1}")
    _import(sessions, both, path)
    _erase_first(sessions, both, path)
    with sessions() as db:
        tombstones = db.scalars(select(ClientErasure)).all()
    assert sorted(t.key_version for t in tombstones) == ["v1", "v2"]
    assert len({t.erasure_id for t in tombstones}) == 1
    assert _import(sessions, make_settings(db_url, pseudonym_key=V2), path).skipped_erased == 1


def test_compliance_status_finds_an_erasure_made_under_an_older_key_version(
    db_url, make_settings, write_applicants, sessions
):
    path = write_applicants(rows=3)
    v1 = make_settings(db_url, pseudonym_key=V1)
    _import(sessions, v1, path)
    erased = _erase_first(sessions, v1, path)
    kept = int(pd.read_csv(path, usecols=[ID_COLUMN])[ID_COLUMN][1])
    # Rotated, nothing re-imported yet: the tombstone and the other client are under v1 only.
    ring = keyring(make_settings(db_url, pseudonym_key=f"{V2},{V1}"))
    with sessions() as db:
        status, erased_at, pseudonym = erasure_status(db, ring.candidates(erased))
        assert status == "erased" and erased_at is not None and erased_at.tzinfo is not None
        assert pseudonym == keyring(v1).pseudonymize(erased).value
        assert erasure_status(db, ring.candidates(kept))[0] == "current"
        assert erasure_status(db, ring.candidates(999_999_999_991)) == ("unknown", None, None)
    # Under the new version alone the old tombstone is out of reach: why key-status keeps v1.
    with sessions() as db:
        assert erasure_status(db, keyring(make_settings(db_url, pseudonym_key=V2)).candidates(erased))[0] == "unknown"
