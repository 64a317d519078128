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

from backend.audit import service as audit_service
from backend.privacy.service import purge
from security.audit_chain import CheckpointSigner, canonical_json
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
