"""Key rotation: pseudonymization key versions and the JWT key's grace period."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.clients.models import Client
from backend.clients.service import find_client, keyring
from backend.privacy.service import key_usage
from backend.settings import ConfigurationError
from backend.users.service import create_user
from ml.schema import ID_COLUMN
from security.tokens import PreviousKey, TokenConfig, TokenError, decode_token, issue_access_token
from tests.fixtures.auth import login
from tests.fixtures.clients import import_file

API = "/api/v1"
OLD_JWT = "old-jwt-key-" + "a" * 40
NEW_JWT = "new-jwt-key-" + "b" * 40
PASSWORD = "Rotation-Secret-42!"


# --------------------------------------------------------------------------- pseudonym key


def test_rotated_pseudonym_key_gives_new_pseudonyms_and_still_resolves_old_ones(
    db_url, make_settings, cheap_argon2, applicants_csv, write_applicants, tmp_path
):
    v1 = make_settings(db_url, pseudonym_key="v1:first-pseudonym-key-" + "1" * 20)
    import_file(v1, write_applicants(rows=10))
    rotated = make_settings(db_url, pseudonym_key="v2:second-pseudonym-key-" + "2" * 20 + ","
                            "v1:first-pseudonym-key-" + "1" * 20)
    new_file = write_applicants(lambda frame: frame.iloc[10:15])
    import_file(rotated, new_file)
    old_ids = [int(v) for v in pd.read_csv(applicants_csv, usecols=[ID_COLUMN])[ID_COLUMN][:10]]
    new_ids = [int(v) for v in pd.read_csv(new_file, usecols=[ID_COLUMN])[ID_COLUMN]]

    app = create_app(rotated)
    with TestClient(app) as http:
        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="adv", role="advisor", full_name="A",
                        password=PASSWORD, must_change_password=False)
            db.commit()
        headers = {"Authorization": f"Bearer {login(http, 'adv', PASSWORD)['access_token']}"}
        old = http.get(f"{API}/clients/{old_ids[0]}", headers=headers)
        new = http.get(f"{API}/clients/{new_ids[0]}", headers=headers)
    assert old.status_code == 200 and old.json()["key_version"] == "v1"
    assert new.status_code == 200 and new.json()["key_version"] == "v2"
    ring = keyring(rotated)
    assert new.json()["pseudonym"] == ring.pseudonymize(new_ids[0]).value
    assert old.json()["pseudonym"] == ring.candidates(old_ids[0])[1].value
    with app.state.sessionmaker() as db:
        assert key_usage(db) == {"v1": {"clients": 10, "erasures": 0}, "v2": {"clients": 5, "erasures": 0}}


def test_an_erasure_under_the_old_key_still_blocks_reimport_after_rotation(
    db_url, make_settings, write_applicants
):
    from backend.db import make_engine, make_sessionmaker, session_scope
    from backend.privacy.service import erase

    path = write_applicants(rows=5)
    v1 = make_settings(db_url, pseudonym_key="v1:first-pseudonym-key-" + "1" * 20)
    import_file(v1, path)
    raw = int(pd.read_csv(path, usecols=[ID_COLUMN])[ID_COLUMN][0])
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with session_scope(sessions) as db:
            ring = keyring(v1)
            erase(db, find_client(db, ring, raw), [p.value for p in ring.candidates(raw)])
        rotated = make_settings(db_url, pseudonym_key="v2:second-pseudonym-key-" + "2" * 20 + ","
                                "v1:first-pseudonym-key-" + "1" * 20)
        import_file(rotated, path)  # re-keys the four others to v2, must not bring the erased one back
        with sessions() as db:
            rows = db.scalars(select(Client)).all()
            assert len(rows) == 4 and {r.key_version for r in rows} == {"v2"}
            # The re-import saw the erased id under v1 and re-keyed the tombstone to v2 as well.
            assert key_usage(db) == {"v1": {"clients": 0, "erasures": 1}, "v2": {"clients": 4, "erasures": 1}}
    finally:
        engine.dispose()


def test_key_status_cli_says_which_old_version_may_leave_the_ring(db_url, make_settings, write_applicants):
    v1 = make_settings(db_url, pseudonym_key="v1:first-pseudonym-key-" + "1" * 20)
    import_file(v1, write_applicants(rows=3))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_DATABASE_URL": v1.effective_database_url, "OCTROI_VAR_DIR": str(v1.var_dir),
                "OCTROI_PSEUDONYM_KEY": "v2:second-pseudonym-key-" + "2" * 20 + ",v1:first-pseudonym-key-" + "1" * 20})
    result = subprocess.run([sys.executable, "-m", "backend.cli", "privacy", "key-status"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = {r["version"]: r for r in json.loads(result.stdout)}
    assert rows["v1"]["clients"] == 3 and rows["v1"]["removable"] is False
    assert rows["v2"]["current"] is True


# --------------------------------------------------------------------------- JWT key


def test_previous_jwt_key_verifies_only_until_its_grace_period_ends():
    old = TokenConfig(key=OLD_JWT)
    token = issue_access_token(old, "alice", "advisor").token
    now = datetime.now(UTC)

    in_grace = TokenConfig(key=NEW_JWT, previous_keys=(PreviousKey(OLD_JWT, now + timedelta(hours=1)),))
    assert decode_token(in_grace, token, "access")["sub"] == "alice"  # now in the verified-token cache
    after_grace = TokenConfig(key=NEW_JWT, previous_keys=(PreviousKey(OLD_JWT, now - timedelta(seconds=1)),))
    with pytest.raises(TokenError, match="invalid token"):
        decode_token(after_grace, token, "access")
    # New tokens are signed with the new key only: the old key alone cannot verify them.
    fresh = issue_access_token(in_grace, "alice", "advisor").token
    with pytest.raises(TokenError):
        decode_token(old, fresh, "access")


def _app(db_url, make_settings, **overrides):
    return create_app(make_settings(db_url, jwt_key=NEW_JWT, **overrides))


def test_old_tokens_work_during_the_grace_period_and_are_refused_after_it(db_url, make_settings, cheap_argon2):
    before = create_app(make_settings(db_url, jwt_key=OLD_JWT))
    with TestClient(before) as http:
        with before.state.sessionmaker() as db:
            create_user(db, before.state.password_hasher, username="adv", role="advisor", full_name="A",
                        password=PASSWORD, must_change_password=False)
            db.commit()
        tokens = login(http, "adv", PASSWORD)
    old_access = {"Authorization": f"Bearer {tokens['access_token']}"}

    grace = _app(db_url, make_settings, jwt_previous_key=OLD_JWT,
                 jwt_previous_key_until=datetime.now(UTC) + timedelta(hours=1))
    with TestClient(grace) as http:
        assert http.get(f"{API}/auth/me", headers=old_access).status_code == 200
        refreshed = http.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        new_access = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}

    ended = _app(db_url, make_settings, jwt_previous_key=OLD_JWT,
                 jwt_previous_key_until=datetime.now(UTC) - timedelta(seconds=1))
    with TestClient(ended) as http:
        refused = http.get(f"{API}/auth/me", headers=old_access)
        assert refused.status_code == 401
        # The pair issued during the grace period is signed with the new key and keeps working.
        assert http.get(f"{API}/auth/me", headers=new_access).status_code == 200


def test_a_previous_jwt_key_without_an_end_of_grace_is_a_configuration_error(db_url, make_settings):
    with pytest.raises(ConfigurationError, match="OCTROI_JWT_PREVIOUS_KEY_UNTIL"):
        _app(db_url, make_settings, jwt_previous_key=OLD_JWT)
    with pytest.raises(ConfigurationError, match="equals OCTROI_JWT_KEY"):
        _app(db_url, make_settings, jwt_previous_key=NEW_JWT,
             jwt_previous_key_until=datetime.now(UTC) + timedelta(hours=1))


# --------------------------------------------------------------------------- audit signing key


def test_checkpoints_signed_before_an_audit_key_rotation_verify_once_the_old_public_key_is_listed(
    db_url, make_settings, cheap_argon2
):
    from backend.audit.service import record_event, verify_trail, write_checkpoint

    before = create_app(make_settings(db_url, audit_signing_key="old-audit-signing-key-" + "c" * 20))
    with before.state.sessionmaker() as db:
        record_event(db, None, None, action="test.event", actor="t")
        write_checkpoint(db, before.state.checkpoint_signer)
        db.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_DATABASE_URL": db_url, "OCTROI_VAR_DIR": str(make_settings(db_url).var_dir),
                "OCTROI_AUDIT_SIGNING_KEY": "old-audit-signing-key-" + "c" * 20})
    printed = subprocess.run([sys.executable, "-m", "backend.cli", "privacy", "audit-public-key"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    old_public = printed.stdout.split()[0]
    assert old_public == before.state.checkpoint_signer.public_key_bytes().hex()

    rotated_key = "new-audit-signing-key-" + "d" * 20
    unlisted = create_app(make_settings(db_url, audit_signing_key=rotated_key))
    with unlisted.state.sessionmaker() as db:
        result = verify_trail(db, unlisted.state.checkpoint_signer, unlisted.state.retired_audit_keys)
    assert not result.valid and "unknown key" in result.reason

    listed = create_app(make_settings(db_url, audit_signing_key=rotated_key, audit_previous_public_keys=old_public))
    with listed.state.sessionmaker() as db:
        record_event(db, None, None, action="test.event", actor="t")
        write_checkpoint(db, listed.state.checkpoint_signer)  # signed with the new key
        db.commit()
        result = verify_trail(db, listed.state.checkpoint_signer, listed.state.retired_audit_keys)
    assert result.valid and result.checkpoints_checked == 2
    with pytest.raises(ConfigurationError, match="OCTROI_AUDIT_PREVIOUS_PUBLIC_KEYS entry 1"):
        create_app(make_settings(db_url, audit_previous_public_keys="not-hex"))
