"""A third party verifies an exported trail without Octroi: the bundle export, the standalone
verifier in ``verifier/`` (standard library + ``cryptography`` only), and ``openssl`` checks
of the same signatures and hashes. Both engines.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from backend.audit import service as audit_service
from backend.audit.models import AuditPending
from backend.privacy.service import purge
from security.audit_chain import CheckpointSigner, canonical_json
from tests.test_audit_mac import _copy_of
from tests.test_audit_trail import _write_events, cli  # noqa: F401 - the cli fixture

VERIFIER = Path(__file__).resolve().parents[1] / "verifier" / "octroi_verify.py"
RETENTION = 365
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def _run_verifier(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Isolated mode, from an empty folder, with no OCTROI_ variable or PYTHONPATH.
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), str(bundle), *args],
        capture_output=True, text=True, timeout=60, cwd=bundle.parent, env={"PATH": "/usr/bin:/bin"},
    )


def _trail_with_a_purge(app) -> None:
    """Old events purged under the retention, then recent ones with checkpoints."""
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        for n in range(1, 4):
            audit_service._append(db, {
                "ts": now - timedelta(days=RETENTION + 10 - n), "request_id": None, "actor": "a",
                "role": "advisor", "action": "client.read", "resource": f"{n:064x}",
                "outcome": "success", "ip": "10.0.0.1", "model_version": None, "input_hash": None,
                "details": {"é": "ü", "n": n},
            })
        db.commit()
    with app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, RETENTION, now=now)
        db.commit()
    _write_events(app, 5)
    with app.state.sessionmaker() as db:
        audit_service.write_checkpoint(db, app.state.checkpoint_signer)
        db.commit()
    _write_events(app, 2)


def _export(cli, tmp_path: Path) -> Path:  # noqa: F811
    out = tmp_path / "bundle.jsonl"
    result = cli("audit", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _public_key_hex(app) -> str:
    return app.state.checkpoint_signer.public_key_bytes().hex()


def test_the_standalone_verifier_imports_nothing_but_the_standard_library_and_cryptography():
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) - {"__future__"} == {"cryptography"}


def test_an_exported_trail_with_a_purge_verifies_offline(app, cli, tmp_path):  # noqa: F811
    _trail_with_a_purge(app)
    bundle = _export(cli, tmp_path)
    kinds = [json.loads(line)["record"] for line in bundle.read_text(encoding="utf-8").splitlines()]
    assert kinds[:2] == ["header", "public_key"] and {"anchor", "checkpoint", "event"} <= set(kinds)
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app),
                           "--witness", str(app.state.audit_witness.directory))
    assert result.returncode == 0, result.stderr
    assert "valid: 9 events from seq 4 to 12" in result.stdout and "1 purge anchors" in result.stdout
    # The export itself is audited under the operator's name.
    last = json.loads(bundle.read_text(encoding="utf-8").splitlines()[-1])
    assert last["action"] == "audit.export" and last["actor"].startswith("cli:")


def _records(bundle: Path) -> list[dict]:
    return [json.loads(line) for line in bundle.read_text(encoding="utf-8").splitlines()]


def _write(bundle: Path, records: list[dict]) -> None:
    bundle.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _event(records: list[dict], seq: int) -> dict:
    return next(r for r in records if r["record"] == "event" and r["seq"] == seq)


def _tamper(kind: str, records: list[dict], app) -> list[dict]:
    if kind == "edit":
        _event(records, 6)["outcome"] = "denied"
    elif kind == "delete":
        records.remove(_event(records, 6))
    elif kind == "reorder":
        a, b = records.index(_event(records, 6)), records.index(_event(records, 7))
        records[a], records[b] = records[b], records[a]
    elif kind == "truncate_tail":  # the tail and the header's head go, the checkpoint at 9 stays
        records = [r for r in records if not (r["record"] == "event" and r["seq"] > 8)]
        records[0]["head_seq"] = 8
    elif kind == "drop_anchor":
        records = [r for r in records if r["record"] != "anchor"]
    elif kind == "forged_anchor":
        anchor = next(r for r in records if r["record"] == "anchor")
        anchor["retention_days"] = 1  # someone claims a shorter retention was in force
    elif kind == "forged_checkpoint":
        next(r for r in records if r["record"] == "checkpoint" and r["seq"] == 9)["head_hash"] = "a" * 64
    return records


@pytest.mark.parametrize(
    "tamper, first_bad",
    [("edit", 6), ("delete", 6), ("reorder", 6), ("truncate_tail", 9), ("drop_anchor", 1),
     ("forged_anchor", 4), ("forged_checkpoint", 9)],
)
def test_the_verifier_fails_naming_the_first_bad_seq(app, cli, tmp_path, tamper, first_bad):  # noqa: F811
    _trail_with_a_purge(app)
    bundle = _export(cli, tmp_path)
    _write(bundle, _tamper(tamper, _records(bundle), app))
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app))
    assert result.returncode == 1, result.stdout
    assert f"INVALID at seq {first_bad}" in result.stderr


def test_a_genuine_event_copied_in_the_database_before_the_export_is_invalid_offline(app, cli, tmp_path):  # noqa: F811
    """The bundle carries no MAC: the third party sees the copy by its content, every hashed
    field but seq equal to an earlier event's (the API never writes the same event twice)."""
    _write_events(app, 3)
    audit_service.chain_committed(app.state.sessionmaker)
    copy = _copy_of(app, "tester")
    with app.state.sessionmaker() as db:
        db.execute(insert(AuditPending.__table__).values(**copy))  # the sequencer chains it as seq 4
        db.commit()
    _write_events(app, 1)
    bundle = _export(cli, tmp_path)
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app))
    assert result.returncode == 1, result.stdout
    assert "INVALID at seq 4: seq 4 repeats seq 1 exactly" in result.stderr


