"""The audit trail against an insider, second review (compliance officer and database owner).

1. An erasure undone by the database owner (tombstone deleted, person re-imported) is reported
   by ``verify`` at the ``privacy.erase`` event, and the import refuses the person anyway.
2. An event the owner slipped into ``audit_pending`` with a false (earlier) date is reported.
3. SQLite: a ``ts`` rewritten to another text form (same instant, same hash) is reported.
4. A refused export (bad period, filters with ``format=bundle``) changes nothing and names
   its fields.
5. A cursor past 2^53 is a 422 naming the field, not a 500.
6. The verification names its failure with a machine-readable ``reason_code`` that the
   dashboard words in its language.

Both engines unless said otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog.testing
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from backend.audit import service as audit_service
from backend.audit.models import AuditEvent, AuditPending
from backend.clients.models import Client, ClientErasure
from backend.clients.service import find_client, import_clients, keyring, read_import_file
from backend.db import make_engine, make_sessionmaker, session_scope
from backend.privacy.service import erase
from backend.ratelimit import RateLimitCounter
from tests.test_audit_insider import _owner_sql
from tests.test_audit_trail import _write_events, cli  # noqa: F401 - the cli fixture

API = "/api/v1"
VERIFIER = Path(__file__).resolve().parents[1] / "verifier" / "octroi_verify.py"


@pytest.fixture
def settings(db_url, make_settings):
    return make_settings(db_url, rate_limit_export_per_hour=1)


def _verify(app):
    with app.state.sessionmaker() as db:
        return audit_service.verify_trail(db, app.state.checkpoint_signer, (), app.state.audit_witness)


def _seq_of(app, action: str, resource: str) -> int:
    with app.state.sessionmaker() as db:
        return db.scalars(
            select(AuditEvent.seq).where(AuditEvent.action == action, AuditEvent.resource == resource)
        ).one()


# ------------------------------------------------------------- 1. an erasure the owner undid


def _erase_then_delete_the_tombstone(app, client, auth_headers, imported_clients, settings, db_url, erase):
    compliance = auth_headers("compliance")
    raw = imported_clients[-1]
    pseudonym = keyring(settings).pseudonymize(raw).value
    assert erase(raw).status_code == 200
    erased_at = _seq_of(app, "privacy.erase", pseudonym)
    _owner_sql(db_url, f"DELETE FROM client_erasures WHERE pseudonym = '{pseudonym}'")
    with app.state.sessionmaker() as db:
        assert db.get(ClientErasure, pseudonym) is None
    return compliance, raw, pseudonym, erased_at


def test_an_erasure_whose_tombstone_the_owner_deleted_is_reported_and_the_person_not_reimported(
    app, client, auth_headers, imported_clients, settings, db_url, applicants_csv, cli, erase  # noqa: F811
):
    compliance, raw, pseudonym, erased_at = _erase_then_delete_the_tombstone(
        app, client, auth_headers, imported_clients, settings, db_url, erase)

    imported = cli("clients", "import", str(applicants_csv), "--no-jobs")
    assert imported.exit_code == 0, imported.output
    assert "1 skipped (erased)" in imported.output and "0 new" in imported.output
    assert "audit trail records the erasure" in imported.output
    with app.state.sessionmaker() as db:
        assert db.get(Client, pseudonym) is None
    advisor = auth_headers("advisor")
    assert client.get(f"{API}/clients/{raw}", headers=advisor).status_code == 404

    answer = client.get(f"{API}/audit/verify", headers=compliance).json()
    assert answer["valid"] is False and answer["first_invalid_seq"] == erased_at, answer
    assert answer["reason_code"] == "erasure_undone" and "no tombstone" in answer["reason"]
    verified = cli("audit", "verify")
    assert verified.exit_code == 1
    assert f"INVALID at seq {erased_at}" in verified.output and "no tombstone" in verified.output


def test_every_undone_erasure_is_named(app, client, auth_headers, imported_clients, settings, db_url, erase):
    ring = keyring(settings)
    pseudonyms = [ring.pseudonymize(raw).value for raw in imported_clients[-3:]]
    for raw in imported_clients[-3:]:
        assert erase(raw).status_code == 200
    seqs = [_seq_of(app, "privacy.erase", p) for p in pseudonyms]
    _owner_sql(db_url, *(f"DELETE FROM client_erasures WHERE pseudonym = '{p}'" for p in pseudonyms[:2]))
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == seqs[0] and result.reason_code == "erasure_undone"
    assert any(f"seq {seqs[1]}:" in w and "no tombstone" in w for w in result.warnings), result.warnings
    assert not any(f"seq {seqs[2]}:" in w for w in result.warnings)


def test_a_restore_on_purpose_accounts_for_the_missing_tombstone(
    app, client, auth_headers, imported_clients, settings, db_url, applicants_csv, cli, erase  # noqa: F811
):
    _, _, pseudonym, _ = _erase_then_delete_the_tombstone(
        app, client, auth_headers, imported_clients, settings, db_url, erase)
    restored = cli("clients", "import", str(applicants_csv), "--no-jobs", "--allow-erased")
    assert restored.exit_code == 0, restored.output
    assert "1 erased clients brought back" in restored.output
    with app.state.sessionmaker() as db:
        assert db.get(Client, pseudonym) is not None
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "client.reimport_erased")).all()
    assert event.resource == pseudonym and event.details["erasures_undone"] == [pseudonym]
    result = _verify(app)
    assert result.valid, result.reason


def test_an_erased_person_put_back_into_the_clients_table_is_reported(
    app, client, auth_headers, imported_clients, settings, erase
):
    raw = imported_clients[-1]
    pseudonym = keyring(settings).pseudonymize(raw).value
    with app.state.sessionmaker() as db:
        features = db.get(Client, pseudonym).features
    assert erase(raw).status_code == 200
    erased_at = _seq_of(app, "privacy.erase", pseudonym)
    # The owner keeps the tombstone and writes the row back (no trigger stands in the way).
    with app.state.sessionmaker() as db:
        db.add(Client(pseudonym=pseudonym, key_version=ring_version(settings), features=features,
                      imported_at=datetime.now(UTC)))
        db.commit()
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == erased_at
    assert result.reason_code == "erasure_undone" and "is back in the clients table" in result.reason


def ring_version(settings) -> str:
    return keyring(settings).current_version


V1 = "v1:first-pseudonym-key-" + "1" * 20
V2 = "v2:second-pseudonym-key-" + "2" * 20


def test_the_import_refuses_a_person_erased_under_an_older_key_version_with_no_tombstone_left(
    db_url, make_settings, write_applicants
):
    """The erasure event names the pseudonym under v1; after the rotation (ring v2,v1) and with
    every tombstone gone, the import still finds it (and also while the event is pending)."""
    path = write_applicants(rows=5)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        v1 = make_settings(db_url, pseudonym_key=V1)
        with session_scope(sessions) as db:
            import_clients(db, keyring(v1), read_import_file(path))
        import pandas as pd

        from ml.schema import ID_COLUMN

        raw = int(pd.read_csv(path, usecols=[ID_COLUMN])[ID_COLUMN][0])
        ring = keyring(v1)
        with session_scope(sessions) as db:
            stored = find_client(db, ring, raw)
            erase(db, stored, [p.value for p in ring.candidates(raw)], ring.candidates(raw))
            audit_service.record_event(db, None, None, action="privacy.erase", resource=stored.pseudonym,
                                       actor="officer", role="compliance")
        _owner_sql(db_url, "DELETE FROM client_erasures")
        both = make_settings(db_url, pseudonym_key=f"{V2},{V1}")
        with session_scope(sessions) as db:
            report = import_clients(db, keyring(both), read_import_file(path))
        assert (report.skipped_erased, report.erased_without_tombstone) == (1, 1)
        with sessions() as db:
            assert db.scalar(select(func.count()).select_from(Client)) == 4
            assert db.scalar(select(func.count()).select_from(ClientErasure)) == 0
    finally:
        engine.dispose()


# ------------------------------------------------------------- 2. a backdated pending event


def _slip_into_the_queue(app, ts: datetime, actor: str = "advisor-framed", *, genuine: bool = False) -> None:
    """What the database owner can do without touching a trigger: the API's role itself may
    INSERT into ``audit_pending``. ``genuine``: as an API writer would, with its MAC (a
    concurrent writer that dated its event before waiting for the lock)."""
    fields = {"ts": ts, "request_id": None, "actor": actor, "role": "advisor", "action": "client.export",
              "resource": "f" * 64, "outcome": "success", "ip": None, "model_version": None, "input_hash": None,
              "details": {"rows": 5000}}
    if genuine:
        fields["mac"] = app.state.checkpoint_signer.event_mac(fields)
    with app.state.sessionmaker() as db:
        db.execute(insert(AuditPending.__table__).values(**fields))
        db.commit()


def test_an_event_dated_a_month_before_its_predecessor_is_reported(app):
    _write_events(app, 3)
    _slip_into_the_queue(app, datetime.now(UTC) - timedelta(days=30))
    _write_events(app, 1)
    with structlog.testing.capture_logs() as logs:
        audit_service.chain_committed(app.state.sessionmaker)
    flagged = [entry for entry in logs if entry["event"] == "audit_event_backdated"]
    assert [entry["seq"] for entry in flagged] == [4], logs
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 4, result.reason
    assert result.reason_code == "ts_backdated" and "dated 30 days" in result.reason


def test_events_a_few_seconds_out_of_order_are_concurrent_writers_not_tampering(app):
    _write_events(app, 2)
    _slip_into_the_queue(app, datetime.now(UTC) - timedelta(seconds=20), actor="tester", genuine=True)
    _write_events(app, 1)
    result = _verify(app)
    assert result.valid, result.reason


def test_an_event_dated_in_the_future_is_reported(app):
    _write_events(app, 2)
    _slip_into_the_queue(app, datetime.now(UTC) + timedelta(days=2))
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 3 and result.reason_code == "ts_future"


def test_the_offline_verifier_reports_a_backdated_event_too(app, cli, tmp_path):  # noqa: F811
    _write_events(app, 3)
    _slip_into_the_queue(app, datetime.now(UTC) - timedelta(days=30))
    out = tmp_path / "bundle.jsonl"
    assert cli("audit", "export", "--out", str(out)).exit_code == 0
    result = subprocess.run(
        [sys.executable, "-I", str(VERIFIER), str(out), "--trusted-key",
         app.state.checkpoint_signer.public_key_bytes().hex()],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "INVALID at seq 4" in result.stderr and "dated 30 days" in result.stderr


# ------------------------------------------------------------- 3. SQLite: the text form of ts


def test_a_timestamp_rewritten_to_another_text_form_is_reported(app, client, auth_headers, db_url):
    if make_url(db_url).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz, not text")
    _write_events(app, 5)
    with app.state.sessionmaker() as db:
        moment = db.scalar(select(AuditEvent.ts).where(AuditEvent.seq == 3)).replace(tzinfo=UTC)
    _owner_sql(db_url, "UPDATE audit_events SET ts = replace(ts, ' ', 'T') WHERE seq = 3")
    # Why it matters: a dated search compares the text, and no longer finds the event.
    compliance = auth_headers("compliance")
    page = client.get(f"{API}/audit/events", headers=compliance, params={
        "from": (moment - timedelta(hours=1)).isoformat(), "to": moment.isoformat(), "action": "test.event"})
    assert 3 not in [e["seq"] for e in page.json()["events"]]
    result = _verify(app)
    assert not result.valid and result.first_invalid_seq == 3, result.reason
    assert result.reason_code == "ts_not_canonical"


# ------------------------------------------------------------- 4. a refused export changes nothing


def _exports(app) -> tuple[int, int]:
    with app.state.sessionmaker() as db:
        events = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "audit.export"))
        counted = db.scalar(select(func.coalesce(func.sum(RateLimitCounter.count), 0))
                            .where(RateLimitCounter.scope == "export"))
    return int(events), int(counted)


def test_an_export_with_from_after_to_is_refused_before_anything_is_audited_or_counted(app, client, auth_headers):
    compliance = auth_headers("compliance")
    before = _exports(app)
    for fmt in ("csv", "jsonl"):
        refused = client.get(f"{API}/audit/export", headers=compliance, params={
            "format": fmt, "from": "2026-12-05T00:00:00Z", "to": "2026-12-01T00:00:00Z"})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["from"]
    assert _exports(app) == before
    # The hourly budget (1 here) is intact: the first real export goes through.
    assert client.get(f"{API}/audit/export", headers=compliance, params={"format": "csv"}).status_code == 200


def test_a_bundle_export_with_filters_names_every_filter_and_changes_nothing(app, client, auth_headers):
    compliance = auth_headers("compliance")
    before = _exports(app)
    refused = client.get(f"{API}/audit/export", headers=compliance, params={
        "format": "bundle", "actor": "x", "from": "2026-12-01T00:00:00Z"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_error"
    assert sorted(e["field"] for e in body["errors"]) == ["actor", "from"]
    assert _exports(app) == before


# ------------------------------------------------------------- 5. a cursor past 2^53


def test_a_cursor_past_2_53_is_a_422_naming_the_field(client, auth_headers):
    compliance = auth_headers("compliance")
    for cursor in (2**63, 2**53 + 1):
        answer = client.get(f"{API}/audit/events", headers=compliance, params={"cursor": cursor})
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["cursor"]
    assert client.get(f"{API}/audit/events", headers=compliance, params={"cursor": 2**53}).status_code == 200


# ------------------------------------------------------------- 6. a reason the dashboard can word


def test_the_verification_answer_carries_a_reason_code(app, client, auth_headers, db_url):
    _write_events(app, 4)
    from tests.test_audit_trail import _raw

    audit_service.chain_committed(app.state.sessionmaker)  # seq 2 exists before it is edited
    _raw(db_url, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2")
    answer = client.get(f"{API}/audit/verify", headers=auth_headers("compliance")).json()
    assert answer["valid"] is False and answer["first_invalid_seq"] == 2
    assert answer["reason_code"] == "content_edited"
    assert answer["reason"] == "seq 2: content does not match its hash (edited?)"  # kept for people and the CLI


def test_every_failure_reason_has_a_code(app, db_url):
    """Each reason ``verify`` can give maps to its own code (never the catch-all)."""
    from backend.audit.verification import code_of_chain_reason

    samples = {
        "sequence gap: expected seq 3, found 4 (event deleted?)": "sequence_gap",
        "sequence out of order: seq 3 after 4": "sequence_disorder",
        "seq 3: prev_hash does not match the previous event": "link_broken",
        "seq 3: content does not match its hash (edited?)": "content_edited",
        "checkpoint at seq 3: signature invalid or unknown key": "checkpoint_signature",
        "signed checkpoint at seq 9 but the chain ends at seq 4 (tail truncated)": "tail_truncated",
        "seq 3: hash differs from the signed checkpoint": "checkpoint_mismatch",
        "purge anchor through seq 3: signature invalid or unknown key": "anchor_signature",
        "purge anchor through seq 3: purged events were not older than the 365-day retention in force":
            "anchor_retention",
    }
    assert {reason: code_of_chain_reason(reason) for reason in samples} == samples
    assert code_of_chain_reason("something new") == "other"
    # Every code is worded in both languages on the dashboard.
    from backend.audit.schemas import VerificationCode
    from frontend import i18n

    for code in VerificationCode:
        assert {"fr", "en"} <= set(i18n.CATALOG[f"audit.reason.{code.value}"]), code


def _verification_page(result_json: str) -> None:
    import datetime as dt

    from frontend import contract
    from frontend.views.compliance import _show_verification

    _show_verification(contract.VerificationOut.model_validate_json(result_json), dt.datetime.now(dt.UTC))


@pytest.mark.parametrize("lang, expected", [
    ("fr", "son contenu ne correspond plus à son empreinte"),
    ("en", "its content no longer matches its hash"),
])
def test_the_dashboard_words_the_failure_in_the_page_s_language(lang, expected):
    from streamlit.testing.v1 import AppTest

    result = json.dumps({
        "valid": False, "events_checked": 230, "checkpoints_checked": 2, "first_invalid_seq": 231,
        "reason": "seq 231: content does not match its hash (edited?)", "reason_code": "content_edited",
    })
    at = AppTest.from_function(_verification_page, args=(result,))
    at.session_state["octroi_lang"] = lang
    at.run()
    assert not at.exception, at.exception
    [error] = at.error
    assert expected in error.value and "231" in error.value
    assert "does not match its hash (edited?)" not in error.value

