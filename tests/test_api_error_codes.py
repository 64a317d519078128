"""Every error body carries a stable machine-readable ``code`` (documented in the OpenAPI),
so a consumer tells a lockout from a rate limit, or a pending password change from a missing
permission, without reading English prose."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.errors import ErrorCode
from backend.middleware import MAX_BODY_BYTES
from tests.fixtures.auth import TOKEN_URL, login

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir, rate_limit_scoring_per_minute=1)


def _code(response) -> str:
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body["code"]


def test_a_wrong_password_is_invalid_credentials_and_a_lockout_is_account_locked(client, make_user):
    make_user("alice", "advisor", "Correct-Horse-9-Staple")
    answers = [client.post(TOKEN_URL, data={"username": "alice", "password": "wrong-password-123"}) for _ in range(6)]
    assert [(r.status_code, _code(r)) for r in answers] == [(401, "invalid_credentials")] * 5 + [(429, "account_locked")]


def test_a_scoring_rate_limit_is_rate_limited_not_a_lockout(client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    url = f"{API}/clients/{imported_clients[0]}/score"
    assert client.get(url, headers=advisor).status_code == 200
    refused = client.get(url, headers=advisor)
    assert refused.status_code == 429 and _code(refused) == "rate_limited"
    assert refused.headers["retry-after"].isdigit()


def test_a_pending_password_change_is_its_own_code_distinct_from_forbidden(client, auth_headers):
    admin = auth_headers("admin")
    created = client.post(f"{API}/users", json={"username": "bob", "role": "comex"}, headers=admin).json()
    pending = {"Authorization": f"Bearer {login(client, 'bob', created['one_time_password'])['access_token']}"}
    blocked = client.get(f"{API}/users", headers=pending)
    assert blocked.status_code == 403 and _code(blocked) == "password_change_required"
    wrong_role = client.get(f"{API}/users", headers=auth_headers("advisor"))
    assert wrong_role.status_code == 403 and _code(wrong_role) == "forbidden"


def test_missing_token_unknown_client_conflict_and_bad_input_each_have_their_code(client, auth_headers, imported_clients):
    assert _code(client.get(f"{API}/auth/me")) == "not_authenticated"
    advisor = auth_headers("advisor")
    assert _code(client.get(f"{API}/clients/999999999", headers=advisor)) == "not_found"
    invalid = client.get(f"{API}/audit/events", params={"limit": 501}, headers=auth_headers("compliance"))
    assert invalid.status_code == 422 and _code(invalid) == "validation_error"
    assert invalid.json()["errors"][0]["field"] == "limit"
    admin = auth_headers("admin")
    client.post(f"{API}/users", json={"username": "twin", "role": "advisor"}, headers=admin)
    twin = client.post(f"{API}/users", json={"username": "twin", "role": "advisor"}, headers=admin)
    assert twin.status_code == 409 and _code(twin) == "conflict"


def test_an_oversized_body_is_payload_too_large(client, auth_headers):
    body = b'{"features": {"AMT_CREDIT": "' + b"9" * (MAX_BODY_BYTES + 1) + b'"}}'
    response = client.post(f"{API}/scoring/simulate", content=body,
                           headers={**auth_headers("advisor"), "content-type": "application/json"})
    assert response.status_code == 413 and _code(response) == "payload_too_large"


def test_a_body_of_another_type_is_unsupported_media_type_and_every_route_documents_its_refusals(
    client, auth_headers, app
):
    response = client.post(f"{API}/users", content=b"username=x&role=comex",
                           headers={**auth_headers("admin"), "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and _code(response) == "unsupported_media_type"
    assert response.json()["errors"][0]["reason"] == "expected_application_json"
    unknown = client.get(f"{API}/auth/me", params={"user": "x"}, headers=auth_headers("admin"))
    assert unknown.status_code == 422 and _code(unknown) == "validation_error"
    assert unknown.json()["errors"][0]["reason"] == "unknown_parameter"
    paths = app.openapi()["paths"]
    assert "415" in paths["/api/v1/users"]["post"]["responses"]
    # An unknown query parameter is refused on a route that takes none as well.
    assert "422" in paths["/api/v1/auth/me"]["get"]["responses"]


def test_every_documented_error_response_has_a_body_with_a_code_from_the_enum(app):
    schema = app.openapi()
    components = schema["components"]["schemas"]
    assert components["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
    assert "code" in components["ErrorBody"]["required"]
    assert "code" in components["HTTPValidationError"]["required"]
    undocumented = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                if path.endswith("/readyz") and status == "503":
                    continue  # readiness answers its own report, documented as such
                if not ref.endswith(("/ErrorBody", "/HTTPValidationError")):
                    undocumented.append(f"{method.upper()} {path} {status}")
    assert not undocumented, undocumented


def test_a_refused_user_field_is_a_validation_error_naming_the_field(client, auth_headers):
    refused = client.post(f"{API}/users", json={"username": "carol", "role": "advisor", "password": "short"},
                          headers=auth_headers("admin"))
    assert refused.status_code == 422 and _code(refused) == "validation_error"
    assert [e["field"] for e in refused.json()["errors"]] == ["password"]


ROOT = Path(__file__).resolve().parents[1]


def _octroi_reasons() -> set[str]:
    """Every machine-readable ``FieldError.reason`` Octroi itself sends (pydantic's own types
    aside), read from where each is raised."""
    def read(path: str) -> str:
        return (ROOT / path).read_text(encoding="utf-8")

    return {
        *re.findall(r'(?:reason=|\b\d{3},\s*)"([a-z_]+)"', read("backend/users/service.py")),
        *re.findall(r'\("(password_[a-z_]+)"', read("security/passwords.py")),
        *re.findall(r'LifecycleError\(\s*"([a-z_]+)"', read("backend/decisions/service.py")),
        *re.findall(r'PydanticCustomError\("([a-z_]+)"', read("backend/decisions/schemas.py")),
        *re.findall(r'"type": "([a-z_]+)"', read("backend/decisions/routes.py")),
        *re.findall(r'"type": "([a-z_]+)"', read("backend/api/hygiene.py")),
        *re.findall(r'"(expected_[a-z_]+)"', read("backend/api/hygiene.py")),
        *re.findall(r'"type": "([a-z_]+)"', read("backend/audit/routes.py")),
        *re.findall(r'"(password_[a-z_]+)"', read("backend/auth/password_policy.py")),
    }


def test_every_reason_octroi_sends_is_worded_in_both_languages_by_the_dashboard():
    from frontend import i18n

    reasons = _octroi_reasons()
    assert {"username_taken", "password_too_short", "contains_client_id", "empty", "reason_required"} <= reasons
    missing = sorted(r for r in reasons if not {"fr", "en"} <= set(i18n.CATALOG.get(f"problem.{r}", {})))
    assert not missing, missing


def test_a_refusal_names_the_rule_each_field_breaks(client, auth_headers, make_user):
    make_user("erin", "comex", "Quiet-Harbour-Lantern-7")
    taken = client.post(f"{API}/users", json={"username": "erin", "full_name": "Again", "role": "comex"},
                        headers=auth_headers("admin"))
    assert taken.status_code == 409 and _code(taken) == "conflict"
    assert taken.json()["errors"] == [{"field": "username", "message": "'erin' already exists", "reason": "username_taken"}]
    malformed = client.post(f"{API}/users", json={"username": "Bad Name!", "full_name": "X", "role": "comex"},
                            headers=auth_headers("admin"))
    assert malformed.status_code == 422 and [e["reason"] for e in malformed.json()["errors"]] == ["username_format"]

    make_user("dora", "advisor", "Tulip-Orbit-42-Lantern")
    token = client.post(TOKEN_URL, data={"username": "dora", "password": "Tulip-Orbit-42-Lantern"}).json()["access_token"]
    weak = client.post(f"{API}/auth/password", json={"current_password": "Tulip-Orbit-42-Lantern", "new_password": "dora-1"},
                       headers={"Authorization": f"Bearer {token}"})
    assert weak.status_code == 422, weak.text
    assert {(e["field"], e["reason"]) for e in weak.json()["errors"]} == {
        ("new_password", "password_too_short"), ("new_password", "password_contains_username")}
    # pydantic's own rules keep pydantic's names
    short = client.get(f"{API}/audit/events", params={"limit": 0}, headers=auth_headers("compliance"))
    assert short.status_code == 422 and short.json()["errors"][0]["reason"] == "greater_than_equal"