def test_a_bundle_signed_with_another_key_fails_against_the_banks_published_key(app, cli, tmp_path):  # noqa: F811
    _write_events(app, 3)
    cli("audit", "checkpoint")
    bundle = _export(cli, tmp_path)
    other = CheckpointSigner("someone else's key").public_key_bytes().hex()
    result = _run_verifier(bundle, "--trusted-key", other)
    assert result.returncode == 1 and "signature invalid or unknown key" in result.stderr
    untrusted = _run_verifier(bundle)
    assert untrusted.returncode == 0 and "trusting the public keys inside the bundle" in untrusted.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_checks_a_checkpoint_signature_and_an_event_hash(app, cli, tmp_path):  # noqa: F811
    _write_events(app, 3)
    cli("audit", "checkpoint")
    records = _records(_export(cli, tmp_path))
    key = next(r for r in records if r["record"] == "public_key")
    checkpoint = next(r for r in records if r["record"] == "checkpoint")
    pem = tmp_path / "audit-key.pem"
    der = ED25519_SPKI_PREFIX + bytes.fromhex(key["public_key"])
    pem.write_bytes(subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-outform", "PEM"],
                                   input=der, capture_output=True, check=True).stdout)
    # The checkpoint message exactly as docs/audit-format.md writes it.
    message = tmp_path / "message"
    message.write_bytes(canonical_json({k: checkpoint[k] for k in ("seq", "head_hash", "created_at")}))
    signature = tmp_path / "signature"
    signature.write_bytes(bytes.fromhex(checkpoint["signature"]))
    verified = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin",
         "-in", str(message), "-sigfile", str(signature)], capture_output=True, text=True,
    )
    assert verified.returncode == 0 and "Signature Verified Successfully" in verified.stdout
    signature.write_bytes(bytes(64))
    forged = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin",
         "-in", str(message), "-sigfile", str(signature)], capture_output=True, text=True,
    )
    assert forged.returncode != 0
    # hash = SHA-256(prev_hash || canonical JSON of the hashed fields)
    event = _event(records, 2)
    hashed = {name: event[name] for name in records[0]["hashed_fields"]}
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=event["prev_hash"].encode() +
                            canonical_json(hashed), capture_output=True, check=True).stdout.split()[0]
    assert digest.decode() == event["hash"]


def test_the_api_exports_a_bundle_that_verifies_and_refuses_filters_with_it(app, client, auth_headers, tmp_path):
    compliance = auth_headers("compliance")
    exported = client.get("/api/v1/audit/export", params={"format": "bundle"}, headers=compliance)
    assert exported.status_code == 200
    bundle = tmp_path / "api-bundle.jsonl"
    bundle.write_text(exported.text, encoding="utf-8")
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app))
    assert result.returncode == 0, result.stderr
    filtered = client.get("/api/v1/audit/export", params={"format": "bundle", "actor": "x"}, headers=compliance)
    assert filtered.status_code == 422 and "filters" in filtered.json()["detail"]


