"""Human oversight (GDPR Art. 22, AI Act Art. 14): advisor decisions and the overrides report.

Both engines (``db_url``), the real app with a trained bundle and the applicant file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, func, select

from backend.audit.models import AuditEvent
from backend.clients.models import Client
from backend.privacy.models import AdvisorDecision

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


@pytest.fixture
def advisor(client, auth_headers, imported_clients):
    return auth_headers("advisor")


def _recommendation(client, headers, raw) -> tuple[str, float]:
    score = client.get(f"{API}/clients/{raw}/score", headers=headers).json()
    return score["decision"], score["probability"]


def _other(verdict: str) -> str:
    return "refuse" if verdict == "approve" else "approve"


def _count(app, model) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_override_without_a_reason_is_refused_with_422_naming_the_field_and_records_nothing(
    app, client, advisor, imported_clients
):
    raw = imported_clients[0]
    recommendation, _ = _recommendation(client, advisor, raw)

    for reason in (None, "", "   "):
        body = {"decision": _other(recommendation), "revises": None} | ({"reason": reason} if reason is not None else {})
        response = client.post(f"{API}/clients/{raw}/decision", headers=advisor, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "reason"
        assert "departs from the model's recommendation" in response.json()["detail"]

    assert _count(app, AdvisorDecision) == 0
    with app.state.sessionmaker() as db:
        refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.record")).all()
    assert [e.outcome for e in refused] == ["error"] * 3


def test_following_the_model_needs_no_reason_and_keeps_recommendation_version_advisor_not_probability(
    app, client, advisor, imported_clients, model_bundle
):
    raw = imported_clients[1]
    recommendation, probability = _recommendation(client, advisor, raw)

    response = client.post(f"{API}/clients/{raw}/decision", headers=advisor, json={"decision": recommendation, "revises": None})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["decision"] == body["recommendation"] == recommendation and body["is_override"] is False
    assert body["model_version"] == model_bundle.version and body["advisor"] == "advisor-user"
    assert "probability" not in body
    with app.state.sessionmaker() as db:
        row = db.scalars(select(AdvisorDecision)).one()
        assert row.pseudonym == body["pseudonym"]
        assert row.input_hash == model_bundle.input_hash(db.get(Client, row.pseudonym).features)
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.record")).one()
    assert event.details == {"decision": recommendation, "recommendation": recommendation, "override": False,
                             "decision_id": row.id, "revises": None, "snapshot_id": row.snapshot_id}
    # No column of the decisions table holds the probability in any usual textual form.
    metadata = MetaData()
    metadata.reflect(app.state.engine, only=["advisor_decisions"])
    with app.state.engine.connect() as connection:
        dumped = json.dumps([list(r) for r in connection.execute(select(metadata.tables["advisor_decisions"]))],
                            default=str)
    for form in (repr(probability), f"{probability:.6f}", f"{probability:.4f}"):
        assert form not in dumped


def test_override_with_a_reason_is_recorded_and_audited(app, client, advisor, imported_clients):
    raw = imported_clients[2]
    recommendation, _ = _recommendation(client, advisor, raw)
    response = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                           json={"decision": _other(recommendation), "reason": "  Guarantor added to the file  ",
                                 "revises": None})
    assert response.status_code == 201, response.text
    assert response.json()["is_override"] is True and response.json()["reason"] == "Guarantor added to the file"


def test_a_reason_quoting_the_bank_client_id_is_refused_so_the_id_never_reaches_a_table(
    app, client, advisor, imported_clients
):
    raw = imported_clients[3]
    response = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                           json={"decision": "approve", "reason": f"Client {raw} called back", "revises": None})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    assert str(raw) not in response.text
    assert _count(app, AdvisorDecision) == 0


def test_decision_body_is_validated_and_only_advisors_may_decide(client, advisor, auth_headers, imported_clients):
    raw = imported_clients[0]
    bad = client.post(f"{API}/clients/{raw}/decision", headers=advisor, json={"decision": "maybe", "revises": None})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "decision"
    long = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                       json={"decision": "approve", "reason": "x" * 1001, "revises": None})
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "reason"
    extra = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                        json={"decision": "approve", "revises": None, "probability": 0.1})
    assert extra.status_code == 422
    for role in ("comex", "compliance", "admin"):
        denied = client.post(f"{API}/clients/{raw}/decision", headers=auth_headers(role), json={"decision": "approve", "revises": None})
        assert denied.status_code == 403
    unknown = client.post(f"{API}/clients/999999999991/decision", headers=advisor,
                          json={"decision": "approve", "revises": None})
    assert unknown.status_code == 404


def test_overrides_report_counts_per_advisor_and_overall_within_the_period(
    app, client, auth_headers, make_user, imported_clients
):
    from tests.fixtures.auth import login

    headers = {}
    for name in ("alice", "bruno"):
        username, password = make_user(name, "advisor")
        headers[name] = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    plan = {"alice": [True, False, False, True], "bruno": [False, False]}  # True = override
    expected_direction = {"approved_against_refusal": 0, "refused_against_approval": 0}
    ids = iter(imported_clients)
    for name, overrides in plan.items():
        for override in overrides:
            raw = next(ids)
            recommendation, _ = _recommendation(client, headers[name], raw)
            decision = _other(recommendation) if override else recommendation
            if override:
                key = "approved_against_refusal" if decision == "approve" else "refused_against_approval"
                expected_direction[key] += 1
            body = {"decision": decision, "revises": None} | ({"reason": "Documented exception"} if override else {})
            assert client.post(f"{API}/clients/{raw}/decision", headers=headers[name], json=body).status_code == 201
    compliance = auth_headers("compliance")

    report = client.get(f"{API}/privacy/overrides", headers=compliance)

    assert report.status_code == 200, report.text
    body = report.json()
    advisors = {a["advisor"]: a for a in body["advisors"]}
    assert (advisors["alice"]["decisions"], advisors["alice"]["overrides"]) == (4, 2)
    assert advisors["alice"]["override_rate"] == 0.5
    assert (advisors["bruno"]["decisions"], advisors["bruno"]["overrides"]) == (2, 0)
    overall = body["overall"]
    assert (overall["decisions"], overall["overrides"]) == (6, 2) and overall["override_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert {k: overall[k] for k in expected_direction} == expected_direction

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    empty = client.get(f"{API}/privacy/overrides", headers=compliance, params={"from": future, "to": later}).json()
    assert empty["overall"]["decisions"] == 0 and empty["overall"]["override_rate"] is None and empty["advisors"] == []
    backwards = client.get(f"{API}/privacy/overrides", headers=compliance, params={"from": later, "to": future})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "from"
    assert client.get(f"{API}/privacy/overrides", headers=headers["alice"]).status_code == 403
