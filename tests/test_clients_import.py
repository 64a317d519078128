"""`octroi clients import`: pseudonyms only, one transaction, idempotent, line-numbered errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from backend.clients.models import Client
from backend.clients.service import (
    ImportFailed,
    erase_client,
    find_client,
    import_clients,
    keyring,
    read_import_file,
)
from backend.db import make_engine, make_sessionmaker, session_scope
from ml.schema import APPLICATION_COLUMNS, ID_COLUMN
from security.pseudonym import PseudonymKeyRing
from tests.fixtures.clients import import_file


@pytest.fixture
def sessions(settings):
    engine = make_engine(settings.effective_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _count(sessions) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(Client))


def test_import_stores_features_by_pseudonym_and_no_raw_id(settings, sessions, imported_clients):
    ring = keyring(settings)
    assert _count(sessions) == len(imported_clients)
    with sessions() as db:
        client = find_client(db, ring, str(imported_clients[0]))
        assert client.pseudonym == ring.pseudonymize(imported_clients[0]).value
        assert client.key_version == ring.current_version
        assert set(client.features) == set(APPLICATION_COLUMNS)
        assert ID_COLUMN not in client.features and "TARGET" not in client.features
        stored = {str(v) for v in db.scalars(select(Client.pseudonym))}
    assert not stored & {str(i) for i in imported_clients}


def test_reimporting_the_same_file_is_idempotent(settings, sessions, applicants_csv, imported_clients):
    with sessions() as db:
        before = {c.pseudonym: c.features for c in db.scalars(select(Client))}
    import_file(settings, applicants_csv)
    with sessions() as db:
        after = {c.pseudonym: c.features for c in db.scalars(select(Client))}
    assert after == before


def test_an_unchanged_row_is_not_rewritten_and_a_changed_one_is_counted_as_updated(
    settings, sessions, applicants_csv, imported_clients, tmp_path
):
    """Re-importing the same file changes nothing: no row rewritten (each keeps its import
    time), the clients revision (what caches key on) unmoved; one changed row is one update."""
    import pandas as pd

    from backend.clients.service import clients_revision

    def import_now(path):
        with session_scope(make_sessionmaker(engine)) as db:
            return import_clients(db, keyring(settings), read_import_file(path))

    engine = make_engine(settings.effective_database_url)
    try:
        with sessions() as db:
            times, revision = dict(db.execute(select(Client.pseudonym, Client.imported_at)).all()), clients_revision(db)
        again = import_now(applicants_csv)
        assert (again.inserted, again.updated, again.unchanged, again.changed) == (0, 0, len(imported_clients), False)
        with sessions() as db:
            assert dict(db.execute(select(Client.pseudonym, Client.imported_at)).all()) == times
            assert clients_revision(db) == revision

        frame = pd.read_csv(applicants_csv)
        frame.loc[0, "AMT_INCOME_TOTAL"] = float(frame.loc[0, "AMT_INCOME_TOTAL"]) + 1000.0
        changed = tmp_path / "changed.csv"
        frame.to_csv(changed, index=False)
        report = import_now(changed)
        assert (report.inserted, report.updated, report.unchanged, report.changed) == (
            0, 1, len(imported_clients) - 1, True)
        with sessions() as db:
            client = find_client(db, keyring(settings), str(imported_clients[0]))
            assert client.features["AMT_INCOME_TOTAL"] == float(frame.loc[0, "AMT_INCOME_TOTAL"])
            assert clients_revision(db) != revision
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("AMT_CREDIT", "lots", "is not a number"),
        ("CODE_GENDER", "Q", "is not an allowed value"),
        ("DAYS_BIRTH", "5", "outside the valid range"),
        (ID_COLUMN, "12345678901234", "positive integer of at most 12 digits"),
        (ID_COLUMN, "-7", "positive integer of at most 12 digits"),
    ],
)
def test_a_bad_row_names_its_line_and_column_and_nothing_is_imported(
    settings, sessions, write_applicants, column, value, reason
):
    def corrupt(frame):
        frame.loc[6, column] = value

    path = write_applicants(corrupt, rows=20)
    with pytest.raises(ImportFailed) as info:
        read_import_file(path)
    message = str(info.value)
    assert "line 8" in message and f"column {column}" in message and reason in message
    if column == ID_COLUMN:
        assert value not in message
    assert _count(sessions) == 0


def test_a_duplicate_client_id_is_reported_on_its_line(write_applicants):
    def duplicate(frame):
        frame.loc[3, ID_COLUMN] = frame.loc[1, ID_COLUMN]

    with pytest.raises(ImportFailed, match=r"line 5, column SK_ID_CURR: duplicate client id"):
        read_import_file(write_applicants(duplicate, rows=10))


def test_a_failing_import_keeps_nothing_of_that_import(settings, sessions, applicants_csv, monkeypatch):
    import backend.clients.service as service

    frame = read_import_file(applicants_csv)
    calls = {"n": 0}
    real = service.bump_clients_revision

    def fail_at_the_end(db):
        calls["n"] += 1
        real(db)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "bump_clients_revision", fail_at_the_end)
    with pytest.raises(RuntimeError), session_scope(sessions) as db:
        import_clients(db, keyring(settings), frame)
    assert calls["n"] == 1 and _count(sessions) == 0


def test_key_rotation_keeps_old_pseudonyms_resolvable_and_reimport_rekeys(
    settings, sessions, applicants_csv, applicant_ids, make_settings, db_url
):
    old = make_settings(db_url, pseudonym_key="v1:first-key-material")
    import_file(old, applicants_csv)
    rotated = make_settings(db_url, pseudonym_key="v2:second-key-material,v1:first-key-material")
    ring = PseudonymKeyRing.parse("v2:second-key-material,v1:first-key-material")
    with sessions() as db:
        assert find_client(db, ring, applicant_ids[0]).key_version == "v1"
    import_file(rotated, applicants_csv)
    with sessions() as db:
        assert find_client(db, ring, applicant_ids[0]).key_version == "v2"
        assert db.scalar(select(func.count()).select_from(Client)) == len(applicant_ids)


def test_erased_clients_are_not_brought_back_by_a_reimport(settings, sessions, applicants_csv, imported_clients):
    ring = keyring(settings)
    pseudonym = ring.pseudonymize(imported_clients[0])
    with session_scope(sessions) as db:
        assert erase_client(db, pseudonym.value, pseudonym.key_version)
    import_file(settings, applicants_csv)
    assert _count(sessions) == len(imported_clients) - 1


def test_cli_import_reports_counts_then_a_bad_file_exits_non_zero(settings, write_applicants, sessions, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({
        "OCTROI_DATABASE_URL": settings.effective_database_url,
        "OCTROI_VAR_DIR": str(settings.var_dir),
    })
    good = write_applicants(rows=30)
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "clients", "import", str(good)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "imported 30 rows" in result.stdout and "30 new" in result.stdout
    # The same file again: nothing changed, so no job recomputes the same figures.
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "clients", "import", str(good)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 updated, 30 unchanged" in result.stdout and "nothing changed" in result.stdout
    assert "job " not in result.stdout

    def corrupt(frame):
        frame.loc[2, "AMT_ANNUITY"] = "-3"

    bad = write_applicants(corrupt, rows=30)
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "clients", "import", str(bad)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "line 4" in result.stderr and "AMT_ANNUITY" in result.stderr
    assert "nothing was imported" in result.stderr
    assert _count(sessions) == 30