def test_csv_export_neutralises_cells_that_a_spreadsheet_would_run_as_formulas(app, client, auth_headers):
    with app.state.sessionmaker() as db:
        audit_service.commit_audited(
            db, None, None, action="auth.login", outcome="denied", actor='=HYPERLINK("http://x.example")',
            details={"reason": "bad password"},
        )
    as_csv = client.get("/api/v1/audit/export", params={"format": "csv"}, headers=auth_headers("compliance"))
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    actors = [r["actor"] for r in rows]
    assert "'=HYPERLINK(\"http://x.example\")" in actors
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


# ------------------------------- a cut tail, with and without the witness (review-insider 2)


def _witness_dir(app) -> str:
    return str(app.state.audit_witness.directory)


def _ten_events_checkpointed_at_4_and_10(app) -> None:
    for count in (4, 6):
        _write_events(app, count)
        with app.state.sessionmaker() as db:
            audit_service.write_checkpoint(db, app.state.checkpoint_signer)
            db.commit()


def _cut(records: list[dict], after: int, *, format_1: bool = False) -> list[dict]:
    """What the holder of the file can do: drop the tail, its checkpoints, fix the header."""
    kept = [r for r in records if not (r["record"] in ("event", "checkpoint") and int(r["seq"]) > after)]
    kept[0]["head_seq"] = after
    if format_1:
        for name in ("head_hash", "key_id", "signature"):
            kept[0].pop(name, None)
        kept[0]["format"] = "octroi-audit-bundle/1"
    return kept


def test_the_export_signs_its_head_as_a_witnessed_checkpoint(app, cli, tmp_path):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    records = _records(_export(cli, tmp_path))
    header = records[0]
    assert header["format"] == "octroi-audit-bundle/2" and header["head_seq"] == 11  # the export's event
    assert header["head_hash"] == _event(records, 11)["hash"]
    head = [r for r in records if r["record"] == "checkpoint" and r["seq"] == 11]
    assert [c["created_at"] for c in head] == [header["exported_at"]]
    witnessed = {(r["seq"], r["signature"]) for r in app.state.audit_witness.records()}
    assert (11, head[0]["signature"]) in witnessed


def test_a_tail_cut_in_the_database_before_the_export_is_invalid_with_the_witness(app, cli, db_url, tmp_path):  # noqa: F811
    from tests.test_audit_trail import _raw

    _ten_events_checkpointed_at_4_and_10(app)
    _raw(db_url, "DELETE FROM audit_events WHERE seq > 4", "DELETE FROM audit_checkpoints WHERE seq > 4")
    bundle = _export(cli, tmp_path)  # its own event becomes seq 5
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 1, result.stdout
    assert "INVALID at seq 6" in result.stderr and "head shortened" in result.stderr
    assert "checkpoint at seq 10" in result.stderr
    # Without the witness nothing outside the database remembers seq 10: valid, as documented.
    assert _run_verifier(bundle, "--trusted-key", _public_key_hex(app)).returncode == 0


@pytest.mark.parametrize("witness", [True, False])
def test_a_bundle_cut_by_its_holder_is_invalid(app, cli, tmp_path, witness):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    bundle = _export(cli, tmp_path)
    args = ["--trusted-key", _public_key_hex(app)] + (["--witness", _witness_dir(app)] if witness else [])
    assert _run_verifier(bundle, *args).returncode == 0
    _write(bundle, _cut(_records(bundle), 4))
    result = _run_verifier(bundle, *args)
    assert result.returncode == 1 and "INVALID at seq 5" in result.stderr
    assert "signed export head" in result.stderr


def test_a_cut_bundle_passed_off_as_format_1_is_not_valid_against_the_witness(app, cli, tmp_path):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    bundle = _export(cli, tmp_path)
    _write(bundle, _cut(_records(bundle), 4, format_1=True))
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "UNPROVEN" in result.stderr and "valid:" not in result.stdout
    # Without the witness a format-1 bundle proves nothing about its tail, and says so.
    alone = _run_verifier(bundle, "--trusted-key", _public_key_hex(app))
    assert alone.returncode == 0 and "without a signed export head" in alone.stderr


def test_an_older_format_1_bundle_still_verifies_with_a_warning(app, cli, tmp_path):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    bundle = _export(cli, tmp_path)
    records = _records(bundle)
    _write(bundle, _cut(records, records[0]["head_seq"], format_1=True))
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 0, result.stderr
    assert "without a signed export head" in result.stderr
    # Later activity cannot be told from a cut tail without a signed export time.
    _ten_events_checkpointed_at_4_and_10(app)
    later = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert later.returncode == 3 and "UNPROVEN" in later.stderr


