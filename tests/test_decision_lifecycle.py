"""Decisions with a lifecycle: revisions, contests, reviews, snapshots, reproduction, erasure.

Both engines (``db_url``), the real app with a trained bundle and the applicant file.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from backend.audit import service as audit_service
from backend.audit.models import AuditEvent
from backend.clients.models import Client, ClientErasure
from backend.decisions.models import DecisionContest, DecisionSnapshot
from backend.privacy.models import AdvisorDecision
from backend.registry import service as registry_service
from backend.registry.store import ModelRegistry
from tests.fixtures.clients import import_file
from tests.test_audit_insider import _owner_sql
from tests.test_audit_trail import cli  # noqa: F401 - the cli fixture

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir, tmp_path):
    return make_settings(db_url, model_dir=trained_bundle_dir, registry_dir=tmp_path / "registry",
                         model_poll_seconds=0.1)


@pytest.fixture
def advisors(client, make_user, imported_clients):
    from tests.fixtures.auth import login

    out = {}
    for name in ("alice", "bruno", "carla"):
        username, password = make_user(name, "advisor")
        out[name] = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    return out


def _other(verdict: str) -> str:
    return "refuse" if verdict == "approve" else "approve"


def _score(client, headers, raw) -> dict:
    response = client.get(f"{API}/clients/{raw}/score", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _decide(client, headers, raw, decision, reason=None, revises=None):
    """``revises``: the decision the advisor read as in force (None: none, a first decision)."""
    body = {"decision": decision, "revises": revises} | ({"reason": reason} if reason is not None else {})
    return client.post(f"{API}/clients/{raw}/decision", headers=headers, json=body)


def _rule(response) -> tuple[int, str]:
    """The status and the machine-readable rule of a refusal: the ``code``, or for a status's
    generic code the ``FieldError.reason`` that names the rule (``backend.decisions.routes``)."""
    body = response.json()
    reasons = [e["reason"] for e in body.get("errors") or []]
    if body["code"] in ("conflict", "forbidden", "validation_error") and reasons:
        return response.status_code, reasons[0]
    return response.status_code, body["code"]


def _events(app, action):
    with app.state.sessionmaker() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def _count(app, model, *where):
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_second_decision_is_a_revision_that_needs_a_reason_and_the_history_shows_both(
    app, client, advisors, imported_clients
):
    raw = imported_clients[0]
    score = _score(client, advisors["alice"], raw)
    recommendation = score["decision"]
    first = _decide(client, advisors["alice"], raw, recommendation)
    assert first.status_code == 201 and first.json()["revises"] is None

    silent = _decide(client, advisors["alice"], raw, _other(recommendation), revises=first.json()["id"])
    assert silent.status_code == 422 and silent.json()["errors"][0]["field"] == "reason"
    assert "revise" in silent.json()["detail"]
    assert _count(app, AdvisorDecision) == 1

    revised = _decide(client, advisors["bruno"], raw, _other(recommendation), "Proof of income received",
                      revises=first.json()["id"])
    assert revised.status_code == 201, revised.text
    assert revised.json()["revises"] == first.json()["id"]

    history = client.get(f"{API}/clients/{raw}/decisions", headers=advisors["alice"])
    assert history.status_code == 200, history.text
    body = history.json()
    assert [e["kind"] for e in body["entries"]] == ["decision", "revision"]
    assert [e["advisor"] for e in body["entries"]] == ["alice", "bruno"]
    assert [e["current"] for e in body["entries"]] == [False, True]
    assert body["current"]["id"] == revised.json()["id"] and body["current"]["revises"] == first.json()["id"]
    assert body["current"]["reason"] == "Proof of income received"
    assert {e["recommendation"] for e in body["entries"]} == {recommendation}
    assert "probability" not in history.text and repr(score["probability"]) not in history.text
    assert [e.outcome for e in _events(app, "decision.history")] == ["success"]


def test_a_contest_goes_through_review_by_another_advisor_and_is_counted_for_compliance(
    app, client, advisors, auth_headers, imported_clients
):
    raw, second = imported_clients[1], imported_clients[2]
    alice, bruno = advisors["alice"], advisors["bruno"]
    recommendation = _score(client, alice, raw)["decision"]
    decision = _decide(client, alice, raw, recommendation).json()
    base = f"{API}/clients/{raw}/decisions/{decision['id']}"

    contest = client.post(f"{base}/contest", headers=alice,
                          json={"statement": "  My income doubled last month; I ask for a human review.  "})
    assert contest.status_code == 201, contest.text
    assert contest.json()["status"] == "open"
    assert contest.json()["statement"] == "My income doubled last month; I ask for a human review."
    again = client.post(f"{base}/contest", headers=alice, json={"statement": "again"})
    assert (again.status_code, again.json()["code"]) == (409, "contest_open")
    empty = client.post(f"{base}/contest", headers=alice, json={"statement": "   "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "statement"
    # While contested, only the review may change the decision.
    bypass = _decide(client, bruno, raw, _other(recommendation), "bypass", revises=decision["id"])
    assert (bypass.status_code, bypass.json()["code"]) == (409, "decision_contested")
    # The advisor who decided cannot review their own decision.
    own = client.post(f"{base}/review", headers=alice,
                      json={"outcome": "revised", "decision": _other(recommendation), "reason": "ok"})
    assert (own.status_code, own.json()["code"]) == (403, "reviewer_is_decider")
    unchanged = client.post(f"{base}/review", headers=bruno,
                            json={"outcome": "revised", "decision": recommendation, "reason": "same"})
    assert unchanged.status_code == 422 and unchanged.json()["errors"][0]["field"] == "decision"
    assert unchanged.json()["code"] == "validation_error"
    missing = client.post(f"{base}/review", headers=bruno, json={"outcome": "revised", "reason": "no verdict"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "decision"
    assert _count(app, AdvisorDecision) == 1

    review = client.post(f"{base}/review", headers=bruno, json={
        "outcome": "revised", "decision": _other(recommendation), "reason": "New payslips confirm the income"})
    assert review.status_code == 200, review.text
    result = review.json()
    assert result["contest"]["status"] == "revised" and result["contest"]["reviewer"] == "bruno"
    assert result["contest"]["reviewed_at"] and result["contest"]["contested_at"]
    assert result["revision"]["revises"] == decision["id"] and result["revision"]["advisor"] == "bruno"
    assert result["revision"]["decision"] == _other(recommendation) and result["revision"]["is_override"] is True
    assert client.post(f"{base}/review", headers=bruno,
                       json={"outcome": "upheld", "reason": "twice"}).status_code == 409

    history = client.get(f"{API}/clients/{raw}/decisions", headers=alice).json()
    assert [e["kind"] for e in history["entries"]] == ["decision", "revision"]
    [contested] = history["entries"][0]["contests"]
    assert contested["revision_id"] == result["revision"]["id"]
    assert history["current"]["reason"] == "New payslips confirm the income"

    # A second contest, upheld this time.
    other = _decide(client, bruno, second, _score(client, bruno, second)["decision"]).json()
    path = f"{API}/clients/{second}/decisions/{other['id']}"
    assert client.post(f"{path}/contest", headers=bruno, json={"statement": "I disagree"}).status_code == 201
    upheld = client.post(f"{path}/review", headers=alice, json={"outcome": "upheld", "reason": "Debt ratio too high"})
    assert upheld.status_code == 200 and upheld.json()["revision"] is None
    assert upheld.json()["contest"]["status"] == "upheld"

    assert [e.outcome for e in _events(app, "decision.contest")] == ["success", "error", "success"]
    reviews = _events(app, "decision.review")
    assert [e.outcome for e in reviews] == ["error", "error", "error", "success", "error", "success"]
    assert reviews[3].details["revision_id"] == result["revision"]["id"]

    # Both the contested decision and the review's revision reproduce, each from its own event.
    compliance = auth_headers("compliance")
    for decision_id in (decision["id"], result["revision"]["id"]):
        again = client.get(f"{API}/privacy/decisions/{decision_id}/reproduce", headers=compliance).json()
        assert again["verdict"] == "identical", again["differences"]

    report = client.get(f"{API}/privacy/overrides", headers=auth_headers("compliance")).json()
    assert report["contests"] == {"contests": 2, "open": 0, "upheld": 1, "revised": 1, "revisions": 1}
    reasons = [r["reason"] for r in report["reasons"]]
    assert "New payslips confirm the income" in reasons
    assert all(r["decision"] != r["recommendation"] for r in report["reasons"])


def _report(client, auth_headers) -> dict:
    return client.get(f"{API}/privacy/overrides", headers=auth_headers("compliance")).json()["contests"]


def test_a_decision_taken_on_a_stale_view_is_refused_as_decision_changed_and_changes_nothing(
    app, client, advisors, imported_clients
):
    """Alice's screen says "no decision"; Bruno refuses meanwhile. Alice agreeing with the model
    is not told "reason required" (and a reason added does not silently overturn Bruno): 409
    decision_changed names the decision in force, nothing changes, the refusal is audited."""
    raw = imported_clients[9]
    alice, bruno = advisors["alice"], advisors["bruno"]
    recommendation = _score(client, alice, raw)["decision"]
    refused = _decide(client, bruno, raw, "refuse", "Debt ratio too high")
    assert refused.status_code == 201, refused.text
    in_force = refused.json()["id"]

    for reason in (None, "I agree with the model"):
        stale = _decide(client, alice, raw, recommendation, reason)  # revises: none, as Alice read it
        assert _rule(stale) == (409, "decision_changed"), stale.text
        assert f"decision {in_force} (refuse) is in force now" in stale.json()["detail"]
    assert _count(app, AdvisorDecision) == 1
    records = _events(app, "decision.record")
    assert [e.outcome for e in records] == ["success", "error", "error"]
    assert records[1].details == {"reason": "decision_changed", "decision": recommendation, "revises": None,
                                  "in_force": in_force}

    # An old client that does not say what it read is refused, naming the field.
    silent = client.post(f"{API}/clients/{raw}/decision", headers=alice, json={"decision": "approve", "reason": "x"})
    assert silent.status_code == 422 and [e["field"] for e in silent.json()["errors"]] == ["revises"]
    # A decision id that is not the one in force (an older one, or another client's) is the same conflict.
    assert _rule(_decide(client, alice, raw, "approve", "Guarantor added", revises=in_force + 1000)) == (
        409, "decision_changed")

    # Having read Bruno's refusal, Alice may revise it: a revision of it, by name.
    revised = _decide(client, alice, raw, "approve", "Guarantor added", revises=in_force)
    assert revised.status_code == 201, revised.text
    assert revised.json()["revises"] == in_force
    # Bruno, still looking at his own refusal, cannot revise Alice's approval unseen.
    again = _decide(client, bruno, raw, "refuse", "Debt ratio too high", revises=in_force)
    assert _rule(again) == (409, "decision_changed")
    assert _count(app, AdvisorDecision) == 2


def test_a_revision_that_keeps_the_verdict_is_refused_as_unchanged_and_not_counted(
    app, client, advisors, auth_headers, imported_clients
):
    raw = imported_clients[10]
    alice, bruno = advisors["alice"], advisors["bruno"]
    first = _decide(client, alice, raw, "refuse", "Debt ratio too high").json()
    same = _decide(client, bruno, raw, "refuse", "idem", revises=first["id"])
    assert _rule(same) == (422, "decision_unchanged"), same.text
    assert same.json()["errors"][0]["field"] == "decision"
    # Checked before the reason: there is nothing to revise, with or without one.
    assert _rule(_decide(client, bruno, raw, "refuse", revises=first["id"])) == (422, "decision_unchanged")
    assert _count(app, AdvisorDecision) == 1
    assert _report(client, auth_headers)["revisions"] == 0
    assert [e.details["reason"] for e in _events(app, "decision.record") if e.outcome == "error"] == [
        "decision_unchanged", "decision_unchanged"]


def test_the_advisor_whose_decision_was_contested_cannot_undo_the_review_another_advisor_may_revise_it(
    app, client, advisors, auth_headers, imported_clients
):
    raw, second = imported_clients[11], imported_clients[12]
    alice, bruno, carla = advisors["alice"], advisors["bruno"], advisors["carla"]

    # Revised by the review: Alice refused, Bruno approved on review.
    refused = _decide(client, alice, raw, "refuse", "Debt ratio too high").json()
    base = f"{API}/clients/{raw}/decisions/{refused['id']}"
    contest = client.post(f"{base}/contest", headers=alice, json={"statement": "My income doubled"}).json()
    review = client.post(f"{base}/review", headers=bruno, json={
        "outcome": "revised", "decision": "approve", "reason": "Payslips confirm the income", "contest": contest["id"]})
    assert review.status_code == 200, review.text
    approved = review.json()["revision"]["id"]

    undo = _decide(client, alice, raw, "refuse", "I still think the debt ratio is too high", revises=approved)
    assert _rule(undo) == (403, "review_final"), undo.text
    assert _count(app, AdvisorDecision) == 2
    # Nor can she review a new contest of the review's outcome.
    path = f"{API}/clients/{raw}/decisions/{approved}"
    assert client.post(f"{path}/contest", headers=alice, json={"statement": "Terms too costly"}).status_code == 201
    own = client.post(f"{path}/review", headers=alice, json={"outcome": "revised", "decision": "refuse", "reason": "x"})
    assert _rule(own) == (403, "review_final")
    closed = client.post(f"{path}/review", headers=carla, json={"outcome": "upheld", "reason": "Terms are standard"})
    assert closed.status_code == 200, closed.text
    # Another advisor may revise it, with a reason (a second pair of eyes, like any revision).
    other = _decide(client, carla, raw, "refuse", "The guarantor withdrew", revises=approved)
    assert other.status_code == 201, other.text

    # Upheld by the review: Bruno's own decision, kept by Alice's review, is not his to revise.
    kept = _decide(client, bruno, second, "refuse", "Debt ratio too high").json()
    path = f"{API}/clients/{second}/decisions/{kept['id']}"
    client.post(f"{path}/contest", headers=bruno, json={"statement": "I disagree"})
    assert client.post(f"{path}/review", headers=alice, json={"outcome": "upheld", "reason": "Ratio checked"}
                       ).status_code == 200
    assert _rule(_decide(client, bruno, second, "approve", "Changed my mind", revises=kept["id"])) == (
        403, "review_final")
    assert _decide(client, alice, second, "approve", "New guarantor", revises=kept["id"]).status_code == 201

    records = [e for e in _events(app, "decision.record") if e.outcome == "error"]
    assert [e.details["reason"] for e in records] == ["review_final", "review_final"]
    assert [e.details["reason"] for e in _events(app, "decision.review") if e.outcome == "error"] == ["review_final"]
    assert _report(client, auth_headers) == {"contests": 3, "open": 0, "upheld": 2, "revised": 1, "revisions": 3}


def test_a_review_of_a_contest_the_reviewer_did_not_read_is_refused_as_decision_changed(
    app, client, advisors, imported_clients
):
    raw = imported_clients[13]
    alice, bruno, carla = advisors["alice"], advisors["bruno"], advisors["carla"]
    decision = _decide(client, alice, raw, "refuse", "Debt ratio too high").json()
    base = f"{API}/clients/{raw}/decisions/{decision['id']}"
    first = client.post(f"{base}/contest", headers=alice, json={"statement": "First statement"}).json()
    # Bruno and Carla both read the first contest; Carla upholds it; the applicant contests anew.
    assert client.post(f"{base}/review", headers=carla, json={"outcome": "upheld", "reason": "Checked",
                                                              "contest": first["id"]}).status_code == 200
    second = client.post(f"{base}/contest", headers=alice, json={"statement": "New payslips"}).json()
    stale = client.post(f"{base}/review", headers=bruno, json={
        "outcome": "revised", "decision": "approve", "reason": "Income fine", "contest": first["id"]})
    assert _rule(stale) == (409, "decision_changed"), stale.text
    assert f"contest {second['id']} is" in stale.json()["detail"]
    assert _count(app, AdvisorDecision) == 1
    assert _count(app, DecisionContest, DecisionContest.status == "open") == 1
    [refusal] = [e for e in _events(app, "decision.review") if e.outcome == "error"]
    assert refusal.details == {"reason": "decision_changed", "decision_id": decision["id"], "open_contest": second["id"]}


def test_a_decision_of_another_client_is_not_found_and_nothing_changes(app, client, advisors, imported_clients):
    mine, theirs = imported_clients[3], imported_clients[4]
    decision = _decide(client, advisors["alice"], theirs, _score(client, advisors["alice"], theirs)["decision"]).json()
    for suffix, body in (("contest", {"statement": "x"}), ("review", {"outcome": "upheld", "reason": "x"})):
        response = client.post(f"{API}/clients/{mine}/decisions/{decision['id']}/{suffix}",
                               headers=advisors["bruno"], json=body)
        assert response.status_code == 404, response.text
    assert _count(app, DecisionContest) == 0


def test_decision_snapshots_are_immutable_in_the_database(app, client, advisors, imported_clients):
    raw = imported_clients[5]
    _decide(client, advisors["alice"], raw, _score(client, advisors["alice"], raw)["decision"])
    with app.state.sessionmaker() as db:
        snapshot = db.scalars(select(DecisionSnapshot)).one()
        assert snapshot.input_hash == db.scalars(select(AdvisorDecision)).one().input_hash
        with pytest.raises(DBAPIError):
            db.execute(text("UPDATE decision_snapshots SET input_hash = 'forged'"))
            db.commit()
        db.rollback()
        assert db.scalars(select(DecisionSnapshot)).one().input_hash == snapshot.input_hash


def test_export_has_history_contests_and_snapshots_and_erasure_removes_snapshots_keeping_the_tombstone(
    app, client, advisors, auth_headers, imported_clients, erase
):
    raw = imported_clients[6]
    alice = advisors["alice"]
    decision = _decide(client, alice, raw, _score(client, alice, raw)["decision"]).json()
    client.post(f"{API}/clients/{raw}/decisions/{decision['id']}/contest", headers=alice,
                json={"statement": "Please look again"})
    compliance = auth_headers("compliance")
    # Reviewed: the review's reason is free text that may describe the person (kept by the erasure before).
    reviewed = client.post(f"{API}/clients/{raw}/decisions/{decision['id']}/review", headers=advisors["bruno"],
                           json={"outcome": "upheld", "reason": "Called Mme Dupont back, nothing new"})
    assert reviewed.status_code == 200, reviewed.text

    export = client.get(f"{API}/privacy/clients/{raw}/export", headers=compliance)
    assert export.status_code == 200, export.text
    body = export.json()
    [human] = body["human_decisions"]
    assert human["id"] == decision["id"] and human["contests"][0]["statement"] == "Please look again"
    [snapshot] = body["decision_snapshots"]
    with app.state.sessionmaker() as db:
        stored = db.get(Client, decision["pseudonym"]).features
    assert snapshot["features"] == json.loads(json.dumps(stored)) and snapshot["id"] == human["snapshot_id"]

    erased = erase(raw)
    assert erased.status_code == 200, erased.text
    assert erased.json()["snapshots_deleted"] == 1 and erased.json()["contests_anonymised"] == 1
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(DecisionSnapshot)) == 0
        contest = db.scalars(select(DecisionContest)).one()
        assert contest.statement is None and contest.pseudonym is None and contest.anonymised_at is not None
        assert contest.review_reason is None and contest.status == "upheld"  # the count stays, the words go
        assert db.get(ClientErasure, decision["pseudonym"]) is not None
        assert db.get(AdvisorDecision, decision["id"]).snapshot_id is None
    gone = client.get(f"{API}/privacy/decisions/{decision['id']}/reproduce", headers=compliance)
    assert gone.status_code == 409 and "erased" in gone.json()["detail"]
    assert gone.json()["code"] == "snapshot_unavailable"


def _promote(app, version):
    registry = ModelRegistry(app.state.settings.effective_registry_dir)
    with app.state.sessionmaker() as db:
        registry_service.promote(db, registry, version, "test")
        db.commit()
    app.state.model_follower.sync()
    assert app.state.model.bundle.version == version


def test_reproduce_is_identical_for_decisions_under_two_versions_after_the_features_were_reimported(
    app, client, advisors, auth_headers, imported_clients, settings, write_applicants,
    trained_bundle_dir, other_features_bundle_dir, model_bundle, other_bundle,
):
    registry = ModelRegistry(settings.effective_registry_dir)
    registry.add(trained_bundle_dir)
    registry.add(other_features_bundle_dir)
    assert model_bundle.feature_names != other_bundle.feature_names
    alice = advisors["alice"]
    first, second = imported_clients[7], imported_clients[8]

    _promote(app, model_bundle.version)
    seen_first = _score(client, alice, first)
    d1 = _decide(client, alice, first, seen_first["decision"]).json()
    _promote(app, other_bundle.version)
    seen_second = _score(client, alice, second)
    assert seen_second["model_version"] == other_bundle.version
    d2 = _decide(client, alice, second, seen_second["decision"]).json()
    assert (d1["model_version"], d2["model_version"]) == (model_bundle.version, other_bundle.version)

    def richer(frame):
        frame["AMT_INCOME_TOTAL"] = [str(float(v) * 3) if v else v for v in frame["AMT_INCOME_TOTAL"]]
        frame["EXT_SOURCE_2"] = ["0.99" if v else v for v in frame["EXT_SOURCE_2"]]

    import_file(settings, write_applicants(richer))
    assert _score(client, alice, first)["probability"] != seen_first["probability"]

    compliance = auth_headers("compliance")
    for decision, seen in ((d1, seen_first), (d2, seen_second)):
        response = client.get(f"{API}/privacy/decisions/{decision['id']}/reproduce", headers=compliance)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["verdict"] == "identical" and body["differences"] == [], body["differences"]
        assert body["model_version"] == decision["model_version"]
        assert body["recomputed"]["probability"] == seen["probability"]
        assert body["recomputed"]["decision"] == seen["decision"]
        assert {c["check"] for c in body["checks"]} >= {"snapshot_input_hash", "audit_input_hash", "recommendation"}
    [event, *_] = _events(app, "decision.reproduce")
    assert event.details["verdict"] == "identical" and "probability" not in json.dumps(event.details)

    # A recorded recommendation changed behind the API's back is reported, precisely.
    with app.state.sessionmaker() as db:
        db.execute(text("UPDATE advisor_decisions SET recommendation = :r WHERE id = :i"),
                   {"r": _other(seen_first["decision"]), "i": d1["id"]})
        db.commit()
    tampered = client.get(f"{API}/privacy/decisions/{d1['id']}/reproduce", headers=compliance).json()
    assert tampered["verdict"] == "differs"
    assert [d["check"] for d in tampered["differences"]] == ["audit_recommendation", "recommendation"]

    # The database owner rewrites what was decided and by whom (no hash of the inputs changes):
    # the reproduction said identical. The chained event that recorded the decision says otherwise.
    with app.state.sessionmaker() as db:
        db.execute(text("UPDATE advisor_decisions SET decision = :d, is_override = :o, advisor = 'bruno', "
                        "reason = 'forged' WHERE id = :i"),
                   {"d": _other(d2["decision"]), "o": not d2["is_override"], "i": d2["id"]})
        db.commit()
    rewritten = client.get(f"{API}/privacy/decisions/{d2['id']}/reproduce", headers=compliance).json()
    assert rewritten["verdict"] == "differs"
    differences = {d["check"]: (d["recorded"], d["recomputed"]) for d in rewritten["differences"]}
    assert differences == {"audit_advisor": ("bruno", "alice"),
                           "audit_decision": (_other(d2["decision"]), d2["decision"]),
                           "audit_override": (not d2["is_override"], d2["is_override"])}

    assert client.get(f"{API}/privacy/decisions/999999/reproduce", headers=compliance).status_code == 404
    assert client.get(f"{API}/privacy/decisions/{d1['id']}/reproduce", headers=alice).status_code == 403


# ------------------------------------------------ advisors' decisions against the trail


def test_a_decision_the_owner_rewrote_deleted_or_inserted_is_reported_and_an_erasure_is_not(
    app, client, auth_headers, imported_clients, db_url, erase, cli  # noqa: F811
):
    """The database owner rewrote a refusal into an approval (the overrides report changed),
    deleted a decision, or added one: the chain stayed valid, and only a reproduction of that
    very decision said anything (a deleted one was "not found"). ``verify`` now compares the
    decisions with the events that recorded them (the compliance walk of the twenty-seventh
    session)."""
    advisor = auth_headers("advisor")
    ids = []
    for raw in imported_clients[:3]:
        answer = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                             json={"decision": "refuse", "reason": "Revenus non justifiés", "revises": None})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    # An erasure clears the decision's pseudonym and reason: not tampering.
    assert erase(imported_clients[2]).status_code == 200
    assert _verify(app).valid, _verify(app).reason
    recorded = {}
    with app.state.sessionmaker() as db:
        for event in db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.record")):
            recorded[event.details["decision_id"]] = event.seq

    _owner_sql(db_url, f"UPDATE advisor_decisions SET decision = 'approve', is_override = {_false(db_url)} "
                       f"WHERE id = {ids[0]}")
    result = _verify(app)
    assert not result.valid and result.reason_code == "decision_altered"
    assert result.first_invalid_seq == recorded[ids[0]]
    assert f"decision {ids[0]} now reads decision 'approve', not 'refuse'" in result.reason, result.reason

    _owner_sql(db_url, f"DELETE FROM advisor_decisions WHERE id = {ids[1]}")
    result = _verify(app)
    assert f"decision {ids[1]} recorded here is no longer in advisor_decisions" in " ".join(result.warnings)

    _owner_sql(db_url, "INSERT INTO advisor_decisions (id, decision, recommendation, is_override, model_version, "
                       f"advisor, decided_at) VALUES ({ids[-1] + 5}, 'approve', 'approve', {_false(db_url)}, 'v', "
                       "'advisor', '2026-12-07 10:00:00')")
    result = _verify(app)
    assert f"decision {ids[-1] + 5} in advisor_decisions is recorded by no event" in " ".join(result.warnings)
    verified = cli("audit", "verify")
    assert verified.exit_code == 1 and f"INVALID at seq {recorded[ids[0]]}" in verified.output



def _no_event(result, decision_id: int) -> bool:
    return f"decision {decision_id} in advisor_decisions is recorded by no event" in " ".join(
        [result.reason or "", *result.warnings])


def test_a_decision_inserted_below_the_first_recorded_id_is_reported_and_an_earlier_release_s_is_matched(
    app, client, auth_headers, imported_clients, db_url
):
    """A row no event records passed the check when its id was below the first one the trail
    names (taken for a decision whose event a retention purge deleted, or one recorded before
    events named their decision): the database owner could slip a decision into a client's
    history under any free id there (the twenty-seventh session's list). Now such a row must be
    older than the newest event a signed purge deleted, or be paired with a ``decision.record``
    event of an earlier release (same advisor, client, verdict and time; no id)."""
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    # Free ids below the first decision the trail will name.
    _owner_sql(db_url, "INSERT INTO advisor_decisions (id, decision, recommendation, is_override, model_version, "
                       f"advisor, decided_at) VALUES (20, 'approve', 'approve', {_false(db_url)}, 'v', 'x', "
                       "'2026-01-01 10:00:00')" if sqlite else "SELECT setval('advisor_decisions_id_seq', 20)")
    advisor = auth_headers("advisor")
    raw = imported_clients[0]
    first = client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                        json={"decision": "refuse", "reason": "Revenus non justifiés", "revises": None}).json()["id"]
    assert first > 20
    if sqlite:
        _owner_sql(db_url, "DELETE FROM advisor_decisions WHERE id = 20")
    assert _verify(app).valid, _verify(app).reason

    # The owner's approval under id 7, dated today or backdated: nobody's decision.
    for decided_at in ("2026-12-07 10:00:00", "2019-03-01 09:00:00"):
        _owner_sql(db_url, "INSERT INTO advisor_decisions (id, pseudonym, decision, recommendation, is_override, "
                           f"model_version, advisor, decided_at) VALUES (7, 'p', 'approve', 'approve', "
                           f"{_false(db_url)}, 'v', 'advisor', '{decided_at}')")
        result = _verify(app)
        assert not result.valid and result.reason_code == "decision_altered" and _no_event(result, 7), result.reason
        _owner_sql(db_url, "DELETE FROM advisor_decisions WHERE id = 7")
    assert _verify(app).valid

    # An earlier release recorded its decisions without their id: its row is matched by the
    # event (advisor, client, verdict, recommendation, override, time), and a rewrite is not.
    with app.state.sessionmaker() as db:
        stored = db.scalars(select(Client)).first()
        event = audit_service.commit_audited(
            db, None, None, action="decision.record", resource=stored.pseudonym, actor="legacy", role="advisor",
            model_version="v0", details={"decision": "refuse", "recommendation": "approve", "override": True})
        audit_service.chain_pending(db)
        db.commit()
        db.add(AdvisorDecision(id=8, pseudonym=stored.pseudonym, decision="refuse", recommendation="approve",
                               is_override=True, model_version="v0", advisor="legacy", decided_at=event.ts))
        db.commit()
    assert _verify(app).valid, _verify(app).reason
    _owner_sql(db_url, "UPDATE advisor_decisions SET decision = 'approve', is_override = "
                       f"{_false(db_url)} WHERE id = 8")
    result = _verify(app)
    assert not result.valid and _no_event(result, 8)
    assert "recorded here (by an earlier release, without its id) is no longer" in " ".join(
        [result.reason or "", *result.warnings])


def test_a_review_s_revision_rewritten_a_reused_id_and_a_pending_decision_against_the_trail(
    app, client, advisors, auth_headers, imported_clients, db_url
):
    """The independent review of that check: a review's revision was compared by what it revises
    only (its verdict could be rewritten), a deleted decision whose id the next one took
    verified valid, and a decision whose event still waited for the sequencer would read as
    inserted by the owner."""
    raw = imported_clients[1]
    alice, bruno = advisors["alice"], advisors["bruno"]
    recommendation = _score(client, alice, raw)["decision"]
    decision = _decide(client, alice, raw, recommendation).json()
    base = f"{API}/clients/{raw}/decisions/{decision['id']}"
    assert client.post(f"{base}/contest", headers=alice, json={"statement": "Please review"}).status_code == 201
    review = client.post(f"{base}/review", headers=bruno, json={
        "outcome": "revised", "decision": _other(recommendation), "reason": "New payslips"}).json()
    revision = review["revision"]["id"]
    assert _verify(app).valid, _verify(app).reason
    _owner_sql(db_url, f"UPDATE advisor_decisions SET decision = '{recommendation}' WHERE id = {revision}")
    result = _verify(app)
    assert not result.valid and result.reason_code == "decision_altered"
    assert f"decision {revision} now reads decision '{recommendation}'" in result.reason, result.reason
    _owner_sql(db_url, f"UPDATE advisor_decisions SET decision = '{_other(recommendation)}' WHERE id = {revision}")
    assert _verify(app).valid

    # The newest decision deleted, and the next one given its id (SQLite reuses the highest id).
    other = imported_clients[2]
    newest = _decide(client, alice, other, _score(client, alice, other)["decision"]).json()["id"]
    _owner_sql(db_url, f"DELETE FROM advisor_decisions WHERE id = {newest}",
               "DELETE FROM decision_snapshots WHERE id = (SELECT max(id) FROM decision_snapshots)")
    again = imported_clients[3]
    reused = _decide(client, alice, again, _score(client, alice, again)["decision"]).json()["id"]
    if reused == newest:  # PostgreSQL's sequence never gives an id twice: the row stays missing
        result = _verify(app)
        assert f"decision {newest} recorded here was recorded again" in " ".join([result.reason or "",
                                                                                   *result.warnings])
    else:
        assert f"decision {newest} recorded here is no longer" in (_verify(app).reason or "")

    # A decision whose event still waits for the sequencer is not one the owner inserted (the
    # rows are read before the queue, the queue before the chain).
    from backend.audit.models import AuditPending
    from backend.audit.verification import decision_problems

    with app.state.sessionmaker() as db:
        row = db.get(AdvisorDecision, reused)
        waiting = AdvisorDecision(pseudonym=row.pseudonym, decision=row.decision, recommendation=row.recommendation,
                                  is_override=row.is_override, model_version=row.model_version, advisor="alice",
                                  decided_at=row.decided_at)
        db.add(waiting)
        db.flush()
        db.add(AuditPending(ts=row.decided_at, actor="alice", role="advisor", action="decision.record",
                            resource=row.pseudonym, outcome="success", details={"decision_id": waiting.id}))
        db.flush()
        reasons = " ".join(p.reason for p in decision_problems(db))
        assert f"decision {waiting.id} in advisor_decisions is recorded by no event" not in reasons, reasons
        db.rollback()


def _false(db_url: str) -> str:
    return "0" if make_url(db_url).get_backend_name() == "sqlite" else "false"


def _verify(app):
    with app.state.sessionmaker() as db:
        return audit_service.verify_trail(db, app.state.checkpoint_signer, (), app.state.audit_witness)


def test_revises_and_contest_are_decision_ids_never_a_boolean_or_a_string(app, client, advisors, imported_clients):
    """Lax parsing read ``"revises": true`` and ``"1"`` as decision 1 (the API sweep of the
    twenty-eighth session): on a client whose decision in force is id 1 a boolean passed as
    having read it. A 422 naming the field now, and nothing recorded."""
    alice = advisors["alice"]
    raw = imported_clients[0]
    before = _count(app, AdvisorDecision)
    for value in (True, "1", 1.0):
        refused = _decide(client, alice, raw, "refuse", reason="Revenus non justifiés", revises=value)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "revises"
        review = client.post(f"{API}/clients/{raw}/decisions/1/review", headers=alice,
                             json={"outcome": "upheld", "reason": "Vu", "contest": value})
        assert review.status_code == 422 and review.json()["errors"][0]["field"] == "contest", review.text
    assert _count(app, AdvisorDecision) == before
