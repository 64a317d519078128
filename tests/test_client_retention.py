"""Retention of the applicants' data (RGPD Art. 5(1)(e)): ``octroi privacy purge`` deletes the
data of applicants whose file saw nothing (import change, decision, contest) for
``OCTROI_CLIENT_RETENTION_DAYS``, as an erasure would but without a tombstone. Both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from backend.audit.models import AuditEvent
from backend.clients.models import Client
from backend.privacy.service import purge
from tests.test_retention_purge import RETENTION, _octroi


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)



def test_the_purge_deletes_the_data_of_applicants_whose_file_saw_nothing_for_the_retention_period(
    app, client, auth_headers, imported_clients, model_bundle, settings, applicants_csv
):
    """RGPD Art. 5(1)(e): an applicant's data had no end but an erasure request. Once nothing
    happened in a file (import, decision, contest) for the retention period, the purge deletes
    what an erasure deletes, keeps the decisions as anonymous statistics, and keeps no
    tombstone: the person can apply again."""
    from backend.clients.service import keyring
    from backend.decisions.models import DecisionContest, DecisionSnapshot
    from backend.privacy.models import AdvisorDecision

    advisor = auth_headers("advisor")
    recent_decision, old_decision, recent_contest, *others = [str(i) for i in imported_clients[:6]]

    def decide(raw: str) -> int:
        answer = client.post(f"/api/v1/clients/{raw}/decision", json={"decision": "approve", "reason": "Dossier complet.", "revises": None},
                             headers=advisor)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    decide(recent_decision)
    old_id = decide(old_decision)
    contested_id = decide(recent_contest)
    assert client.post(f"/api/v1/clients/{recent_contest}/decisions/{contested_id}/contest",
                       json={"statement": "Je conteste."}, headers=advisor).status_code == 201
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=2000)
    ring = keyring(settings)
    pseudonym = {raw: ring.pseudonymize(raw).value for raw in (recent_decision, old_decision, recent_contest, *others)}
    with app.state.sessionmaker() as db:
        db.execute(text("UPDATE clients SET imported_at = :t"), {"t": long_ago})
        # The old decision, made long ago; the contested one too, but its contest is recent.
        db.execute(text("UPDATE advisor_decisions SET decided_at = :t WHERE id IN (:a, :b)"),
                   {"t": long_ago, "a": old_id, "b": contested_id})
        held_before = db.scalar(select(func.count()).select_from(Client))
        report = purge(db, app.state.checkpoint_signer, RETENTION, now=now, client_retention_days=1825)
        db.commit()

    expired = report.clients
    assert expired is not None and expired.clients_deleted == held_before - 2
    assert expired.decisions_anonymised == 1 and expired.snapshots_deleted == 1
    with app.state.sessionmaker() as db:
        held = set(db.scalars(select(Client.pseudonym)))
        assert held == {pseudonym[recent_decision], pseudonym[recent_contest]}
        old = db.get(AdvisorDecision, old_id)
        assert (old.pseudonym, old.reason, old.anonymised_at is not None) == (None, None, True)
        assert old.decision == "approve"  # still counted in the oversight statistics
        assert db.scalar(select(func.count()).select_from(DecisionSnapshot)
                         .where(DecisionSnapshot.pseudonym == pseudonym[old_decision])) == 0
        assert db.scalar(select(func.count()).select_from(DecisionContest)) == 1
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.purge")).one()
        assert event.details["clients"]["deleted"] == expired.clients_deleted
        assert event.details["clients"]["retention_days"] == 1825

    # Gone for every role; no tombstone: "unknown", not "erased", and a new application imports.
    assert client.get(f"/api/v1/clients/{old_decision}/score", headers=advisor).status_code == 404
    status = client.get(f"/api/v1/privacy/clients/{old_decision}/erasure", headers=auth_headers("compliance"))
    assert status.json()["status"] == "unknown"
    assert client.get(f"/api/v1/clients/{recent_decision}/score", headers=advisor).status_code == 200
    again = _octroi(settings, "clients", "import", str(applicants_csv), "--no-jobs")
    assert again.returncode == 0, again.stderr
    assert f"{expired.clients_deleted} new" in again.stdout and "0 skipped (erased)" in again.stdout, again.stdout
    assert client.get(f"/api/v1/clients/{old_decision}/score", headers=advisor).status_code == 200


def test_the_purge_s_dry_run_says_which_applicants_would_go_and_keeps_them(app, settings, imported_clients):
    with app.state.sessionmaker() as db:
        db.execute(text("UPDATE clients SET imported_at = :t"), {"t": datetime.now(UTC) - timedelta(days=40)})
        db.commit()
        held = db.scalar(select(func.count()).select_from(Client))
    kept = _octroi(settings, "privacy", "purge", "--dry-run")  # the default, five years: nobody goes
    assert kept.returncode == 0, kept.stderr
    assert "would delete the data of 0 applicants" in kept.stdout
    result = _octroi(settings, "privacy", "purge", "--dry-run", "--client-retention-days", "30")
    assert result.returncode == 0, result.stderr
    assert f"would delete the data of {held} applicants with nothing in their file since" in result.stdout
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(Client)) == held
    refused = _octroi(settings, "privacy", "purge", "--client-retention-days", "7")
    assert refused.returncode != 0 and "--client-retention-days" in refused.stderr + refused.stdout


def test_compliance_sees_how_many_files_are_due_and_the_last_purge_counts_only(
    app, client, auth_headers, imported_clients
):
    compliance = auth_headers("compliance")
    first = client.get("/api/v1/privacy/retention", headers=compliance)
    assert first.status_code == 200, first.text
    body = first.json()
    held = body["clients_held"]
    assert (body["client_retention_days"], body["notice_days"]) == (1825, 30)
    assert (body["clients_due"], body["clients_due_soon"], body["last_purge"]) == (0, 0, None)

    now = datetime.now(UTC)
    with app.state.sessionmaker() as db:
        rows = list(db.scalars(select(Client.pseudonym).order_by(Client.pseudonym)))
        # Three files past the period, two within the notice window, the rest recent.
        for pseudonym, days in [*((p, 1900) for p in rows[:3]), *((p, 1810) for p in rows[3:5])]:
            db.execute(text("UPDATE clients SET imported_at = :t WHERE pseudonym = :p"),
                       {"t": now - timedelta(days=days), "p": pseudonym})
        db.commit()
    body = client.get("/api/v1/privacy/retention", headers=compliance).json()
    assert (body["clients_held"], body["clients_due"], body["clients_due_soon"]) == (held, 3, 2)
    assert set(body) == {"client_retention_days", "audit_retention_days", "notice_days", "clients_held",
                         "clients_due", "clients_due_soon", "last_purge"}  # counts, never a client

    with app.state.sessionmaker() as db:
        purge(db, app.state.checkpoint_signer, RETENTION, client_retention_days=1825, actor="cli:ops")
        db.commit()
    body = client.get("/api/v1/privacy/retention", headers=compliance).json()
    assert (body["clients_held"], body["clients_due"], body["clients_due_soon"]) == (held - 3, 0, 2)
    assert body["last_purge"]["actor"] == "cli:ops" and body["last_purge"]["clients_deleted"] == 3
    for role in ("advisor", "comex", "admin"):
        assert client.get("/api/v1/privacy/retention", headers=auth_headers(role)).status_code == 403
    with app.state.sessionmaker() as db:
        reads = db.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.retention")).all()
    assert len(reads) == 3 and reads[-1].details == {"clients_due": 0, "clients_due_soon": 2}