def test_activity_after_the_export_is_a_warning_not_a_cut(app, cli, tmp_path):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    bundle = _export(cli, tmp_path)
    _ten_events_checkpointed_at_4_and_10(app)  # seq 12..21, checkpoints at 15 and 21
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 0, result.stderr
    assert "valid: 11 events from seq 1 to 11" in result.stdout
    assert "2 witness records (seq 15 to 21) were signed after the export" in result.stderr


@pytest.mark.parametrize("format_1", [False, True])
def test_an_empty_bundle_is_invalid_against_a_witness_that_holds_checkpoints(app, cli, tmp_path, format_1):  # noqa: F811
    _ten_events_checkpointed_at_4_and_10(app)
    bundle = _export(cli, tmp_path)
    records = [r for r in _records(bundle) if r["record"] in ("header", "public_key")]
    records[0]["head_seq"] = 0
    records[0]["head_hash"] = "0" * 64
    if format_1:
        records = _cut(records, 0, format_1=True)
    _write(bundle, records)
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 1 and "INVALID at seq 1" in result.stderr, result.stderr
    assert "holds no event but the witness holds" in result.stderr


def test_a_witness_purge_anchor_missing_from_the_bundle_is_invalid(app, cli, db_url, tmp_path):  # noqa: F811
    from tests.test_audit_trail import _raw

    _trail_with_a_purge(app)  # an anchor through seq 3, in the database and the witness
    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:  # a second, genuine anchor (through seq 0)
        audit_service.write_anchor(
            db, app.state.checkpoint_signer, through_seq=0, through_hash="0" * 64,
            newest_purged_ts=now - timedelta(days=RETENTION + 1), retention_days=RETENTION, purged_at=now,
        )
        db.commit()
    _raw(db_url, "DELETE FROM audit_anchors WHERE through_seq = 0")
    bundle = _export(cli, tmp_path)
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 1, result.stdout
    assert "INVALID at seq 1: purge anchor through seq 0 is in the witness but missing from the bundle" in result.stderr


def test_an_export_is_named_by_the_head_it_signed(app, client, auth_headers, tmp_path):
    """The file's name and the CLI's message gave the head the caller saw, a few events short of
    the one the bundle signed when others were chained meanwhile: a compliance officer filing
    "audit-bundle-3" held a bundle up to seq 5."""
    from backend.audit.bundle import bundle_lines

    _write_events(app, 5)
    head, lines = bundle_lines(app.state.sessionmaker, app.state.checkpoint_signer)
    bundle = tmp_path / "late.jsonl"
    bundle.write_text("".join(lines), encoding="utf-8")
    assert head == _records(bundle)[0]["head_seq"] == 5
    response = client.get("/api/v1/audit/export", headers=auth_headers("compliance"), params={"format": "bundle"})
    assert response.status_code == 200, response.text
    signed = json.loads(response.text.splitlines()[0])["head_seq"]
    assert response.headers["content-disposition"] == f'attachment; filename="audit-bundle-{signed}.jsonl"'
    result = _run_verifier(bundle, "--trusted-key", _public_key_hex(app), "--witness", _witness_dir(app))
    assert result.returncode == 0 and "valid: 5 events from seq 1 to 5" in result.stdout, result.stderr


def test_an_export_the_file_system_refuses_records_nothing(app, cli, tmp_path):  # noqa: F811
    """`octroi audit export --out /proc/nope/x` wrote an `audit.export` success event and signed a
    checkpoint, then failed to write: the trail recorded an export that never happened."""
    from sqlalchemy import func, select

    from backend.audit.models import AuditCheckpoint, AuditEvent, AuditPending

    def counts() -> tuple[int, int]:
        with app.state.sessionmaker() as db:
            events = db.scalar(select(func.count()).select_from(AuditEvent)) + \
                db.scalar(select(func.count()).select_from(AuditPending))
            return events, db.scalar(select(func.count()).select_from(AuditCheckpoint))

    before = counts()
    result = cli("audit", "export", "--out", str(tmp_path / "no-such-dir" / "bundle.jsonl"))
    assert result.exit_code != 0 and "cannot write" in result.output
    assert counts() == before
