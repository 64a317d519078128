"""Data-subject rights (export Art. 15/20, erasure Art. 17) and the Art. 30 register.

Every test runs on SQLite and PostgreSQL (``db_url``), against the real app with a trained
bundle and the small applicant file imported.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.clients.models import Client, ClientErasure
from backend.clients.service import keyring
from backend.db import Base
from backend.privacy.models import AdvisorDecision
from backend.privacy.register import TABLE_CATEGORIES, TABLE_CATEGORIES_FR
from backend.scoring.service import EXPLANATION_KIND, SCORE_KIND
from security.rbac import ROLE_PERMISSIONS, Permission, Role, has_permission
from tests.fixtures.clients import import_file

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


@pytest.fixture
def advisor(client, auth_headers, imported_clients):
    return auth_headers("advisor")


@pytest.fixture
def compliance(client, auth_headers):
    return auth_headers("compliance")


def _pseudonym(settings, raw: int) -> str:
    return keyring(settings).pseudonymize(raw).value


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_export_holds_labelled_features_model_logic_live_score_decisions_and_audit_history(
    app, client, advisor, compliance, imported_clients, model_bundle, settings
):
    raw = imported_clients[0]
    client.get(f"{API}/clients/{raw}/score", headers=advisor)
    client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                json={"decision": "approve", "reason": "Stable income confirmed by payslips", "revises": None})

    response = client.get(f"{API}/privacy/clients/{raw}/export", headers=compliance, params={"lang": "en"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert str(raw) not in response.text
    assert body["subject"]["pseudonym"] == _pseudonym(settings, raw)
    stored = {f["feature"]: f for f in body["stored_data"]}
    assert stored["AMT_INCOME_TOTAL"]["label"] == "Annual income" and stored["AMT_INCOME_TOTAL"]["raw_value"] > 0
    assert stored["AMT_INCOME_TOTAL"]["value"].startswith("€")  # as the client reads it, in the export's language
    assert "SK_ID_CURR" not in stored and "TARGET" not in stored
    model = body["automated_decision"]
    assert model["model_version"] == model_bundle.version
    assert model["features_used"] == model_bundle.feature_names
    assert model["threshold"] == pytest.approx(model_bundle.threshold)
    assert (model["cost_fn"], model["cost_fp"]) == (model_bundle.cost_fn, model_bundle.cost_fp)
    assert model["recommendation"] == ("refuse" if model["probability"] >= model["threshold"] else "approve")
    assert model["contributions"] and model["explanation_text"]
    # The figures add up (the twenty-eighth session's compliance walk): the effects start from
    # the model's reference point, not from the population's average risk the text quotes.
    assert model["base_probability"] == pytest.approx(model_bundle.population_default_rate)
    total = model["reference_probability"] + sum(c["effect"] for c in model["contributions"]) + model["other_effect"]
    assert total == pytest.approx(model["probability"], abs=1e-12)
    assert 0 < model["other_count"] < len(model_bundle.feature_names)
    assert f"{100 * model['base_probability']:.1f}" in model["explanation_text"]
    [decision] = body["human_decisions"]
    assert decision["decision"] == "approve" and decision["reason"].startswith("Stable income")
    # Audit history: time, role and action, never the staff member's name.
    actions = [e["action"] for e in body["audit_events"]]
    assert "score.compute" in actions and "decision.record" in actions
    assert {e["actor_role"] for e in body["audit_events"]} == {"advisor"}
    assert "advisor-user" not in response.text
    # The export is audited but not stored: the event carries no score and no feature value.
    [event] = _events(app, "privacy.export")
    assert event.resource == body["subject"]["pseudonym"] and event.role == "compliance"
    assert str(model["probability"]) not in str(event.details)


def test_export_without_a_model_still_answers_with_the_stored_data(
    db_url, make_settings, cheap_argon2, applicants_csv, applicant_ids, tmp_path
):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from tests.fixtures.auth import login

    settings = make_settings(db_url, model_dir=tmp_path / "no-model")
    import_file(settings, applicants_csv)
    app = create_app(settings)
    with TestClient(app) as http:
        from backend.users.service import create_user

        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="dpo", role="compliance",
                        full_name="Dpo", password="Compliance-Officer-1!", must_change_password=False)
            db.commit()
        token = login(http, "dpo", "Compliance-Officer-1!")["access_token"]
        response = http.get(f"{API}/privacy/clients/{applicant_ids[0]}/export",
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["automated_decision"] is None and "no model" in body["automated_decision_unavailable"]
    assert len(body["stored_data"]) > 100


def _client_routes(app) -> list[tuple[str, str, Permission]]:
    """Every API route taking a bank client id, with its method and permission."""
    from tests.test_rbac_routes import api_routes, declared_permissions

    found = []
    for method, route in api_routes(app):
        if "{client_id}" in route.path:
            found.append((method, route.path, next(iter(declared_permissions(route)))))
    return found


def _body_for(path: str) -> dict:
    if path.endswith("/decision"):
        return {"json": {"decision": "approve", "reason": "test", "revises": None}}
    if path.endswith("/contest"):
        return {"json": {"statement": "I disagree"}}
    if path.endswith("/review"):
        return {"json": {"outcome": "upheld", "reason": "test"}}
    return {}


def test_erasure_removes_features_and_cache_keeps_a_tombstone_and_every_client_endpoint_then_404s(
    app, client, advisor, compliance, auth_headers, imported_clients, settings, erase
):
    raw, other = imported_clients[0], imported_clients[1]
    pseudonym = _pseudonym(settings, raw)
    assert client.get(f"{API}/clients/{raw}/score", headers=advisor).status_code == 200
    assert client.get(f"{API}/clients/{raw}/explanation", headers=advisor).status_code == 200
    client.post(f"{API}/clients/{raw}/decision", headers=advisor,
                json={"decision": "refuse", "reason": "Applicant withdrew the request", "revises": None})
    client.get(f"{API}/clients/{other}/score", headers=advisor)
    cache = app.state.result_cache
    version = app.state.model.bundle.version
    assert cache.get(pseudonym, version, f"{SCORE_KIND}-fr") is not None

    response = erase(raw)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pseudonym"] == pseudonym and body["features_deleted"] and body["tombstone_kept"]
    assert body["decisions_anonymised"] == 1
    with app.state.sessionmaker() as db:
        assert db.get(Client, pseudonym) is None
        assert db.get(ClientErasure, pseudonym) is not None
        assert db.scalar(select(func.count()).select_from(AdvisorDecision).where(
            AdvisorDecision.pseudonym == pseudonym)) == 0
        detached = db.scalars(select(AdvisorDecision)).one()
        assert detached.reason is None and detached.anonymised_at is not None
        features_left = [c.features for c in db.scalars(select(Client))]
    assert len(features_left) == len(imported_clients) - 1
    assert all(cache.get(pseudonym, version, kind) is None
               for kind in (f"{SCORE_KIND}-fr", f"{SCORE_KIND}-en", f"{EXPLANATION_KIND}-10-fr"))
    assert cache.get(_pseudonym(settings, other), version, f"{SCORE_KIND}-fr") is not None  # others untouched
    [event] = _events(app, "privacy.erase")
    assert event.resource == pseudonym and event.role == "compliance"

    routes = _client_routes(app)
    assert len(routes) >= 8  # profile, score, explanation, comparison, similar, report, decision, export, erase
    for method, path, permission in routes:
        if path.endswith("/erasure"):
            continue  # compliance's "was it erased?" answers 200 erased (test below)
        role = next(r for r in Role if has_permission(r, permission))
        url = re.sub(r"\{client_id\}", str(raw), path).replace("{decision_id}", "1")
        answer = client.request(method, url, headers=auth_headers(role.value), **_body_for(path))
        assert answer.status_code == 404, f"{method} {path} as {role}: {answer.status_code} {answer.text[:100]}"
    simulated = client.post(f"{API}/scoring/simulate", headers=advisor,
                            json={"client_id": str(raw), "overrides": {}})
    assert simulated.status_code == 404


def test_reimport_of_an_erased_client_is_refused_without_the_flag_and_audited_with_it(
    app, client, compliance, imported_clients, settings, applicants_csv, erase
):
    raw = imported_clients[0]
    pseudonym = _pseudonym(settings, raw)
    assert erase(raw).status_code == 200
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
    env.update({"OCTROI_DATABASE_URL": settings.effective_database_url,
                "OCTROI_VAR_DIR": str(settings.var_dir)})

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", "clients", "import", str(applicants_csv), *extra],
            env=env, capture_output=True, text=True, timeout=120,
        )

    refused = run()
    assert refused.returncode == 0, refused.stderr
    assert "1 skipped (erased)" in refused.stdout and "--allow-erased" in refused.stdout
    with app.state.sessionmaker() as db:
        assert db.get(Client, pseudonym) is None

    restored = run("--allow-erased")
    assert restored.returncode == 0, restored.stderr
    assert "1 erased clients brought back" in restored.stdout
    with app.state.sessionmaker() as db:
        assert db.get(Client, pseudonym) is not None
        assert db.get(ClientErasure, pseudonym) is None
    [event] = _events(app, "client.reimport_erased")
    assert event.resource == pseudonym and str(raw) not in str(event.details)


def test_erasing_an_unknown_or_already_erased_client_is_404_and_changes_nothing(
    app, client, compliance, imported_clients, erase
):
    raw = imported_clients[0]
    assert client.delete(f"{API}/privacy/clients/999999999991", headers=compliance).status_code == 404
    assert erase(raw).status_code == 200
    again = client.delete(f"{API}/privacy/clients/{raw}", headers=compliance)
    assert again.status_code == 404
    malformed = client.delete(f"{API}/privacy/clients/12ab", headers=compliance)
    assert malformed.status_code == 422 and "client_id" in malformed.json()["detail"]
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ClientErasure)) == 1
    assert len(_events(app, "privacy.erase")) == 3  # one success (confirmed by a second officer), two audited misses


def test_compliance_learns_whether_an_id_was_erased_and_when_without_the_id_echoed(
    app, client, compliance, auth_headers, imported_clients, erase
):
    raw, other, unknown = imported_clients[0], imported_clients[1], 999_999_999_991
    erased = erase(raw).json()

    answers = {name: client.get(f"{API}/privacy/clients/{value}/erasure", headers=compliance)
               for name, value in (("erased", raw), ("current", other), ("unknown", unknown))}

    for name, answer in answers.items():
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == name and body["key_versions_checked"] >= 1
    assert answers["erased"].json()["erased_at"] is not None
    assert answers["erased"].json()["erased_at"][:19] == erased["erased_at"][:19]
    assert answers["current"].json()["erased_at"] is None and answers["unknown"].json()["erased_at"] is None
    assert str(raw) not in answers["erased"].text
    # The advisor still cannot tell an erased client from an unknown one.
    assert client.get(f"{API}/clients/{raw}", headers=auth_headers("advisor")).status_code == 404
    events = _events(app, "privacy.erasure_status")
    assert [e.details["status"] for e in events] == ["erased", "current", "unknown"]
    assert events[0].resource == erased["pseudonym"] and events[2].resource is None
    assert all(str(value) not in str(e.details) for e in events for value in (raw, other, unknown))


def test_erasure_status_refuses_a_malformed_id_and_other_roles(client, compliance, auth_headers, imported_clients):
    malformed = client.get(f"{API}/privacy/clients/12ab/erasure", headers=compliance)
    assert malformed.status_code == 422
    assert malformed.json()["code"] == "validation_error" and "client_id" in malformed.text
    for role in ("advisor", "comex", "admin"):
        answer = client.get(f"{API}/privacy/clients/{imported_clients[0]}/erasure", headers=auth_headers(role))
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_only_compliance_may_export_or_erase(client, auth_headers, imported_clients):
    raw = imported_clients[0]
    for role in ("advisor", "comex", "admin"):
        headers = auth_headers(role)
        assert client.get(f"{API}/privacy/clients/{raw}/export", headers=headers).status_code == 403
        assert client.delete(f"{API}/privacy/clients/{raw}", headers=headers).status_code == 403


def test_register_lists_every_role_table_retention_setting_and_model_feature(
    app, client, auth_headers, settings, model_bundle
):
    response = client.get(f"{API}/privacy/register", headers=auth_headers("comex"), params={"lang": "en"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lang"] == "en"
    recipients = {r["role"]: r for r in body["recipients"]}
    assert set(recipients) == {role.value for role in Role}
    for role, permissions in ROLE_PERMISSIONS.items():
        assert recipients[role.value]["permissions"] == sorted(p.value for p in permissions)
    assert "aggregates only" in recipients["comex"]["personal_data_access"]
    retention = {r["setting"]: r["value"] for r in body["retention"] if r["setting"]}
    assert retention["OCTROI_AUDIT_RETENTION_DAYS"] == settings.audit_retention_days
    assert retention["OCTROI_SCORE_CACHE_TTL_SECONDS"] == settings.score_cache_ttl_seconds
    assert {"OCTROI_ACCESS_TOKEN_MINUTES", "OCTROI_REFRESH_TOKEN_DAYS", "OCTROI_LOCKOUT_MINUTES"} <= set(retention)
    tables = {t["table"]: t for t in body["data_categories"]}
    assert set(tables) == set(Base.metadata.tables)
    assert "pseudonym" in tables["clients"]["columns"]
    assert [f["name"] for f in body["model_features"]] == model_bundle.feature_names
    assert body["model_version"] == model_bundle.version
    assert len(_events(app, "privacy.register")) == 1


def test_register_retention_follows_the_settings(db_url, make_settings, cheap_argon2, tmp_path):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.users.service import create_user
    from tests.fixtures.auth import login

    app = create_app(make_settings(db_url, audit_retention_days=180, client_retention_days=2555,
                                   model_dir=tmp_path / "none"))
    with TestClient(app) as http:
        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="boss", role="admin", full_name="B",
                        password="Administrator-Pass-1!", must_change_password=False)
            db.commit()
        token = login(http, "boss", "Administrator-Pass-1!")["access_token"]
        body = http.get(f"{API}/privacy/register", headers={"Authorization": f"Bearer {token}"}).json()
    [audit] = [r for r in body["retention"] if r["setting"] == "OCTROI_AUDIT_RETENTION_DAYS"]
    assert audit["value"] == 180 and audit["period"] == "180 jours"  # French by default
    [clients] = [r for r in body["retention"] if r["setting"] == "OCTROI_CLIENT_RETENTION_DAYS"]
    assert clients["value"] == 2555 and clients["period"].startswith("2\u202f555 jours sans activité dans le dossier")
    assert clients["data"] == "Caractéristiques des clients et issues réelles"
    assert body["model_features"] == [] and body["model_version"] is None


def test_every_table_is_declared_in_the_register():
    undeclared = set(Base.metadata.tables) - set(TABLE_CATEGORIES)
    assert not undeclared, f"add these tables to backend/privacy/register.py TABLE_CATEGORIES: {undeclared}"
    untranslated = set(Base.metadata.tables) - set(TABLE_CATEGORIES_FR)
    assert not untranslated, f"add these tables to backend/privacy/register.py TABLE_CATEGORIES_FR: {untranslated}"


def _prose(value, into: set[str]) -> set[str]:
    """Every sentence-like string of a JSON answer (identifiers have no space)."""
    if isinstance(value, dict):
        for item in value.values():
            _prose(item, into)
    elif isinstance(value, list):
        for item in value:
            _prose(item, into)
    elif isinstance(value, str) and " " in value.strip():
        into.add(value)
    return into


def test_register_speaks_french_by_default_with_role_names_and_every_sentence_translated(
    client, auth_headers, model_bundle
):
    headers = auth_headers("advisor")
    french = client.get(f"{API}/privacy/register", headers=headers)
    english = client.get(f"{API}/privacy/register", headers=headers, params={"lang": "en"})

    assert french.status_code == english.status_code == 200, french.text
    fr, en = french.json(), english.json()
    assert (fr["lang"], en["lang"]) == ("fr", "en")
    assert {r["role"]: r["role_label"] for r in fr["recipients"]} == {
        "advisor": "conseiller", "comex": "COMEX", "compliance": "conformité", "admin": "administrateur"}
    assert {r["role"]: r["role_label"] for r in en["recipients"]} == {
        "advisor": "advisor", "comex": "executive", "compliance": "compliance", "admin": "administrator"}
    # No English sentence left in the French register (feature labels come from the bundle's French).
    english_sentences = _prose(en, set()) - _prose(fr, set())
    leaked = [s for s in _prose(fr, set()) if s in _prose(en, set()) and not re.fullmatch(r"\d+ minutes", s)]
    assert not leaked, leaked
    assert english_sentences
    assert "agrégats seulement" in {r["role"]: r for r in fr["recipients"]}["comex"]["personal_data_access"]
    assert [t["table"] for t in fr["data_categories"]] == [t["table"] for t in en["data_categories"]]
    assert [f["name"] for f in fr["model_features"]] == [f["name"] for f in en["model_features"]]


def test_register_refuses_an_unknown_language_with_a_code(client, auth_headers):
    response = client.get(f"{API}/privacy/register", headers=auth_headers("comex"), params={"lang": "de"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error" and "lang" in response.text


def test_privacy_routes_declare_their_permissions(app):
    expected = {
        ("GET", "/api/v1/privacy/clients/{client_id}/export"): Permission.privacy_manage,
        ("DELETE", "/api/v1/privacy/clients/{client_id}"): Permission.privacy_manage,
        ("GET", "/api/v1/privacy/clients/{client_id}/erasure"): Permission.privacy_manage,
        ("GET", "/api/v1/privacy/erasure-requests"): Permission.privacy_manage,
        ("POST", "/api/v1/privacy/erasure-requests/{request_id}/refuse"): Permission.privacy_manage,
        ("POST", "/api/v1/clients/{client_id}/decision"): Permission.decisions_record,
        ("GET", "/api/v1/privacy/overrides"): Permission.privacy_manage,
        ("GET", "/api/v1/privacy/register"): Permission.privacy_read,
    }
    from tests.test_rbac_routes import api_routes, declared_permissions

    found = {(m, r.path): declared_permissions(r) for m, r in api_routes(app) if (m, r.path) in expected}
    assert found == {key: {permission} for key, permission in expected.items()}


def test_export_says_the_score_is_indicative_when_the_file_lacks_what_training_never_lacked(
    client, compliance, settings, write_applicants, applicant_ids
):
    """As the advisor's file: the export's live score names, by label, the blanks the model
    never learned (the goods price), so the data subject reads that the score is indicative."""
    from tests.fixtures.clients import import_file

    def blank(frame):
        frame.loc[0, "AMT_GOODS_PRICE"] = ""
        return frame

    import_file(settings, write_applicants(blank, rows=2))
    lacking = client.get(f"{API}/privacy/clients/{applicant_ids[0]}/export", headers=compliance, params={"lang": "en"})
    assert lacking.status_code == 200, lacking.text
    assert lacking.json()["automated_decision"]["unlearned_unknowns"] == [
        {"feature": "AMT_GOODS_PRICE", "label": "Price of the goods financed"}]
    complete = client.get(f"{API}/privacy/clients/{applicant_ids[1]}/export", headers=compliance).json()
    assert complete["automated_decision"]["unlearned_unknowns"] == []


def test_the_advisor_never_sees_what_the_fair_lending_policy_keeps_from_the_model(
    client, advisor, compliance, imported_clients, applicants_csv
):
    """Decision 0031: the model may not use sex, family status or children; the client file and
    its PDF showed them to the person taking the final decision. The profile and the report now
    leave out every column the policy excludes; the data subject's export still holds them."""
    import pandas as pd

    from backend.clients.service import readable_profile
    from ml.policy import FairLendingPolicy
    from tests.test_client_report_pdf import _text

    raw = imported_clients[0]
    stored = pd.read_csv(applicants_csv).set_index("SK_ID_CURR").loc[raw]
    assert pd.notna(stored["CODE_GENDER"]) and pd.notna(stored["NAME_FAMILY_STATUS"])
    excluded = set(FairLendingPolicy.default().excluded_columns)
    assert {"CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN"} <= excluded
    for lang, words in (("fr", ("Genre", "Situation familiale", "Enfants")), ("en", ("Gender", "Family status", "Children"))):
        profile = client.get(f"{API}/clients/{raw}", headers=advisor, params={"lang": lang}).json()["profile"]
        assert not {"gender", "family_status", "children"} & {p["field"] for p in profile}
        assert {"age_years", "income", "family_members"} <= {p["field"] for p in profile}  # age, household: justified
        report = client.get(f"{API}/clients/{raw}/report.pdf", headers=advisor, params={"lang": lang})
        assert report.status_code == 200
        text = _text(report.content)
        assert not [w for w in words if f"{w} :" in text], text
    # The profile follows the policy, not a list of its own.
    features = {"CODE_GENDER": "F", "NAME_FAMILY_STATUS": "Married", "CNT_CHILDREN": 1}
    assert {p["field"] for p in readable_profile(features, "fr", ())} >= {"gender", "family_status", "children"}
    # The data subject's own export still gives every stored column.
    export = client.get(f"{API}/privacy/clients/{raw}/export", headers=compliance).json()
    assert {"CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN"} <= {f["feature"] for f in export["stored_data"]}
