"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows.

The flows worth automating for an attacker here are probing the model (score, explanation
and what-if simulation of thousands of variants) and walking off with the audit trail (bulk
export). Every route that answers a probability shares one per-user "scoring" budget, and
the export has its own hourly budget; both refusals are audited.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from tests.test_rbac_routes import _calls, api_routes

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_scoring_per_minute=4,
                         rate_limit_export_per_hour=2)


def _limited_scopes(route) -> set[str]:
    return {getattr(c, "rate_limit_scope") for c in _calls(route.dependant) if hasattr(c, "rate_limit_scope")}


def _mentions_probability(schema: dict, components: dict, seen: set[str] | None = None) -> bool:
    """Does a response schema (following $refs) carry a ``probability`` field anywhere?"""
    seen = seen if seen is not None else set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name in seen:
                return False
            seen.add(name)
            return _mentions_probability(components.get(name, {}), components, seen)
        if "probability" in schema.get("properties", {}):
            return True
        return any(_mentions_probability(v, components, seen) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_probability(v, components, seen) for v in schema)
    return False


# Routes that compute a probability on demand (rather than list ones already given) but
# answer something else than JSON, so the schema walk cannot see it. Keep in step with the API.
EXTRA_SCORING_ROUTES: set[tuple[str, str]] = {("GET", "/api/v1/clients/{client_id}/report.pdf")}
# Routes whose JSON carries a probability but which are not a probing oracle: the GDPR export
# of one client to compliance (Art. 15), audited, and not available to advisors.
NOT_AN_ORACLE = {("GET", "/api/v1/privacy/clients/{client_id}/export")}


def test_every_route_that_answers_a_probability_spends_the_shared_scoring_budget(app):
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    scoring_routes = set(EXTRA_SCORING_ROUTES)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            ok = operation.get("responses", {}).get("200", {})
            if _mentions_probability(ok, components) and (method.upper(), path) not in NOT_AN_ORACLE:
                scoring_routes.add((method.upper(), path))
    assert {("GET", f"{API}/clients/{{client_id}}/score"), ("POST", f"{API}/scoring/simulate")} <= scoring_routes
    unlimited = [
        f"{method} {route.path}"
        for method, route in api_routes(app)
        if (method, route.path) in scoring_routes and "scoring" not in _limited_scopes(route)
    ]
    assert unlimited == []


def test_the_bulk_export_is_rate_limited(app):
    [export] = [r for m, r in api_routes(app) if r.path == f"{API}/audit/export"]
    assert _limited_scopes(export) == {"export"}


def _variant(client, headers, client_id, income):
    return client.post(f"{API}/scoring/simulate", headers=headers,
                       json={"client_id": str(client_id), "overrides": {"AMT_INCOME_TOTAL": income}})


def test_probing_the_model_with_what_if_variants_is_stopped_and_audited(app, client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    answers = [_variant(client, advisor, imported_clients[0], 50_000 + i * 1000).status_code for i in range(6)]
    assert answers == [200, 200, 200, 200, 429, 429]
    with app.state.sessionmaker() as db:
        refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "rate.limited")).all()
        simulated = db.scalars(select(AuditEvent).where(AuditEvent.action == "score.simulate")).all()
    assert len(refused) == 2 and {e.resource for e in refused} == {f"{API}/scoring/simulate"}
    assert len(simulated) == 4


def test_score_explanation_and_simulation_draw_on_one_budget(client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    raw = imported_clients[1]
    assert client.get(f"{API}/clients/{raw}/score", headers=advisor).status_code == 200
    assert client.get(f"{API}/clients/{raw}/explanation", headers=advisor).status_code == 200
    assert _variant(client, advisor, raw, 70_000).status_code == 200
    assert client.get(f"{API}/clients/{raw}/score", headers=advisor).status_code == 200
    # The budget (4) is spent whichever door was used.
    assert client.get(f"{API}/clients/{raw}/explanation", headers=advisor).status_code == 429
    assert _variant(client, advisor, raw, 80_000).status_code == 429
    # Reading the profile is not a scoring flow and stays open.
    assert client.get(f"{API}/clients/{raw}", headers=advisor).status_code == 200


def test_bulk_export_beyond_the_hourly_budget_is_refused_and_audited(app, client, auth_headers):
    compliance = auth_headers("compliance")
    codes = [client.get(f"{API}/audit/export", headers=compliance).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    with app.state.sessionmaker() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "rate.limited")).all()
    assert event.details["scope"] == "export" and event.details["window_seconds"] == 3600
    assert event.actor == "compliance-user" and event.outcome == "denied"
